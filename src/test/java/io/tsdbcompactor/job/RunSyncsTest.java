package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ForwardingBucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run lists the whole bucket at its start, after each step that acted (so the next step sees what it wrote) and
 * at its end; a step that planned nothing is followed by no listing.
 */
class RunSyncsTest {
  private static final long H = 3_600_000L;
  private static final long NOW = CompactionRunEndToEndTest.NOW;

  /** Counts listings of the whole bucket (a sync's), not those of one block's folder (a deletion's). */
  private static final class ListingCounter extends ForwardingBucket {
    final AtomicInteger wholeBucket = new AtomicInteger();

    ListingCounter(Bucket delegate) {
      super(delegate);
    }

    @Override
    public void list(String prefix, boolean recursive, Bucket.ListVisitor visitor) throws IOException {
      if (prefix.isEmpty()) {
        wholeBucket.incrementAndGet();
      }
      super.list(prefix, recursive, visitor);
    }
  }

  /** Downsampling off: the steps are clean up, garbage-collect, compact raw, retention, clean up. */
  private static RunOptions options(Path dataDir) {
    return new RunOptions(dataDir, Duration.ZERO, Duration.ZERO, RetentionPolicy.KEEP_FOREVER, 1, 1, false, List.of(),
        "", null, false, Sharding.NONE, RunOptions.Tuning.DEFAULTS);
  }

  /** Runs once over {@code bucketDir}; returns the whole-bucket listings made before each step started, by step. */
  private static Map<String, Integer> run(Path bucketDir, Path dataDir, int[] total) throws IOException {
    return run(bucketDir, dataDir, total, new CompactorMetrics(false));
  }

  private static Map<String, Integer> run(Path bucketDir, Path dataDir, int[] total, CompactorMetrics metrics)
      throws IOException {
    Map<String, Integer> before = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    try (ListingCounter bucket = new ListingCounter(new FilesystemBucket(bucketDir))) {
      RunProgress progress = new RunProgress() {
        @Override
        public void step(String name) {
          String key = names.contains(name) ? name + " (again)" : name; // the clean-up step runs first and last
          names.add(name);
          before.put(key, bucket.wholeBucket.get());
        }
      };
      RunReport r = new CompactionRun(bucket, options(dataDir), metrics, new TickingClock(NOW), progress).run();
      assertTrue(r.success(), () -> "run failed: " + r.failures);
      total[0] = bucket.wholeBucket.get();
    }
    return before;
  }

  @Test
  void stepsThatPlanNothingAreNotFollowedByAListing(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    new SampleBlocks(new SampleBlocks.Spec(4, 8 * H, 300_000, 1, Map.of("cluster", "eu1"), 0, 1)).write(bucketDir, NOW);
    int[] total = {0};

    // First run: the raw compaction acts, and marks its inputs for deletion; the last clean-up deletes them.
    Map<String, Integer> first = run(bucketDir, tmp.resolve("data"), total);
    assertEquals(1, first.get("clean up"), "the run's first sync");
    assertEquals(1, first.get("compact raw"), "clean up and garbage collection found nothing: no listing");
    assertEquals(2, first.get("retention"), "after the compaction: listed again");
    assertEquals(2, first.get("clean up (again)"), "retention found nothing: " + first);
    assertEquals(3, total[0], "and after the last clean-up, which deleted the inputs, the run's last sync");

    // Second run over the compacted bucket: nothing to do, so only the first and the last sync list it.
    Map<String, Integer> second = run(bucketDir, tmp.resolve("data"), total);
    assertEquals(1, second.get("clean up (again)"), second.toString());
    assertEquals(2, total[0]);
  }

  @Test
  void eachSyncIsCountedAndTimedAsThanosCountsItsMetaSyncs(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    new SampleBlocks(new SampleBlocks.Spec(4, 8 * H, 300_000, 1, Map.of("cluster", "eu1"), 0, 1)).write(bucketDir, NOW);
    CompactorMetrics metrics = new CompactorMetrics(false);
    String before = metrics.scrape();
    assertTrue(before.contains("thanos_blocks_meta_syncs_total 0.0"), "at zero before the first sync: " + before);
    int[] total = {0};
    run(bucketDir, tmp.resolve("data"), total, metrics);
    assertEquals(total[0], counter(metrics, "thanos_blocks_meta_syncs"), "one count per sync, as listed");
    assertEquals(0, counter(metrics, "thanos_blocks_meta_sync_failures"));
    assertEquals(total[0], metrics.registry().get("thanos_blocks_meta_sync_duration").timer().count());

    // A sync whose listing fails is counted as a failure, and the run fails.
    try (FaultInjectingBucket failing = new FaultInjectingBucket(new FilesystemBucket(bucketDir))) {
      failing.failNext(FaultInjectingBucket.Op.LIST, 1);
      CompactionRun run = new CompactionRun(failing, options(tmp.resolve("data")), metrics, new TickingClock(NOW),
          RunProgress.NONE);
      assertThrows(IOException.class, run::run);
    }
    assertEquals(total[0] + 1, counter(metrics, "thanos_blocks_meta_syncs"));
    assertEquals(1, counter(metrics, "thanos_blocks_meta_sync_failures"));
  }

  private static long counter(CompactorMetrics metrics, String name) {
    return (long) metrics.registry().get(name).counter().count();
  }
}
