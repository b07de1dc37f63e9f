package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Thanos's duplicate filter (fact: docs/thanos-compactor.md, garbage collection): within a group, a block whose
 * sources are all sources of a bigger block is a leftover of a compaction that uploaded its result but did not
 * finish marking its inputs. Of blocks with the same sources the one with the smallest ULID (the oldest) is kept.
 * With partitioned outputs (docs/partitioned-output.md) the blocks holding its sources must also hold all of its
 * series: a block is a leftover only once every partition that can hold its series is there. Sources are compared
 * without a partition's own ULID ({@link PartitionInfo#dataSources}); partitions of one output hold different series
 * and so never cover each other.
 * The compactor's garbage collection and {@code tools bucket verify --issues=duplicated_compaction} both use this.
 */
public final class DuplicateBlocks {
  private DuplicateBlocks() {}

  /**
   * The duplicates among {@code metas}, each with the kept block holding all its sources, in group order and then
   * by ULID.
   */
  public static Map<BlockMeta, BlockMeta> find(Collection<BlockMeta> metas, Function<BlockMeta, String> groupKey) {
    Map<String, List<BlockMeta>> byGroup = new TreeMap<>();
    for (BlockMeta m : metas) {
      byGroup.computeIfAbsent(groupKey.apply(m), k -> new ArrayList<>()).add(m);
    }
    Map<BlockMeta, BlockMeta> out = new LinkedHashMap<>();
    for (List<BlockMeta> group : byGroup.values()) {
      group.sort(Comparator.<BlockMeta>comparingInt(m -> -PartitionInfo.dataSources(m).size())
          .thenComparing(m -> m.ulid));
      List<BlockMeta> kept = new ArrayList<>();
      List<Set<String>> keptSources = new ArrayList<>();
      // A kept block holding all of m's sources holds its first one: only the kept blocks indexed under that
      // source are compared (in the order they were kept), so a group of thousands of blocks is not compared
      // pairwise. The index holds a kept block's position, or a list of them for sources kept blocks share.
      Map<String, Object> keptBySource = new HashMap<>();
      for (BlockMeta m : group) {
        List<String> sources = PartitionInfo.dataSources(m);
        BlockMeta holder = null;
        List<PartitionInfo> covering = new ArrayList<>();
        for (int i : candidates(sources.isEmpty() ? null : keptBySource.get(sources.get(0)), sources, kept.size())) {
          if (keptSources.get(i).containsAll(sources)) {
            holder = holder == null ? kept.get(i) : holder;
            covering.add(PartitionInfo.of(kept.get(i)));
          }
        }
        if (holder != null && PartitionInfo.of(m).coveredBy(covering)) {
          out.put(m, holder);
        } else {
          Set<String> src = new HashSet<>(sources);
          Integer at = kept.size();
          kept.add(m);
          keptSources.add(src);
          for (String s : src) {
            keptBySource.merge(s, at, (old, add) -> {
              List<Object> both = old instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>(List.of(old));
              both.add(add);
              return both;
            });
          }
        }
      }
    }
    return out;
  }

  /**
   * Positions of the kept blocks to compare, in the order they were kept: those indexed under the first source
   * ({@code entry}: a position, a list of them, or null), or every kept block when there are no sources.
   */
  private static List<Integer> candidates(Object entry, List<String> sources, int keptCount) {
    if (sources.isEmpty()) {
      List<Integer> all = new ArrayList<>(keptCount);
      for (int i = 0; i < keptCount; i++) {
        all.add(i);
      }
      return all;
    }
    if (entry instanceof Integer i) {
      return List.of(i);
    }
    if (entry instanceof List<?> l) {
      List<Integer> out = new ArrayList<>(l.size());
      for (Object o : l) {
        out.add((Integer) o);
      }
      return out;
    }
    return List.of();
  }
}
