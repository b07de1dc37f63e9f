package io.tsdbcompactor.web;

import io.tsdbcompactor.block.BlockMeta;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the next run will do, as the viewer draws it: compactions (the inputs and the block they become),
 * downsamplings, retention deletions, and where retention cuts each resolution.
 *
 * @param retentionCuts resolution (ms) → the time (ms) before which blocks of that resolution expire; absent for a
 *     resolution kept forever
 */
public record ViewPlan(List<Compaction> compactions, List<Downsampling> downsamplings, List<Deletion> deletions,
    Map<Long, Long> retentionCuts) {
  public static final ViewPlan NONE = new ViewPlan(List.of(), List.of(), List.of(), Map.of());

  /** One planned compaction of a group: inputs (ULIDs that exist now or planned outputs) into one block. */
  public record Compaction(String groupKey, long resolution, long minTime, long maxTime, int level,
      List<String> inputs) {}

  public record Downsampling(String ulid, long targetResolution, boolean forRetention) {}

  public record Deletion(String ulid, String details) {}

  /** Computes the plan for the blocks the run would work on; one implementation asks the run's own planner. */
  @FunctionalInterface
  public interface Source {
    Source NONE = (metas, noCompact, noDownsample, now) -> ViewPlan.NONE;

    /**
     * @param metas the blocks a run would work on (deletion-marked ones left out)
     * @param noCompact ULIDs marked no-compact
     * @param noDownsample ULIDs marked no-downsample
     */
    ViewPlan plan(List<BlockMeta> metas, Set<String> noCompact, Set<String> noDownsample, long nowMillis);
  }
}
