package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.job.TickingClock;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.SyncResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The same {@code compact} run on two buckets holding the same input, judged by what survives: the end-to-end tests
 * of each store against a FILESYSTEM bucket. ULIDs of outputs differ between runs, so blocks are keyed by what they
 * hold.
 */
final class SameBlocks {
  private SameBlocks() {}

  record Result(int code, String out, String err) {}

  /** The CLI, its output captured, on a clock ticking from {@code now}: both runs see the same times. */
  static Result run(long now, String... args) {
    return CliRun.run(new TickingClock(now), Result::new, args);
  }

  /** Uploads the blocks written under {@code staging} into {@code bucket}, each block's meta.json last. */
  static void upload(Bucket bucket, Path staging, List<BlockMeta> input) throws java.io.IOException {
    for (BlockMeta m : input) {
      BlockTransfer.upload(bucket, staging.resolve(m.ulid));
    }
  }

  /**
   * Fills a FILESYSTEM bucket in {@code dir} with the input and writes its objstore YAML next to it: the bucket the
   * other store's run is judged against.
   */
  static Path filesystemBucket(Path dir, Path staging, List<BlockMeta> input) throws java.io.IOException {
    try (Bucket fs = new FilesystemBucket(dir)) {
      upload(fs, staging, input);
    }
    return Files.writeString(dir.resolveSibling(dir.getFileName() + ".yaml"),
        "type: FILESYSTEM\nconfig:\n  directory: " + dir + "\n");
  }

  /** The surviving blocks, keyed by resolution, range, level and sources, with their files (meta.json aside). */
  static Map<String, Map<String, byte[]>> survivors(Bucket bucket, Path work) throws Exception {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = Duration.ZERO;
    o.deleteDelay = Duration.ZERO;
    SyncResult s = new BlockSyncer(bucket, null, o).sync();
    assertTrue(s.partial().isEmpty(), "no partial blocks: " + s.partial());
    Map<String, Map<String, byte[]>> out = new TreeMap<>();
    for (BlockMeta m : s.allMetas().values()) {
      Path dir = work.resolve(m.ulid);
      BlockTransfer.download(bucket, m.ulid, dir);
      Map<String, byte[]> files = new TreeMap<>();
      try (var walk = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
          String rel = dir.relativize(p).toString();
          if (!rel.equals("meta.json")) {
            files.put(rel, Files.readAllBytes(p));
          }
        }
      }
      out.put(m.resolution() + " " + m.minTime + "-" + m.maxTime + " level " + m.compaction.level + " sources "
          + new java.util.TreeSet<>(m.compaction.sources), files);
    }
    return out;
  }

  /** The same blocks, file for file, byte for byte. */
  static void assertSame(Map<String, Map<String, byte[]>> want, Map<String, Map<String, byte[]>> got) {
    assertEquals(want.keySet(), got.keySet());
    for (String block : want.keySet()) {
      assertEquals(want.get(block).keySet(), got.get(block).keySet(), block);
      for (String file : want.get(block).keySet()) {
        assertArrayEquals(want.get(block).get(file), got.get(block).get(file), block + " " + file);
      }
    }
  }
}
