package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.Grouper;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPlanner;
import io.tsdbcompactor.sync.BlockTransfer;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every step of one run shares: the bucket and its transfers, the flags, the clock and the run's start time,
 * metrics, report and progress, and the rules that decide which blocks a step may touch (this shard's, kept by
 * the relabel rules, not marked for deletion, not a leftover duplicate).
 */
final class RunContext {
  final Bucket bucket;
  final RunOptions options;
  final CompactorMetrics metrics;
  final Clock clock;
  final RunProgress progress;
  final RunReport report;
  final Grouper grouper;
  final RetentionPlanner retention;
  final CompactorOptions compactorOptions;
  final BlockTransfer transfer;
  /** The process's worker pools: every fan-out of a step runs on one of them. */
  final Workers workers;
  /** The live todo gauges; steps count down what they finish. */
  final ProgressGauges gauges;
  /** The run's start: retention and downsampling-for-retention decide against this instant. */
  final long now;
  /** Details of the no-compact marks written in this run, for the failure lines and the report. */
  final Map<String, String> noCompactDetails = new ConcurrentHashMap<>();
  private final RelabelFilter relabel;
  /** Placeholder ULIDs of planned blocks: reproducible, so a dry run's output is the same each time. */
  private final Random plannedUlids = new Random(1);

  RunContext(Bucket bucket, RunOptions options, CompactorMetrics metrics, Clock clock, RunProgress progress,
      RunReport report, Workers workers, ProgressGauges gauges) {
    this.gauges = gauges;
    this.bucket = bucket;
    this.options = options;
    this.metrics = metrics;
    this.clock = clock;
    this.progress = progress;
    this.report = report;
    this.workers = workers;
    this.now = clock.millis();
    this.grouper = new Grouper(options.replicaLabels());
    this.retention = new RetentionPlanner(options.retention(), options.downsampling());
    this.compactorOptions = CompactorOptions.defaults()
        .withRanges(CompactorOptions.rangesForMaxLevel(options.tuning().maxCompactionLevel()))
        .withConcurrency(options.compactConcurrency())
        .withBlocksFetchConcurrency(options.tuning().blocksFetchConcurrency())
        .withBlockMaxIndexSize(options.tuning().blockMaxIndexSizeBytes())
        .withMaxBlockSeries(options.tuning().maxBlockSeries())
        .withDeduplication(options.replicaLabels(), CompactorOptions.DedupFunc.parse(options.dedupFunc()));
    BlockTransfer.Options t = new BlockTransfer.Options();
    t.clock = clock;
    t.filesConcurrency = options.tuning().blockFilesConcurrency();
    t.files = workers.files;
    t.hashFunc = options.tuning().hashFunc();
    t.refuseBlocksBeingDeleted = true; // planned before another run replaced it: dropped, not compacted twice
    this.transfer = new BlockTransfer(bucket, t);
    this.relabel = RelabelFilter.parse(options.relabelConfigYaml());
  }

  /** Unix seconds of the clock now: the time written into the marks. */
  long epochSecond() {
    return clock.instant().getEpochSecond();
  }

  /** A ULID standing in for a block a step would produce (the dry run reports it as null). */
  String plannedUlid() {
    return Ulid.generate(now, plannedUlids).toString();
  }

  /** Whether this compactor works on the block: its shard, its relabel rules, its time window. */
  boolean workableHere(BlockMeta m) {
    return owns(m) && relabel.keep(m) && options.timeWindow().keeps(m, clock);
  }

  /** Whether this shard owns the block's group. */
  boolean owns(BlockMeta m) {
    return options.sharding().owns(m.externalLabels().without(options.replicaLabels().toArray(new String[0])));
  }

  /** An action on a block; its group is the block's external labels without the replica labels. */
  Action action(String step, BlockMeta m, boolean planned, String reason) {
    String group = m.externalLabels().without(options.replicaLabels().toArray(new String[0])).toString();
    // A partition lists its own ULID among its sources; the dry run cannot know it, so reports leave it out.
    List<String> sources = PartitionInfo.dataSources(m);
    return new Action(step, group, m.resolution(), m.minTime, m.maxTime, sources, planned ? null : m.ulid,
        reason, m.sizeBytes(), m.compaction.level, groupKey(m));
  }

  String groupKey(BlockMeta m) {
    return Group.key(m.externalLabels().without(options.replicaLabels().toArray(new String[0])), m.resolution());
  }

  /**
   * The blocks the steps work on: this shard's, kept by the relabel rules, not marked for deletion, and not
   * {@link #duplicates} of a bigger block; sorted by ULID.
   */
  List<BlockMeta> workable(BucketState s) {
    return new ArrayList<>(view(s).workable);
  }

  /**
   * The blocks compaction plans on: as {@link #workable}, but of every shard's groups when sharded, since a shard
   * also writes its partitions of other groups' compactions ({@link Sharding#owns(io.tsdbcompactor.labels.Labels,
   * io.tsdbcompactor.block.PartitionInfo)}).
   */
  List<BlockMeta> compactable(BucketState s) {
    if (!options.sharding().enabled()) {
      return workable(s);
    }
    List<BlockMeta> candidates = candidates(s, false);
    Set<String> dup = new HashSet<>();
    for (BlockMeta m : duplicates(candidates, s.damaged())) {
      dup.add(m.ulid);
    }
    candidates.removeIf(m -> dup.contains(m.ulid));
    return candidates;
  }

