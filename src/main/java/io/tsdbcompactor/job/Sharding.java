package io.tsdbcompactor.job;

import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.labels.Labels;
import java.nio.charset.StandardCharsets;

/**
 * Splits compaction groups over the N pods of one Kubernetes Indexed Job without any coordinator: shard
 * {@code index} of {@code total} owns a block when {@code fnv1a64(streamKey) mod total == index}, where the
 * stream key is the raw group key of the block's external labels ({@code 0@<labels hash>}, replica labels
 * removed). Keying on the labels rather than on the resolution's group keeps the raw, 5m and 1h groups of one
 * label set on one shard: the pod that downsamples a raw block also compacts the 5m group the result lands in,
 * and retention sees every tier of the data it protects. The key is stable across runs and versions, so every
 * pod computes the same split and no two pods touch one group. Retention and the cleaner follow the same split;
 * partial blocks, which have no readable meta and so no labels, are shard 0's.
 */
public record Sharding(int total, int index) {
  public static final Sharding NONE = new Sharding(1, 0);

  public Sharding {
    if (total < 1) {
      throw new IllegalArgumentException("--shard.total must be at least 1, got " + total);
    }
    if (index < 0 || index >= total) {
      throw new IllegalArgumentException("--shard.index must be in [0, " + total + "), got " + index);
    }
  }

  public boolean enabled() {
    return total > 1;
  }

  /** Whether this shard owns the stream with this key ({@link #streamKey}). */
  public boolean owns(String streamKey) {
    return total == 1 || Long.remainderUnsigned(fnv1a64(streamKey), total) == index;
  }

  /** Whether this shard owns the block, whose external labels have the replica labels removed already. */
  public boolean owns(Labels externalLabels) {
    return owns(streamKey(externalLabels));
  }

  /**
   * Whether this shard writes partition {@code p} of a compaction of the group with these labels (replica labels
   * removed): a whole output goes to the group's shard; partition {@code i} of {@code n} of the output with
   * partitioned group id {@code g} is spread by the key {@code <stream key>#<g>/i/n}, so one huge group is compacted
   * by many pods at once, and the partitions of different time ranges land on different pods.
   */
  public boolean owns(Labels externalLabels, PartitionInfo p) {
    if (!p.partitioned()) {
      return owns(externalLabels);
    }
    return owns(streamKey(externalLabels) + "#" + p.groupId() + "/" + p.id() + "/" + p.count());
  }

  /** The key the split hashes: the raw group key of the labels, the same for every resolution. */
  public static String streamKey(Labels externalLabels) {
    return Group.key(externalLabels, 0);
  }

  /** Whether this shard cleans up what belongs to no group (partial uploads). */
  public boolean ownsUngrouped() {
    return index == 0;
  }

  static long fnv1a64(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  @Override
  public String toString() {
    return total == 1 ? "unsharded" : "shard " + index + "/" + total;
  }
}
