package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
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
      group.sort(Comparator.<BlockMeta>comparingInt(m -> -m.sourcesOrSelf().size()).thenComparing(m -> m.ulid));
      // A kept block holding all of m's sources holds its first one: only the kept blocks indexed under that
      // source are compared (in the order they were kept), so a group of thousands of blocks is not compared
      // pairwise. A source is nearly always in one kept block only: the index holds that block itself, and a list
      // only for the sources kept blocks share (overlapping compactions).
      Map<String, Object> keptBySource = new HashMap<>();
      for (BlockMeta m : group) {
        List<String> sources = m.sourcesOrSelf();
        Kept holder = holder(keptBySource.get(sources.get(0)), sources);
        if (holder != null) {
          out.put(m, holder.meta());
          continue;
        }
        Kept k = new Kept(m, new HashSet<>(sources));
        for (String s : k.sources()) {
          keptBySource.merge(s, k, (old, add) -> {
            List<Object> both = old instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>(List.of(old));
            both.add(add);
            return both;
          });
        }
      }
    }
    return out;
  }

  private record Kept(BlockMeta meta, Set<String> sources) {}

  /** The first of the kept blocks indexed under a source ({@code entry}: one, a list, or null) holding all of {@code sources}. */
  private static Kept holder(Object entry, List<String> sources) {
    if (entry instanceof Kept k) {
      return k.sources().containsAll(sources) ? k : null;
    }
    if (entry instanceof List<?> ks) {
      for (Object o : ks) {
        Kept k = (Kept) o;
        if (k.sources().containsAll(sources)) {
          return k;
        }
      }
    }
    return null;
  }
}
