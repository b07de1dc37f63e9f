package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * How long the sync's own work on cached meta.json files takes on one thread: reading them, Jackson's tree parse,
 * and {@link BlockMeta#parse} (tree parse and conversion), three rounds over a {@code meta-syncer} cache directory
 * (one folder per block, as {@code BigBucketHarness} leaves in its data dir). Separates that CPU from the rest of
 * a sync (listing, the fan-out, garbage collection of the growing metas).
 *
 * <pre>
 *   java -Xmx3g -cp target/tsdb-compactor.jar:&lt;compiled&gt; io.tsdbcompactor.benchmarks.MetaParseHarness \
 *       /tmp/bb/data/sync/meta-syncer
 * </pre>
 */
public final class MetaParseHarness {
  private MetaParseHarness() {}

  public static void main(String[] args) throws Exception {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of(args[0]))) {
      s.map(p -> p.resolve(BlockMeta.FILE_NAME)).filter(Files::isRegularFile).forEach(files::add);
    }
    for (int round = 1; round <= 3; round++) {
      long t0 = System.nanoTime();
      long bytes = 0;
      List<byte[]> data = new ArrayList<>(files.size());
      for (Path p : files) {
        byte[] b = Files.readAllBytes(p);
        bytes += b.length;
        data.add(b);
      }
      long t1 = System.nanoTime();
      long nodes = 0;
      for (byte[] b : data) {
        nodes += GoJson.MAPPER.readTree(b).size();
      }
      long t2 = System.nanoTime();
      long sources = 0;
      for (byte[] b : data) {
        sources += BlockMeta.parse("meta.json", b).compaction.sources.size();
      }
      long t3 = System.nanoTime();
      System.out.printf(Locale.ROOT, "round %d: %d files, %d MB: read %.2fs, readTree %.2fs, BlockMeta.parse %.2fs"
          + " (%d sources, %d top-level fields)%n", round, files.size(), bytes >> 20, (t1 - t0) / 1e9,
          (t2 - t1) / 1e9, (t3 - t2) / 1e9, sources, nodes);
    }
  }
}
