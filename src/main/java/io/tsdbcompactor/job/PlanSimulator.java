package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.Grouper;
import io.tsdbcompactor.compact.Planner;
import io.tsdbcompactor.downsample.DownsampleSelector;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.retention.RetentionPlanner;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Plays a whole run over metas alone, without touching a bucket: the same steps in the same order as
 * {@link CompactionRun} (compact raw, downsample raw, compact 5m, downsample 5m, compact 1h, retention), with
 * each planned output standing in for the block it would produce (union of the inputs' range and sources, level
 * + 1). {@code compact --dry-run} prints this plan, and a run uses its counts as the progress totals.
 *
 * <p>Sizes of planned outputs are the sums of their inputs' {@code thanos.files} sizes: an upper bound, as
 * merging shares symbols and drops duplicate samples.
 */
public final class PlanSimulator {
  private final Planner planner;
  private final Grouper grouper;
  private final RetentionPlanner retention;
  private final Sharding sharding;
  private final boolean downsampling;
  private final Random ulids = new Random(1);
  private final Set<String> downsampled = new java.util.HashSet<>();

  public PlanSimulator(long[] ranges, List<String> replicaLabels, RetentionPlanner retention, Sharding sharding,
      boolean downsampling) {
    this.planner = new Planner(ranges);
    this.grouper = new Grouper(replicaLabels);
    this.retention = retention;
    this.sharding = sharding;
    this.downsampling = downsampling;
  }

  /** One planned compaction: the inputs (minTime order) and the block standing in for the output. */
  public record Compaction(String groupKey, long resolution, List<BlockMeta> inputs, BlockMeta output) {}

  /** One planned downsampling; {@code forRetention} when only retention's last-copy rule asks for it. */
  public record Downsampling(BlockMeta input, long targetResolution, boolean forRetention) {}

  /** The whole plan, step by step. */
  public record Plan(
      List<Compaction> compactions,
      List<Downsampling> downsamplings,
      List<RetentionPlanner.Deletion> deletions,
      List<RetentionPlanner.Hold> holds,
      List<BlockMeta> survivors,
      Set<String> plannedUlids) {
    public boolean isEmpty() {
      return compactions.isEmpty() && downsamplings.isEmpty() && deletions.isEmpty() && holds.isEmpty();
    }
  }

  /**
   * @param metas the synced metas (deletion-marked blocks already left out)
   * @param noCompact ULIDs marked no-compact
   * @param noDownsample ULIDs marked no-downsample
   */
  public Plan simulate(List<BlockMeta> metas, Set<String> noCompact, Set<String> noDownsample, long nowMillis) {
    List<BlockMeta> state = new ArrayList<>();
    for (BlockMeta m : metas) {
      if (sharding.owns(grouper.group(List.of(m)).get(0).labels())) {
        state.add(m);
      }
    }
    List<Compaction> compactions = new ArrayList<>();
    List<Downsampling> downsamplings = new ArrayList<>();
    compact(state, Resolution.RAW, noCompact, nowMillis, compactions);
    if (downsampling) {
      downsample(state, Resolution.RAW, noDownsample, nowMillis, downsamplings);
      compact(state, Resolution.FIVE_MINUTES, noCompact, nowMillis, compactions);
      downsample(state, Resolution.FIVE_MINUTES, noDownsample, nowMillis, downsamplings);
      compact(state, Resolution.ONE_HOUR, noCompact, nowMillis, compactions);
    }
    RetentionPlanner.Plan r = retention.plan(state, nowMillis, noDownsample);
    Set<String> deleted = new java.util.HashSet<>();
    r.deletions().forEach(d -> deleted.add(d.meta().ulid));
    List<BlockMeta> survivors = new ArrayList<>();
    for (BlockMeta m : state) {
      if (!deleted.contains(m.ulid)) {
        survivors.add(m);
      }
    }
    Set<String> planned = new java.util.HashSet<>();
    compactions.forEach(c -> planned.add(c.output().ulid));
    planned.addAll(downsampled);
    return new Plan(compactions, downsamplings, r.deletions(), r.holds(), survivors, planned);
  }

