package io.tsdbcompactor.block;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Whether a set of blocks (the coarser tier, for downsampling and retention) already holds a block's data, judged
 * by {@code compaction.sources} as Thanos judges it, and by partitions (docs/partitioned-output.md): a partition's
 * data is held only where blocks that can hold its series list its sources. For blocks without partitions this is
 * Thanos's rule: every source is a source of some block of the set.
 */
public final class SourceCoverage {
  /** Per partition (id, count; partitioned group ids aside) of the set, the union of its blocks' sources. */
  private final Map<PartitionInfo, Set<String>> sources = new HashMap<>();
  private long lcm = 1;

  /** The coverage of these blocks. */
  public SourceCoverage(Collection<BlockMeta> blocks) {
    for (BlockMeta m : blocks) {
      add(m);
    }
  }

  /** Adds a block to the set. */
  public void add(BlockMeta m) {
    PartitionInfo p = PartitionInfo.of(m);
    sources.computeIfAbsent(new PartitionInfo(0, p.count(), p.id()), k -> new HashSet<>())
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
    for (long r = p.id(); r < l; r += p.count()) {
      Set<String> single = null;
      Set<String> joined = null; // a copy, only when several partitions of the set hold residue r
      for (Map.Entry<PartitionInfo, Set<String>> e : sources.entrySet()) {
        if (r % e.getKey().count() != e.getKey().id()) {
          continue;
        }
        if (single == null) {
          single = e.getValue();
        } else {
          if (joined == null) {
            joined = new HashSet<>(single);
          }
          joined.addAll(e.getValue());
        }
      }
      Set<String> have = joined != null ? joined : single;
      if (have == null ? !needed.isEmpty() : !have.containsAll(needed)) {
        return false;
      }
    }
    return true;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
