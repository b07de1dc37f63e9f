package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.job.Action;
import io.tsdbcompactor.job.CompactionRun;
import io.tsdbcompactor.job.RunOptions;
import io.tsdbcompactor.job.Sharding;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.web.ViewPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The block viewer's plan, from the dry run of the run itself ({@link CompactionRun#plan}: the same steps, planners
 * and retention rules as {@code compact --dry-run}). The one call into the run's planning is in {@link #plan}; the
 * rest translates its actions into what the page draws.
 */
public final class RunPlanSource implements ViewPlan.Source {
  private final RunOptions options;
  private final RetentionPolicy retention;

  public RunPlanSource(int maxCompactionLevel, List<String> replicaLabels, RetentionPolicy retention, boolean downsampling,
      Sharding sharding) {
    this.retention = retention;
    this.options = new RunOptions(Path.of("."), Duration.ZERO, Duration.ofHours(48), retention, 1, 1, downsampling,
        replicaLabels, "", null, true, sharding,
        new RunOptions.Tuning(1, 1, 1, "", maxCompactionLevel));
  }

  private RunPlanSource(RunOptions options, RetentionPolicy retention) {
    this.options = options;
    this.retention = retention;
  }

  /** This plan with {@code compact}'s partition limits, so the page draws the partitions the run will write. */
  public RunPlanSource withPartitionLimits(long maxSeries, long maxIndexBytes) {
    return new RunPlanSource(new RunOptions(options.dataDir(), options.consistencyDelay(), options.deleteDelay(),
        options.retention(), 1, 1, options.downsampling(), options.replicaLabels(), "", null, true, options.sharding(),
        options.tuning().withPartitionLimits(maxSeries, maxIndexBytes)), retention);
  }

  @Override
  public ViewPlan plan(List<BlockMeta> metas, Set<String> noCompact, Set<String> noDownsample, long nowMillis) {
    List<Action> actions;
    try {
      actions = CompactionRun.plan(options, metas, noCompact, noDownsample,
          Clock.fixed(Instant.ofEpochMilli(nowMillis), ZoneOffset.UTC));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<ViewPlan.Compaction> compactions = new ArrayList<>();
    List<ViewPlan.Downsampling> downsamplings = new ArrayList<>();
    List<ViewPlan.Deletion> deletions = new ArrayList<>();
    Action compaction = null;
    List<String> inputs = new ArrayList<>();
    for (Action a : actions) {
      if (a.step().equals(Action.RETIRE) && compaction != null) {
        inputs.add(a.ulid() == null ? "(planned block)" : a.ulid());
        continue;
      }
      if (compaction != null) {
        compactions.add(compaction(compaction, inputs));
        compaction = null;
      }
      switch (a.step()) {
        case Action.COMPACT -> {
          compaction = a;
          inputs = new ArrayList<>();
        }
        case Action.DOWNSAMPLE -> downsamplings.add(new ViewPlan.Downsampling(input(metas, a), a.resolution(),
            a.reason().startsWith("ahead of retention")));
        case Action.RETENTION -> deletions.add(new ViewPlan.Deletion(a.ulid() == null ? "(planned block)" : a.ulid(),
            a.reason()));
        default -> { }
      }
    }
    if (compaction != null) {
      compactions.add(compaction(compaction, inputs));
    }
    Map<Long, Long> cuts = new TreeMap<>();
    for (long res : new long[] {RetentionPolicy.RES_RAW, RetentionPolicy.RES_5M, RetentionPolicy.RES_1H}) {
      Duration keep = retention.forResolution(res);
      if (!keep.isZero()) {
        cuts.put(res, nowMillis - keep.toMillis());
      }
    }
    return new ViewPlan(compactions, downsamplings, deletions, cuts);
  }

  private static ViewPlan.Compaction compaction(Action a, List<String> inputs) {
    return new ViewPlan.Compaction(a.groupKey(), a.resolution(), a.minTime(), a.maxTime(), a.level(),
        List.copyOf(inputs));
  }

  /** The block a downsampling reads: the one in the bucket with the same range and sources, if it is there yet. */
  private static String input(List<BlockMeta> metas, Action a) {
    for (BlockMeta m : metas) {
      if (m.minTime == a.minTime() && m.maxTime == a.maxTime() && m.sourcesOrSelf().equals(a.sources())
          && m.resolution() < a.resolution()) {
        return m.ulid;
      }
    }
    return "(planned block)";
  }
}
