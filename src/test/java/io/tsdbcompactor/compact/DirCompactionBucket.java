package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A bucket laid out as directories (root/ULID/...), for group compaction tests. */
class DirCompactionBucket implements CompactionBucket {
  final Path root;
  final List<String> uploads = new ArrayList<>();
  /** ULIDs whose download fails (simulates a bucket fault). */
  final List<String> failDownload = new ArrayList<>();

  DirCompactionBucket(Path root) {
    this.root = root;
  }

  @Override
  public void download(String ulid, Path dir) throws IOException {
    if (failDownload.contains(ulid)) {
      throw new IOException("injected download failure of " + ulid);
    }
    Path src = root.resolve(ulid);
    Files.createDirectories(dir.resolve("chunks"));
    try (Stream<Path> s = Files.list(src.resolve("chunks"))) {
      for (Path p : s.toList()) {
        Files.copy(p, dir.resolve("chunks").resolve(p.getFileName()));
      }
    }
    for (String f : List.of("index", "meta.json", "tombstones")) {
      if (Files.exists(src.resolve(f))) {
        Files.copy(src.resolve(f), dir.resolve(f));
      }
    }
  }

  @Override
  public void upload(Path blockDir) throws IOException {
    Path dst = root.resolve(blockDir.getFileName().toString());
    Files.createDirectories(dst.resolve("chunks"));
    try (Stream<Path> s = Files.list(blockDir.resolve("chunks"))) {
      for (Path p : s.sorted().toList()) {
        Files.copy(p, dst.resolve("chunks").resolve(p.getFileName()));
      }
    }
    Files.copy(blockDir.resolve("index"), dst.resolve("index"));
    BlockMeta meta = BlockMeta.parse("meta.json", Files.readAllBytes(blockDir.resolve("meta.json")));
    Files.write(dst.resolve("meta.json"), meta.toJsonBytes());
    uploads.add(meta.ulid);
  }

  @Override
  public void markForDeletion(String ulid, String details) throws IOException {
    Path p = root.resolve(ulid).resolve("deletion-mark.json");
    if (!Files.exists(p)) {
      Files.writeString(p, "{\"id\":\"" + ulid + "\",\"version\":1,\"details\":\"" + details + "\"}",
          StandardCharsets.UTF_8);
    }
  }

  @Override
  public void markNoCompact(String ulid, String reason, String details) throws IOException {
    Path p = root.resolve(ulid).resolve("no-compact-mark.json");
    if (!Files.exists(p)) {
      Files.writeString(p, "{\"id\":\"" + ulid + "\",\"reason\":\"" + reason + "\"}", StandardCharsets.UTF_8);
    }
  }

  @Override
  public long indexSize(String ulid) throws IOException {
    return Files.size(root.resolve(ulid).resolve("index"));
  }

  /** Metas of blocks without a deletion mark. */
  List<BlockMeta> liveMetas() throws IOException {
    List<BlockMeta> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : s.sorted().toList()) {
        if (Files.exists(p.resolve("meta.json")) && !Files.exists(p.resolve("deletion-mark.json"))) {
          out.add(BlockMeta.parse(p + "/meta.json", Files.readAllBytes(p.resolve("meta.json"))));
        }
      }
    }
    return out;
  }
}
