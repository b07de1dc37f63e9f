package io.tsdbcompactor.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One block's place in a partitioned compaction output: partition {@code id} of {@code count}, whose series are
 * exactly those with {@code hash(labels) mod count == id}, where the hash is Prometheus's {@code labels.Hash}
 * (xxHash64 over {@code name 0xFF value 0xFF} per label, {@code compact.Group.labelsHash}) taken as unsigned, as Cortex's
 * partitioning compactor selects series. Stored in meta.json as {@code thanos.extensions.partition_info} in
 * Cortex's layout (docs/partitioned-output.md):
 * {@code {"partitioned_group_id": <uint32>, "partition_count": N, "partition_id": i}}.
 *
 * <p>A block without it is partition 0 of 1. Partition counts need not be powers of two: output partition
 * {@code i} of {@code P} can hold series of input partition {@code j} of {@code Q} exactly when
 * {@code i ≡ j (mod gcd(P, Q))} (the Chinese remainder theorem), which is how a compaction picks the inputs of
 * each output partition ({@link #canShare}).
 */
public record PartitionInfo(long groupId, int count, int id) {
  /** The key under {@code thanos.extensions}. */
  public static final String EXTENSION = "partition_info";
  /** An unpartitioned block. */
  public static final PartitionInfo WHOLE = new PartitionInfo(0, 1, 0);

  public PartitionInfo {
    if (count < 1 || id < 0 || id >= count) {
      throw new IllegalArgumentException("partition " + id + " of " + count + " is not a partition");
    }
  }

  /** Whether this is an actual partition, not a whole block. */
  public boolean partitioned() {
    return count > 1;
  }

  /**
   * The block's partition info; {@link #WHOLE} when it has none or a malformed one (such a block holds all the
   * series it has, which is what a whole block means).
   */
  public static PartitionInfo of(BlockMeta m) {
    JsonNode ext = m.thanos == null ? null : m.thanos.extensions;
    JsonNode p = ext == null ? null : ext.get(EXTENSION);
    if (p == null || !p.isObject()) {
      return WHOLE;
    }
    int count = p.path("partition_count").asInt(1);
    int id = p.path("partition_id").asInt(0);
    if (count < 1 || id < 0 || id >= count) {
      return WHOLE;
    }
    return new PartitionInfo(p.path("partitioned_group_id").asLong(0), count, id);
  }

  /**
   * The extensions of a block written as this partition: {@code groupExtensions} (may be null) without any
   * partition_info it carries from the inputs, plus this one when it is an actual partition. Null when nothing is
   * left, as a block without extensions has none.
   */
  public JsonNode extensions(JsonNode groupExtensions) {
    boolean object = groupExtensions != null && groupExtensions.isObject();
    if (!partitioned() && !(object && groupExtensions.has(EXTENSION))) {
      return groupExtensions;
    }
    ObjectNode out = object ? ((ObjectNode) groupExtensions).deepCopy() : JsonNodeFactory.instance.objectNode();
    out.remove(EXTENSION);
    if (partitioned()) {
      ObjectNode p = out.putObject(EXTENSION);
      p.put("partitioned_group_id", groupId);
      p.put("partition_count", count);
      p.put("partition_id", id);
    }
    return out.isEmpty() ? null : out;
  }

  /**
   * The blocks the data of {@code m} came from: its sources, less its own ULID when it is a partition (which lists
   * itself only so that Thanos's deduplication filter tells it from its siblings; docs/partitioned-output.md). Sources
   * of later compactions, the dry run's report and the duplicate filter go by these.
   */
  public static List<String> dataSources(BlockMeta m) {
    List<String> s = m.sourcesOrSelf();
    if (!of(m).partitioned() || !s.contains(m.ulid)) {
      return s;
    }
    List<String> out = new SourceList(s);
    out.remove(m.ulid);
    return out;
  }

  /** Whether a series with this labels hash belongs to this partition. */
  public boolean holds(long labelsHash) {
    return count == 1 || Long.remainderUnsigned(labelsHash, count) == id;
  }

  /** Whether some series could belong to both partitions. */
  public boolean canShare(PartitionInfo other) {
    int g = gcd(count, other.count);
    return id % g == other.id % g;
  }

  /** The two halves this partition splits into: ids {@code id} and {@code id + count} of {@code 2 × count}. */
  public List<PartitionInfo> halves() {
    return List.of(new PartitionInfo(groupId, 2 * count, id), new PartitionInfo(groupId, 2 * count, id + count));
  }

  /**
   * Whether the partitions together hold every series this one can hold: every residue class modulo the least
   * common multiple of the counts that falls in this partition is in one of them. False (not known to be covered)
   * when that multiple is beyond 2^16, which only counts nobody writes reach.
   */
  public boolean coveredBy(List<PartitionInfo> parts) {
    long lcm = count;
    for (PartitionInfo p : parts) {
      lcm = lcm / gcd(lcm, p.count) * p.count;
      if (lcm > (1 << 16)) {
        return false;
      }
    }
    residues:
    for (long r = id; r < lcm; r += count) {
      for (PartitionInfo p : parts) {
        if (r % p.count == p.id) {
          continue residues;
        }
      }
      return false;
    }
    return true;
  }

  /**
   * The partitioned group id of a compaction's output, as Cortex forms it (FNV-1a 32 over the tenant and the
   * range's start and end, printed in decimal) with the group key in place of the tenant:
   * {@code fnv1a32("<group key><minTime><maxTime>")}, an unsigned 32-bit number.
   */
  public static long groupId(String groupKey, long minTime, long maxTime) {
    int h = 0x811c9dc5;
    for (byte b : (groupKey + minTime + maxTime).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    return Integer.toUnsignedLong(h);
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  // equals and hashCode written out, as toString is: every run keys a map by partition (SourceCoverage), and a
  // record's generated methods are bootstrapped on first use, which made the JVM generate 14 classes at run time
  // (about 18 ms of each run's start, benchmarks/README.md).
  @Override
  public boolean equals(Object o) {
    return o instanceof PartitionInfo p && p.groupId == groupId && p.count == count && p.id == id;
  }

  @Override
  public int hashCode() {
    return (Long.hashCode(groupId) * 31 + count) * 31 + id;
  }

  @Override
  public String toString() {
    return "partition " + id + " of " + count;
  }
}
