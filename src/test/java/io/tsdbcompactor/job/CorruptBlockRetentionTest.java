package io.tsdbcompactor.job;

import static io.tsdbcompactor.job.RunOptionsFixtures.withRetention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.sync.Markers;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw block past its raw retention that cannot be downsampled because it is corrupt gets a no-downsample mark
 * from the run; that mark must not let retention delete the only copy of its data. An operator's own
 * no-downsample mark still lets the block expire, as in Thanos.
 */
class CorruptBlockRetentionTest {
  private static final long H = 3_600_000L;

  @Test
  void corruptExpiredBlockIsHeldNotDeleted(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    long now = CompactionRunEndToEndTest.NOW;
    List<BlockMeta> input = new SampleBlocks(new SampleBlocks.Spec(9, 48 * H, 300_000, 1, Map.of("cluster", "r"), 0, 8))
        .write(bucketDir, now);
    BlockMeta bad = input.get(0);
    BlockMeta manual = input.get(1);
    assertTrue(now - manual.maxTime > 3 * 24 * H, "both blocks are past a 3d raw retention");
    Path chunk = bucketDir.resolve(bad.ulid).resolve("chunks/000001");
    try (RandomAccessFile f = new RandomAccessFile(chunk.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x5A);
    }
    RunOptions o = withRetention(RunOptions.defaults(tmp.resolve("data")).withDelays(Duration.ZERO, Duration.ZERO),
        new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90)));
    TickingClock clock = new TickingClock(now);
    try (Bucket bucket = new FilesystemBucket(bucketDir, clock)) {
      Markers.markNoDownsample(bucket, manual.ulid, "manual", "operator: never downsample", clock);
      RunReport r = new CompactionRun(bucket, o, new CompactorMetrics(false), clock, RunProgress.NONE).run();
      assertTrue(r.failures.stream().anyMatch(f -> f.contains(bad.ulid) && f.contains("chunks/000001")), r.failures.toString());
      assertTrue(Markers.readNoDownsampleMark(bucket, bad.ulid).isPresent(), "the corrupt block is marked no-downsample");
      assertFalse(Markers.readDeletionMark(bucket, bad.ulid).isPresent(), "retention did not mark the corrupt block");
      for (String f : List.of("index", "chunks/000001", "meta.json")) {
        assertTrue(bucket.exists(bad.ulid + "/" + f), "kept " + f);
      }
      assertTrue(r.holds.stream().anyMatch(h -> h.meta().ulid.equals(bad.ulid)), "reported as held: " + r.holds);
      // The operator's own no-downsample mark lets its block expire as Thanos would.
      assertFalse(bucket.exists(manual.ulid + "/meta.json"), "the manually marked expired block was deleted");
      assertEquals(List.of(), r.holds.stream().filter(h -> !h.meta().ulid.equals(bad.ulid)).toList());
    }
  }
}