  /** Whether this shard writes partition {@code p} of a compaction of group {@code g}. */
  boolean owns(io.tsdbcompactor.compact.Group g, io.tsdbcompactor.block.PartitionInfo p) {
    return options.sharding().owns(g.labels(), p);
  }

  /** The duplicates among the blocks this shard works on (what garbage collection marks). */
  List<BlockMeta> duplicates(BucketState s) {
    return new ArrayList<>(view(s).duplicates);
  }

  /** What {@link #workable} and {@link #duplicates} derive from one state at one {@link BucketState#version}. */
  private record View(BucketState state, long version, List<BlockMeta> workable, List<BlockMeta> duplicates) {}

  private View lastView;

  /**
   * Every step plans on {@link #workable}, most of them on a state no step before them changed; on a bucket of
   * 100,000 blocks with their compaction sources, the duplicate search costs more than the rest of a plan, so it
   * runs once per state version, not once per step.
   */
  private synchronized View view(BucketState s) {
    View v = lastView;
    if (v != null && v.state() == s && v.version() == s.version()) {
      return v;
    }
    List<BlockMeta> candidates = candidates(s);
    List<BlockMeta> duplicates = duplicates(candidates, s.damaged());
    Set<String> dup = new HashSet<>();
    for (BlockMeta m : duplicates) {
      dup.add(m.ulid);
    }
    candidates.removeIf(m -> dup.contains(m.ulid));
    lastView = new View(s, s.version(), List.copyOf(candidates), List.copyOf(duplicates));
    return lastView;
  }

  private List<BlockMeta> candidates(BucketState s) {
    return candidates(s, true);
  }

  private List<BlockMeta> candidates(BucketState s, boolean ownGroupsOnly) {
    List<BlockMeta> out = new ArrayList<>();
    for (BlockMeta m : s.metas()) {
      if (!s.deletionMarks().containsKey(m.ulid) && (ownGroupsOnly ? workableHere(m)
          : relabel.keep(m) && options.timeWindow().keeps(m, clock))) {
        out.add(m);
      }
    }
    out.sort(Comparator.comparing(m -> m.ulid));
    return out;
  }

  /**
   * Thanos's duplicate filter over the blocks this shard works on ({@link DuplicateBlocks}), group by group. A
   * group's result is kept with the blocks it was found among and reused while the group holds exactly those
   * blocks: each step changes a few groups, and searching all of a big bucket's sources again after every step
   * was most of a plan's time.
   */
  private List<BlockMeta> duplicates(List<BlockMeta> metas, Set<String> damaged) {
    Map<String, List<BlockMeta>> byGroup = new java.util.TreeMap<>();
    for (BlockMeta m : metas) {
      byGroup.computeIfAbsent(groupKey(m), k -> new ArrayList<>()).add(m);
    }
    List<BlockMeta> out = new ArrayList<>();
    synchronized (duplicatesByGroup) {
      for (Map.Entry<String, List<BlockMeta>> g : byGroup.entrySet()) {
        GroupDuplicates known = duplicatesByGroup.get(g.getKey());
        Set<String> damagedHere = new HashSet<>();
        for (BlockMeta m : g.getValue()) {
          if (damaged.contains(m.ulid)) {
            damagedHere.add(m.ulid);
          }
        }
        if (known == null || !sameBlocks(known.blocks(), g.getValue()) || !known.damaged().equals(damagedHere)) {
          known = new GroupDuplicates(g.getValue(), damagedHere, List.copyOf(
              DuplicateBlocks.find(g.getValue(), m -> g.getKey(), m -> !damagedHere.contains(m.ulid)).keySet()));
          duplicatesByGroup.put(g.getKey(), known);
        }
        out.addAll(known.duplicates());
      }
    }
    return out;
  }

  /** A group's blocks (in ULID order), those of them known damaged, and the duplicates among them. */
  private record GroupDuplicates(List<BlockMeta> blocks, Set<String> damaged, List<BlockMeta> duplicates) {}

  private final Map<String, GroupDuplicates> duplicatesByGroup = new java.util.HashMap<>();

  /** The same meta objects in the same order: metas are not changed once synced or planned. */
  private static boolean sameBlocks(List<BlockMeta> a, List<BlockMeta> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /** The index size the compaction planner's guard weighs: meta.json's thanos.files, else the bucket's object. */
  long indexSize(BucketState s, String ulid) throws IOException {
    BlockMeta m = s.allMetas().get(ulid);
    if (m != null && m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        if (f.relPath.equals("index") && f.sizeBytes > 0) {
          return f.sizeBytes;
        }
      }
    }
    if (s.isPlanned(ulid) || bucket == null) {
      return 0;
    }
    return bucket.attributes(ulid + "/index").size();
  }

  /** 0, 1, ..., n-1: the positions of a list, for fan-outs that need an item's index. */
  static List<Integer> indices(int n) {
    List<Integer> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(i);
    }
    return out;
  }

  static String range(BlockMeta m) {
    return Instant.ofEpochMilli(m.minTime) + ".." + Instant.ofEpochMilli(m.maxTime);
  }
}
