package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.metrics.CompactorMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thanos's group compaction counters after a real run over a bucket with re-uploaded (overlapping) blocks: one
 * run started and completed per group the run compacted, one compaction per block written, one vertical
 * compaction per set of overlapping inputs, no failures, and {@code thanos_compact_halted} at 0.
 */
class GroupCompactionMetricsTest {
  private static final long H = 3_600_000L;
  private static final long NOW = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();

  @Test
  void groupCompactionCountersCountWhatARealRunDid(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    // 2h blocks over 3 days, every 4th followed by a block re-covering half of it and half of the next.
    List<BlockMeta> input = new SampleBlocks(new SampleBlocks.Spec(3, 2 * H, 600_000, 1,
        Map.of("cluster", "eu1"), 4, 7)).write(bucketDir, NOW);
    int overlappingSets = overlappingSets(input);
    assertTrue(overlappingSets >= 2, "the input has overlaps to merge: " + overlappingSets);

    CompactorMetrics metrics = new CompactorMetrics(false);
    TickingClock clock = new TickingClock(NOW);
    RunReport r;
    try (Bucket bucket = new FilesystemBucket(bucketDir, clock)) {
      r = new CompactionRun(bucket, RunOptions.defaults(tmp.resolve("data")).withDelays(Duration.ZERO, Duration.ZERO),
          metrics, clock, RunProgress.NONE).run();
    }
    assertEquals(List.of(), r.failures);

    assertEquals(1, count(metrics, "thanos_compact_group_compaction_runs_started", Resolution.RAW),
        "one raw group, compacted in one go");
    assertEquals(overlappingSets, count(metrics, "thanos_compact_group_vertical_compactions", Resolution.RAW));
    for (long res : new long[] {Resolution.RAW, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR}) {
      long written = r.actions.stream().filter(a -> a.step().equals(Action.COMPACT) && a.resolution() == res).count();
      assertEquals(written, count(metrics, "thanos_compact_group_compactions", res), "resolution " + res);
      assertEquals(count(metrics, "thanos_compact_group_compaction_runs_started", res),
          count(metrics, "thanos_compact_group_compaction_runs_completed", res), "resolution " + res);
      assertEquals(0, count(metrics, "thanos_compact_group_compactions_failures", res), "resolution " + res);
    }
    assertTrue(count(metrics, "thanos_compact_group_compactions", Resolution.RAW) > overlappingSets,
        "leveled compactions followed the vertical ones");
    assertTrue(metrics.scrape().contains("\nthanos_compact_halted 0.0\n"), metrics.scrape());
  }

  private static double count(CompactorMetrics metrics, String name, long resolution) {
    return metrics.registry().get(name).tag("resolution", Long.toString(resolution)).counter().count();
  }

  /** Sets of two or more blocks whose time ranges overlap, directly or through each other. */
  private static int overlappingSets(List<BlockMeta> metas) {
    List<BlockMeta> sorted = new ArrayList<>(metas);
    sorted.sort(Comparator.comparingLong(m -> m.minTime));
    int sets = 0;
    int inSet = 0;
    long end = Long.MIN_VALUE;
    for (BlockMeta m : sorted) {
      if (m.minTime < end) {
        inSet++;
      } else {
        sets += inSet > 1 ? 1 : 0;
        inSet = 1;
      }
      end = Math.max(end, m.maxTime);
    }
    return sets + (inSet > 1 ? 1 : 0);
  }
}
