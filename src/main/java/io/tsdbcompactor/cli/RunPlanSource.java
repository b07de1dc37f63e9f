package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.job.PlanSimulator;
import io.tsdbcompactor.job.Sharding;
import io.tsdbcompactor.retention.RetentionPlanner;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.web.ViewPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The block viewer's plan, from the dry-run plan of the run itself ({@link PlanSimulator}: the same Grouper and
 * Planner, the same step order, the same retention rules). The one call into the run's planning is in
 * {@link #plan}; the rest translates its answer into what the page draws.
 */
public final class RunPlanSource implements ViewPlan.Source {
  private final long[] ranges;
  private final List<String> replicaLabels;
  private final RetentionPolicy retention;
  private final boolean downsampling;
  private final Sharding sharding;

  public RunPlanSource(int maxCompactionLevel, List<String> replicaLabels, RetentionPolicy retention, boolean downsampling,
      Sharding sharding) {
    this.ranges = CompactorOptions.rangesForMaxLevel(maxCompactionLevel);
    this.replicaLabels = List.copyOf(replicaLabels);
    this.retention = retention;
    this.downsampling = downsampling;
    this.sharding = sharding;
  }

  @Override
  public ViewPlan plan(List<BlockMeta> metas, Set<String> noCompact, Set<String> noDownsample, long nowMillis) {
    PlanSimulator.Plan p = new PlanSimulator(ranges, replicaLabels, new RetentionPlanner(retention, downsampling),
        sharding, downsampling).simulate(metas, noCompact, noDownsample, nowMillis);
    List<ViewPlan.Compaction> compactions = new ArrayList<>();
    for (PlanSimulator.Compaction c : p.compactions()) {
      List<String> inputs = new ArrayList<>();
      c.inputs().forEach(m -> inputs.add(m.ulid));
      compactions.add(new ViewPlan.Compaction(c.groupKey(), c.resolution(), c.output().minTime, c.output().maxTime,
          c.output().compaction.level, inputs));
    }
    List<ViewPlan.Downsampling> downsamplings = new ArrayList<>();
    p.downsamplings().forEach(d -> downsamplings.add(
        new ViewPlan.Downsampling(d.input().ulid, d.targetResolution(), d.forRetention())));
    List<ViewPlan.Deletion> deletions = new ArrayList<>();
    p.deletions().forEach(d -> deletions.add(new ViewPlan.Deletion(d.meta().ulid, d.details())));
    Map<Long, Long> cuts = new TreeMap<>();
    for (long res : new long[] {RetentionPolicy.RES_RAW, RetentionPolicy.RES_5M, RetentionPolicy.RES_1H}) {
      Duration keep = retention.forResolution(res);
      if (!keep.isZero()) {
        cuts.put(res, nowMillis - keep.toMillis());
      }
    }
    return new ViewPlan(compactions, downsamplings, deletions, cuts);
  }
}
