package io.tsdbcompactor.job;

import static io.tsdbcompactor.job.RunOptionsFixtures.withRetention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thanos_compact_todo_* gauges follow the run: set from the plan, counted down, what is left at the end. */
class ProgressGaugesTest {
  private static final long H = 3_600_000L;
  private static final long NOW = Instant.parse("2024-08-22T10:00:00Z").toEpochMilli();

  private record Todo(long compactions, long compactionBlocks, long downsampleBlocks, long deletionBlocks) {}

  private static Todo todo(CompactorMetrics m) {
    return new Todo(gauge(m, "thanos_compact_todo_compactions"), gauge(m, "thanos_compact_todo_compaction_blocks"),
        gauge(m, "thanos_compact_todo_downsample_blocks"), gauge(m, "thanos_compact_todo_deletion_blocks"));
  }

  private static long gauge(CompactorMetrics m, String name) {
    return (long) m.registry().get(name).gauge().value();
  }

  @Test
  void todoGaugesAreLiveDuringTheRunAndShowWhatIsLeftAtItsEnd(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    new SampleBlocks(new SampleBlocks.Spec(4, 8 * H, 600_000, 1, Map.of("cluster", "x"), 0, 5)).write(bucketDir, NOW);
    CompactorMetrics metrics = new CompactorMetrics(false);
    List<Todo> atCompactions = Collections.synchronizedList(new ArrayList<>());
    List<Todo> atDownsamplings = Collections.synchronizedList(new ArrayList<>());
    List<Todo> atSteps = Collections.synchronizedList(new ArrayList<>());
    RunProgress observer = new RunProgress() {
      @Override
      public void step(String name) {
        atSteps.add(todo(metrics));
      }

      @Override
      public void compacted(String groupKey, int compactions, int inputBlocks, long inputBytes) {
        atCompactions.add(todo(metrics));
      }

      @Override
      public void downsampled(String ulid, long targetResolution, long inputBytes) {
        atDownsamplings.add(todo(metrics));
      }
    };
    RunOptions options = withRetention(RunOptions.defaults(tmp.resolve("data")).withDelays(Duration.ZERO, Duration.ZERO),
        new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90)));
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      RunReport r = new CompactionRun(bucket, options, metrics, new TickingClock(NOW), observer)
          .run();
      assertTrue(r.success(), r.failures.toString());

      Todo planned = atSteps.get(0);
      assertTrue(planned.compactions() > 0 && planned.compactionBlocks() > planned.compactions(), planned.toString());
      assertTrue(planned.downsampleBlocks() > 0, planned.toString());
      assertTrue(planned.deletionBlocks() > 0, "four days of raw blocks under a 3d retention: " + planned);

      // Counted down as each group finishes, never up within a step.
      assertTrue(!atCompactions.isEmpty());
      assertTrue(atCompactions.get(0).compactionBlocks() < planned.compactionBlocks(), atCompactions.toString());
      for (int i = 1; i < atCompactions.size(); i++) {
        assertTrue(atCompactions.get(i).compactionBlocks() <= atCompactions.get(i - 1).compactionBlocks()
            || atCompactions.get(i).downsampleBlocks() != atCompactions.get(i - 1).downsampleBlocks(),
            "only a fresh sync may raise the count: " + atCompactions);
      }
      assertTrue(!atDownsamplings.isEmpty());
      assertTrue(atDownsamplings.get(0).downsampleBlocks() < planned.downsampleBlocks(), atDownsamplings.toString());

      // At the end the plan of the last sync: nothing left but expired blocks retention keeps.
      assertEquals(new Todo(0, 0, 0, r.holds.size()), todo(metrics));
      assertEquals(r.survivors.size(),
          (long) metrics.registry().get("thanos_blocks_meta_synced").tag("state", "loaded").gauge().value());
      String text = metrics.scrape();
      assertTrue(text.contains("thanos_blocks_meta_synced{state=\"marked-for-no-compact\"} 0"), text);

      // Between runs: new blocks arrive, a refresh shows the work waiting for the next run and changes nothing.
      new SampleBlocks(new SampleBlocks.Spec(1, 2 * H, 600_000, 1, Map.of("cluster", "y"), 0, 6))
          .write(bucketDir, NOW);
      Map<String, Long> before = snapshot(bucketDir);
      new CompactionRun(bucket, options, metrics, new TickingClock(NOW), RunProgress.NONE)
          .refreshProgress();
      Todo waiting = todo(metrics);
      assertTrue(waiting.compactions() > 0 && waiting.compactionBlocks() > 1, waiting.toString());
      assertEquals(before, snapshot(bucketDir));
    }
  }

  private static Map<String, Long> snapshot(Path dir) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        out.put(dir.relativize(p).toString(), Files.size(p));
      }
    }
    return out;
  }
}
