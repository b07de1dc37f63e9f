package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.S3Bucket;
import io.tsdbcompactor.bucket.S3Config;
import io.tsdbcompactor.metrics.CompactorMetrics;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad block is skipped and marked while the rest of the run goes on; an unreachable bucket fails the run. */
class CompactionRunFailureTest {
  private static final long H = 3_600_000L;

  @Test
  void corruptBlockIsMarkedAndTheRestIsCompacted(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    long now = CompactionRunEndToEndTest.NOW;
    List<BlockMeta> input = new SampleBlocks(new SampleBlocks.Spec(4, 8 * H, 300_000, 1, Map.of("cluster", "x"), 0, 9))
        .write(bucketDir, now);
    BlockMeta bad = input.get(2);
    Path chunk = bucketDir.resolve(bad.ulid).resolve("chunks/000001");
    try (RandomAccessFile f = new RandomAccessFile(chunk.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0xFF);
    }
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      RunReport r = new CompactionRun(bucket, RunOptions.defaults(tmp.resolve("data")).withDelays(Duration.ZERO, Duration.ZERO),
          new CompactorMetrics(false), new TickingClock(now), RunProgress.NONE).run();
      assertTrue(r.compactions.get() > 0, "the other blocks were compacted");
      assertTrue(r.failures.stream().anyMatch(f -> f.contains(bad.ulid)), "a line names the bad block: " + r.failures);
      assertTrue(Files.exists(bucketDir.resolve(bad.ulid).resolve("no-compact-mark.json")));
      assertTrue(!r.success());
    }
  }

  @Test
  void unreachableBucketFailsTheRun(@TempDir Path tmp) throws Exception {
    S3Config c = new S3Config();
    c.bucket = "nowhere";
    c.endpoint = "127.0.0.1:1";
    c.region = "us-east-1";
    c.accessKey = "a";
    c.secretKey = "b";
    c.insecure = true;
    c.maxRetries = 0;
    try (Bucket bucket = new S3Bucket(c)) {
      CompactionRun run = new CompactionRun(bucket, RunOptions.defaults(tmp), new CompactorMetrics(false),
          new TickingClock(CompactionRunEndToEndTest.NOW), RunProgress.NONE);
      assertThrows(IOException.class, run::run);
    }
  }
}
