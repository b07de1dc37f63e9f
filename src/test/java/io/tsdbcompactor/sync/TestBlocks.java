package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.BlockMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The promtool-made test blocks, copied with a Thanos section as a sidecar would upload them. */
public final class TestBlocks {
  public static final Path BASIC = Path.of("testdata/blocks/basic");

  private TestBlocks() {}

  public static List<String> basicUlids() throws IOException {
    try (Stream<Path> s = Files.list(BASIC)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Copies block {@code ulid} into {@code parent/ulid} with external labels and source "sidecar". */
  public static Path copyWithLabels(String ulid, Path parent, Map<String, String> labels) throws IOException {
    Path src = BASIC.resolve(ulid);
    Path dst = parent.resolve(ulid);
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(src)) {
      s.filter(Files::isRegularFile).forEach(files::add);
    }
    for (Path f : files) {
      Path t = dst.resolve(src.relativize(f).toString());
      Files.createDirectories(t.getParent());
      Files.copy(f, t);
    }
    Path metaFile = dst.resolve("meta.json");
    BlockMeta meta = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    meta.thanos().labels = new TreeMap<>(labels);
    meta.thanos().source = "sidecar";
    Files.write(metaFile, meta.toJsonBytes());
    return dst;
  }
}