  /**
   * Thanos's order for comparison (compact every resolution, downsample twice, then retention without any
   * last-copy protection); returns the blocks left. Only tests use it, to show what that order loses.
   */
  List<BlockMeta> simulateThanosOrder(List<BlockMeta> metas, long nowMillis) {
    List<BlockMeta> state = new ArrayList<>(metas);
    List<Compaction> compactions = new ArrayList<>();
    List<Downsampling> downsamplings = new ArrayList<>();
    for (long res : new long[] {Resolution.RAW, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR}) {
      compact(state, res, Set.of(), nowMillis, compactions);
    }
    RetentionPlanner unprotected = new RetentionPlanner(retention.policy(), false);
    for (long res : new long[] {Resolution.RAW, Resolution.FIVE_MINUTES}) {
      TreeMap<String, Downsampling> chosen = new TreeMap<>();
      for (DownsampleSelector.Candidate c : DownsampleSelector.select(state, Set.of(), Set.of())) {
        if (c.meta().resolution() == res) {
          chosen.put(c.meta().ulid, new Downsampling(c.meta(), c.targetResolution(), false));
        }
      }
      for (Downsampling d : chosen.values()) {
        BlockMeta o = d.input().copy();
        o.ulid = Ulid.generate(nowMillis, ulids).toString();
        o.thanos().resolution = d.targetResolution();
        state.add(o);
      }
    }
    Set<String> deleted = new java.util.HashSet<>();
    unprotected.plan(state, nowMillis, Set.of()).deletions().forEach(d -> deleted.add(d.meta().ulid));
    state.removeIf(m -> deleted.contains(m.ulid));
    return state;
  }

  /** The key of the group a block belongs to (replica labels removed), as the run groups it. */
  public String groupKey(BlockMeta m) {
    return grouper.group(List.of(m)).get(0).key();
  }

  private void compact(List<BlockMeta> state, long resolution, Set<String> noCompact, long now, List<Compaction> out) {
    List<BlockMeta> ofRes = new ArrayList<>();
    for (BlockMeta m : state) {
      if (m.resolution() == resolution) {
        ofRes.add(m);
      }
    }
    for (Group g : grouper.group(ofRes)) {
      List<BlockMeta> groupMetas = new ArrayList<>(g.metas());
      while (true) {
        List<BlockMeta> inputs = planner.plan(groupMetas, noCompact);
        if (inputs.isEmpty()) {
          break;
        }
        BlockMeta output = merged(inputs, now);
        Set<String> gone = new java.util.HashSet<>();
        inputs.forEach(m -> gone.add(m.ulid));
        groupMetas.removeIf(m -> gone.contains(m.ulid));
        groupMetas.add(output);
        groupMetas.sort(Group.BY_MIN_TIME);
        state.removeIf(m -> gone.contains(m.ulid));
        state.add(output);
        out.add(new Compaction(g.key(), resolution, List.copyOf(inputs), output));
      }
    }
  }

  private void downsample(List<BlockMeta> state, long resolution, Set<String> noDownsample, long now,
      List<Downsampling> out) {
    TreeMap<String, Downsampling> chosen = new TreeMap<>();
    for (DownsampleSelector.Candidate c : DownsampleSelector.select(state, noDownsample, Set.of())) {
      if (c.meta().resolution() == resolution) {
        chosen.put(c.meta().ulid, new Downsampling(c.meta(), c.targetResolution(), false));
      }
    }
    long target = resolution == Resolution.RAW ? Resolution.FIVE_MINUTES : Resolution.ONE_HOUR;
    for (BlockMeta m : retention.mustDownsampleFirst(state, resolution, now, noDownsample)) {
      chosen.putIfAbsent(m.ulid, new Downsampling(m, target, true));
    }
    for (Downsampling d : chosen.values()) {
      BlockMeta o = d.input().copy();
      o.ulid = Ulid.generate(now, ulids).toString();
      o.thanos().resolution = d.targetResolution();
      downsampled.add(o.ulid);
      state.add(o);
      out.add(d);
    }
  }

  private BlockMeta merged(List<BlockMeta> inputs, long now) {
    BlockMeta first = inputs.get(0);
    BlockMeta o = first.copy();
    o.ulid = Ulid.generate(now, ulids).toString();
    Set<String> sources = new LinkedHashSet<>();
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    int level = 0;
    long size = 0;
    long samples = 0;
    for (BlockMeta m : inputs) {
      min = Math.min(min, m.minTime);
      max = Math.max(max, m.maxTime);
      level = Math.max(level, m.compaction.level);
      sources.addAll(m.compaction.sources.isEmpty() ? List.of(m.ulid) : m.compaction.sources);
      size += sizeBytes(m);
      samples += m.stats.numSamples;
    }
    o.minTime = min;
    o.maxTime = max;
    o.compaction.level = level + 1;
    o.compaction.sources = BlockMeta.sortedUnique(new ArrayList<>(sources));
    o.stats.numSamples = samples;
    // The merge applies tombstones: a compacted block has none. Keeping the input's count would make the
    // planner pick the same single tombstoned block again, forever.
    o.stats.numTombstones = 0;
    o.thanos().files = new ArrayList<>(List.of(new BlockMeta.FileEntry("index", size)));
    o.thanos().source = "compactor";
    return o;
  }

  /** A block's size as its meta.json lists it (0 when it lists no files, as Prometheus-only metas). */
  public static long sizeBytes(BlockMeta m) {
    long s = 0;
    if (m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        s += f.sizeBytes;
      }
    }
    return s;
  }
}
