package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.job.TickingClock;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.SyncResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
  static synchronized Result run(long now, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(new CliEnvironment(new TickingClock(now), CliEnvironment.SYSTEM.listener()), args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
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
