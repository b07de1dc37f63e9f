package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.block.SourceTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Thanos's duplicate filter (fact: docs/thanos-compactor.md, garbage collection): within a group, a block whose
 * sources are all sources of a bigger block is a leftover of a compaction that uploaded its result but did not
 * finish marking its inputs. Of blocks with the same sources the one with the smallest ULID (the oldest) is kept.
 * With partitioned outputs (docs/partitioned-output.md) the blocks holding its sources must also hold all of its
 * series: a block is a leftover only once every partition that can hold its series is there. Sources are compared
 * without a partition's own ULID ({@link PartitionInfo#dataSources}); partitions of one output hold different series
 * and so never cover each other.
 * A block known to be damaged (it failed to read, see {@link BucketState#damaged}) holds no safe copy of its
 * sources, so it never makes another block a duplicate.
 * The compactor's garbage collection and {@code tools bucket verify --issues=duplicated_compaction} both use this.
 */
public final class DuplicateBlocks {
  private DuplicateBlocks() {}

  /**
   * The duplicates among {@code metas}, each with the kept block holding all its sources, in group order and then
   * by ULID.
   */
  public static Map<BlockMeta, BlockMeta> find(Collection<BlockMeta> metas, Function<BlockMeta, String> groupKey) {
    return find(metas, groupKey, m -> true);
  }

  /** {@link #find}, where only blocks that {@code canHold} accepts may hold another's sources. */
  public static Map<BlockMeta, BlockMeta> find(
      Collection<BlockMeta> metas, Function<BlockMeta, String> groupKey, Predicate<BlockMeta> canHold) {
    Map<String, List<BlockMeta>> byGroup = new TreeMap<>();
    for (BlockMeta m : metas) {
      byGroup.computeIfAbsent(groupKey.apply(m), k -> new ArrayList<>()).add(m);
    }
    Map<BlockMeta, BlockMeta> out = new LinkedHashMap<>();
    for (List<BlockMeta> group : byGroup.values()) {
      group.sort(Comparator.<BlockMeta>comparingInt(m -> -PartitionInfo.dataSources(m).size())
          .thenComparing(m -> m.ulid));
      new GroupSearch(canHold).run(group, out);
    }
    return out;
  }

  /** The search within one group, blocks in the order of decreasing source count. */
  private static final class GroupSearch {
    private final Predicate<BlockMeta> canHold;
    private final List<BlockMeta> kept = new ArrayList<>();
    /** Per kept block, its sources as a table, built the first time it is a candidate holder (most never are). */
    private final List<SourceTable> keptSources = new ArrayList<>();
    /**
     * A kept block holding all of m's sources holds its first one: only the kept blocks indexed under that source
     * are compared (in the order they were kept), so a group of thousands of blocks is not compared pairwise. The
     * index maps a source to {@code 2 × position} of the one kept block listing it, or to {@code 2 × i + 1} for
     * the list {@code shared.get(i)} of positions when several do.
     */
    private SourceTable keptBySource;
    private final List<List<Integer>> shared = new ArrayList<>();

    GroupSearch(Predicate<BlockMeta> canHold) {
      this.canHold = canHold;
    }

    void run(List<BlockMeta> group, Map<BlockMeta, BlockMeta> out) {
      // Sized for every source the group lists, so it never grows: rehashing tables of thousands of sources per
      // group was a tenth of a 100,000-block bucket's planning.
      long listed = 0;
      for (BlockMeta m : group) {
        listed += m.sourcesOrSelf().size(); // dataSources may copy; its size is at most this
      }
      keptBySource = new SourceTable((int) Math.min(listed, 1 << 22));
      for (BlockMeta m : group) {
        List<String> sources = PartitionInfo.dataSources(m);
        BlockMeta holder = null;
        List<PartitionInfo> covering = new ArrayList<>();
        for (int i : candidates(sources)) {
          if (sourcesOf(i).containsAll(sources)) {
            holder = holder == null ? kept.get(i) : holder;
            covering.add(PartitionInfo.of(kept.get(i)));
          }
        }
        if (holder != null && PartitionInfo.of(m).coveredBy(covering)) {
          out.put(m, holder);
        } else if (canHold.test(m)) {
          keep(m, sources);
        }
      }
    }

    private void keep(BlockMeta m, List<String> sources) {
      int at = kept.size();
      kept.add(m);
      keptSources.add(null);
      for (int i = 0; i < sources.size(); i++) {
        int entry = keptBySource.putIfAbsent(sources, i, 2 * at);
        if (entry < 0 || entry == 2 * at) {
          continue; // new, or listed twice by this block
        }
        if ((entry & 1) == 0) {
          shared.add(new ArrayList<>(List.of(entry / 2, at)));
          keptBySource.put(sources, i, 2 * (shared.size() - 1) + 1);
        } else {
          List<Integer> positions = shared.get(entry / 2);
          if (positions.get(positions.size() - 1) != at) {
            positions.add(at);
          }
        }
      }
    }

    private SourceTable sourcesOf(int position) {
      SourceTable t = keptSources.get(position);
      if (t == null) {
        List<String> sources = PartitionInfo.dataSources(kept.get(position));
        t = new SourceTable(sources.size());
        t.addAll(sources);
        keptSources.set(position, t);
      }
      return t;
    }

    /**
     * Positions of the kept blocks to compare, in the order they were kept: those indexed under the first source,
     * or every kept block when there are no sources.
     */
    private List<Integer> candidates(List<String> sources) {
      if (sources.isEmpty()) {
        List<Integer> all = new ArrayList<>(kept.size());
        for (int i = 0; i < kept.size(); i++) {
          all.add(i);
        }
        return all;
      }
      int entry = keptBySource.get(sources, 0);
      if (entry < 0) {
        return List.of();
      }
      return (entry & 1) == 0 ? List.of(entry / 2) : shared.get(entry / 2);
    }
  }
}
