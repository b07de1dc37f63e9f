package io.tsdbcompactor.job;

import static io.tsdbcompactor.job.RunOptionsFixtures.withRetention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run on a remote bucket reads each block's chunk segments while they come down. What it concludes must not
 * change with that: a corrupt block is still found and marked, and a download that breaks half way is a failure
 * of the run, never a mark on the block.
 */
class RemoteDownloadRunTest {
  private static final long H = 3_600_000L;
  @TempDir Path tmp;

  /** Two-day blocks, old enough to be downsampled. */
  private List<BlockMeta> blocks(Path bucketDir) throws IOException {
    return new SampleBlocks(new SampleBlocks.Spec(7, 48 * H, 60_000, 20, Map.of("cluster", "r"), 0, 8))
        .write(bucketDir, CompactionRunEndToEndTest.NOW);
  }

  private RunReport run(Bucket bucket) throws IOException {
    RunOptions o = withRetention(RunOptions.defaults(tmp.resolve("data")).withDelays(Duration.ZERO, Duration.ZERO),
        new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90)));
    return new CompactionRun(bucket, o, new CompactorMetrics(false), new TickingClock(CompactionRunEndToEndTest.NOW),
        RunProgress.NONE).run();
  }

  @Test
  void aCorruptChunkIsStillFoundAndMarkedWhenReadWhileItComesDown() throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    BlockMeta bad = blocks(bucketDir).get(0);
    Path chunk = bucketDir.resolve(bad.ulid).resolve("chunks/000001");
    try (RandomAccessFile f = new RandomAccessFile(chunk.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x5A);
    }
    try (Bucket local = new FilesystemBucket(bucketDir)) {
      Bucket bucket = new FaultInjectingBucket(local); // a remote store to the run: no local file system
      RunReport r = run(bucket);
      assertTrue(r.failures.stream().anyMatch(f -> f.contains(bad.ulid) && f.contains("chunks/000001")),
          r.failures.toString());
      assertTrue(Markers.readNoCompactMark(bucket, bad.ulid).isPresent()
          || Markers.readNoDownsampleMark(bucket, bad.ulid).isPresent(), "the corrupt block is marked");
      assertFalse(Markers.readDeletionMark(bucket, bad.ulid).isPresent());
    }
  }

  @Test
  void aDownloadThatBreaksHalfWayFailsTheRunAndMarksNothing() throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    List<BlockMeta> input = blocks(bucketDir);
    BlockMeta broken = input.get(1);
    String key = broken.ulid + "/chunks/000001";
    assertTrue(Files.size(bucketDir.resolve(key)) > 4096, "the break falls inside the segment");
    try (Bucket local = new FilesystemBucket(bucketDir)) {
      Bucket bucket = new FaultInjectingBucket(local).retryable(false).breakReadsOf(key, 4096);
      RunReport r = run(bucket);
      assertTrue(r.failures.stream().anyMatch(f -> f.contains(key) && f.contains("connection reset")),
          r.failures.toString());
      for (BlockMeta m : input) {
        assertFalse(Markers.readNoCompactMark(bucket, m.ulid).isPresent(), "no-compact " + m.ulid);
        assertFalse(Markers.readNoDownsampleMark(bucket, m.ulid).isPresent(), "no-downsample " + m.ulid);
      }
      assertFalse(Markers.readDeletionMark(bucket, broken.ulid).isPresent());
      for (String f : List.of("index", "chunks/000001", "meta.json")) {
        assertTrue(bucket.exists(broken.ulid + "/" + f), "kept " + f);
      }
    }
    try (Stream<Path> s = Files.walk(tmp.resolve("data"))) {
      assertEquals(List.of(), s.filter(Files::isRegularFile).filter(p -> p.toString().contains(broken.ulid))
          .filter(p -> !p.startsWith(tmp.resolve("data").resolve("meta-syncer"))).toList(),
          "the broken download's files are gone from the data directory (the meta.json cache aside)");
    }
  }
}
