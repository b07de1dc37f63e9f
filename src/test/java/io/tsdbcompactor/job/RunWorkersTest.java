package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ForwardingBucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.sync.InFlightBucket;
import io.tsdbcompactor.sync.InFlightGauge;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run's fan-outs on the process's worker pools: each concurrency flag bounds its own level for the whole run
 * (the flags add up, they do not multiply), and an interrupted run returns only once its workers have ended.
 */
class RunWorkersTest {
  private static final long H = 3_600_000L;
  private static final long NOW = CompactionRunEndToEndTest.NOW;

  /** Three groups of small raw blocks (one per cluster) in {@code dir}. */
  private static void threeGroups(Path dir) throws IOException {
    int seed = 1;
    for (String cluster : List.of("eu1", "us1", "ap1")) {
      new SampleBlocks(new SampleBlocks.Spec(4, 8 * H, 300_000, 1, Map.of("cluster", cluster), 0, seed++))
          .write(dir, NOW);
    }
  }

  private static RunOptions options(Path dataDir, int compactConcurrency, RunOptions.Tuning tuning) {
    return new RunOptions(dataDir, Duration.ZERO, Duration.ZERO, RetentionPolicy.KEEP_FOREVER, compactConcurrency,
        2, true, List.of(), "", null, false, Sharding.NONE, tuning);
  }

  @Test
  void objectReadsInFlightNeverExceedTheirFlagWhileGroupsAndBlocksFanOutAbove(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    threeGroups(bucketDir);
    // --compact.concurrency=3, --compact.blocks-fetch-concurrency=2, --block-files-concurrency=2: pools per call
    // would allow 3 x 2 x 2 = 12 file reads at once; --block-meta-fetch-concurrency=4 bounds the metadata reads.
    RunOptions.Tuning tuning = new RunOptions.Tuning(4, 2, 2, "", 4);
    InFlightGauge metaReads = new InFlightGauge(4);
    InFlightGauge fileReads = new InFlightGauge(2);
    try (Bucket bucket = new InFlightBucket(new FilesystemBucket(bucketDir), metaReads, fileReads)) {
      RunReport r = new CompactionRun(bucket, options(tmp.resolve("data"), 3, tuning), new CompactorMetrics(false),
          new TickingClock(NOW), RunProgress.NONE).run();
      assertTrue(r.success(), () -> "run failed: " + r.failures);
      assertTrue(r.compactions.get() >= 3, "every group was compacted: " + r.compactions.get());
    }
    assertEquals(2, fileReads.max(), "index and chunk reads in flight at once (--block-files-concurrency=2)");
    assertEquals(4, metaReads.max(), "meta.json and marker reads in flight at once (--block-meta-fetch-concurrency=4)");
  }

  @Test
  void theInputsOfOneCompactionAreMarkedSeveralAtOnce(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    new SampleBlocks(new SampleBlocks.Spec(4, 8 * H, 300_000, 1, Map.of("cluster", "eu1"), 0, 1)).write(bucketDir, NOW);
    // One group, compacted by one worker, one compaction after another: marks in flight together are one
    // compaction's.
    InFlightGauge marks = new InFlightGauge(2);
    Bucket counting = new ForwardingBucket(new FilesystemBucket(bucketDir)) {
      @Override
      public void upload(String key, InputStream in, long length) throws IOException {
        if (!key.endsWith("/deletion-mark.json")) {
          super.upload(key, in, length);
          return;
        }
        marks.enter();
        try {
          super.upload(key, in, length);
        } finally {
          marks.exit();
        }
      }
    };
    try (Bucket bucket = counting) {
      RunReport r = new CompactionRun(bucket, options(tmp.resolve("data"), 1, RunOptions.Tuning.DEFAULTS),
          new CompactorMetrics(false), new TickingClock(NOW), RunProgress.NONE).run();
      assertTrue(r.success(), () -> "run failed: " + r.failures);
      assertTrue(r.compactedInputBlocks.get() >= 2, "blocks compacted: " + r.compactedInputBlocks.get());
    }
    assertTrue(marks.max() >= 2, "deletion marks in flight at once: " + marks.max());
  }

  @Test
  void anInterruptedRunReturnsOnlyAfterTheUploadItsWorkerStartedHasEnded(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    threeGroups(bucketDir);
    CountDownLatch uploading = new CountDownLatch(1);
    AtomicBoolean interruptSent = new AtomicBoolean();
    AtomicBoolean uploadEnded = new AtomicBoolean();
    AtomicBoolean uploadRunningWhenRunReturned = new AtomicBoolean();
    CompletableFuture<Thread> runThread = new CompletableFuture<>();
    // The first chunk upload of a compacted block stands for a request that completes although interrupted: it
    // goes on until the run is either gone (what must not happen) or waiting for it with its interrupt taken.
    Bucket slowUpload = new ForwardingBucket(new FilesystemBucket(bucketDir)) {
      @Override
      public void upload(String key, InputStream in, long length) throws IOException {
        if (key.contains("/chunks/") && uploading.getCount() > 0) {
          uploading.countDown();
          try {
            awaitWaitingOrGone(runThread.join(), interruptSent);
            super.upload(key, in, length); // may fail now, interrupted: what counts is that it ended
          } finally {
            uploadEnded.set(true);
          }
          return;
        }
        super.upload(key, in, length);
      }
    };
    Path dataDir = tmp.resolve("data");
    Thread t = new Thread(() -> {
      try {
        new CompactionRun(slowUpload, options(dataDir, 2, new RunOptions.Tuning(4, 2, 2, "", 4)),
            new CompactorMetrics(false), new TickingClock(NOW), RunProgress.NONE).run();
      } catch (IOException | RuntimeException e) {
        // interrupted: expected
      } finally {
        uploadRunningWhenRunReturned.set(!uploadEnded.get());
      }
    }, "compact-run");
    runThread.complete(t);
    t.start();
    assertTrue(uploading.await(60, TimeUnit.SECONDS), "a compacted block is being uploaded");
    t.interrupt();
    interruptSent.set(true);
    t.join(TimeUnit.SECONDS.toMillis(120));
    assertFalse(t.isAlive(), "the interrupted run returned");
    assertTrue(uploadEnded.get());
    assertFalse(uploadRunningWhenRunReturned.get(), "the run returned while its worker was still uploading");
    try (Stream<Path> s = Files.list(dataDir.resolve("compact"))) {
      assertEquals(List.of(), s.toList(), "the interrupted compaction's work directory was removed");
    } catch (java.nio.file.NoSuchFileException e) {
      // nothing left at all
    }
  }

  /** Bounded poll: until {@code t} ended, or is parked with its interrupt consumed after it was sent. */
  private static void awaitWaitingOrGone(Thread t, AtomicBoolean interruptSent) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Thread.State s = t.getState();
      if (s == Thread.State.TERMINATED
          || (interruptSent.get() && !t.isInterrupted() && (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING))) {
        return;
      }
      Thread.interrupted(); // this request does not stop when interrupted
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }
}
