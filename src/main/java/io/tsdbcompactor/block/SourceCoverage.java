package io.tsdbcompactor.block;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a set of blocks (the coarser tier, for downsampling and retention) already holds a block's data, judged
 * by {@code compaction.sources} as Thanos judges it, and by partitions (docs/partitioned-output.md): a partition's
 * data is held only where blocks that can hold its series list its sources. For blocks without partitions this is
 * Thanos's rule: every source is a source of some block of the set.
 */
public final class SourceCoverage {
  /** Per partition (id, count; partitioned group ids aside) of the set, the union of its blocks' sources. */
  private final Map<PartitionInfo, SourceTable> sources = new HashMap<>();
  private long lcm = 1;

  /** The coverage of these blocks. */
  public SourceCoverage(Collection<BlockMeta> blocks) {
    // Most sets are of unpartitioned blocks: size their table once rather than growing it through millions.
    int expected = 0;
    for (BlockMeta m : blocks) {
      expected += m.sourcesOrSelf().size();
    }
    sources.put(new PartitionInfo(0, 1, 0), new SourceTable(expected));
    for (BlockMeta m : blocks) {
      add(m);
    }
  }

  /** Adds a block to the set. */
  public void add(BlockMeta m) {
    PartitionInfo p = PartitionInfo.of(m);
    sources.computeIfAbsent(new PartitionInfo(0, p.count(), p.id()), k -> new SourceTable())
        .addAll(m.sourcesOrSelf());
    lcm = Math.min(Long.MAX_VALUE / 2, lcm / gcd(lcm, p.count()) * p.count());
  }

  /**
   * Whether the set holds every one of {@code needed} (a block's sources) for all the series that block of
   * partition {@code p} can hold. Not held when the partition counts are beyond 2^16 in their least common multiple,
   * which no count we write reaches.
   */
  public boolean holds(PartitionInfo p, Collection<String> needed) {
    long l = lcm / gcd(lcm, p.count()) * p.count();
    if (l > (1 << 16)) {
      return false;
    }
    List<String> list = needed instanceof List<String> given ? given : new ArrayList<>(needed);
    List<SourceTable> have = new ArrayList<>();
    for (long r = p.id(); r < l; r += p.count()) {
      have.clear();
      for (Map.Entry<PartitionInfo, SourceTable> e : sources.entrySet()) {
        if (r % e.getKey().count() == e.getKey().id()) {
          have.add(e.getValue());
        }
      }
      for (int i = 0; i < list.size(); i++) {
        if (!anyHolds(have, list, i)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean anyHolds(List<SourceTable> tables, List<String> sources, int index) {
    for (int i = 0; i < tables.size(); i++) {
      if (tables.get(i).contains(sources, index)) {
        return true;
      }
    }
    return false;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
