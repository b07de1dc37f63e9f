package io.tsdbcompactor.job;

import java.nio.charset.StandardCharsets;

/**
 * Splits compaction groups over the N pods of one Kubernetes Indexed Job without any coordinator: shard
 * {@code index} of {@code total} owns a group when {@code fnv1a64(groupKey) mod total == index}. The hash is of
 * the group key string alone ({@code <resolution>@<labels hash>}, stable across runs and versions), so every
 * pod computes the same split and no two pods touch one group. Retention and the cleaner follow the same split
 * (a block belongs to its group); partial blocks, which have no readable meta and so no group, are shard 0's.
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

  public boolean owns(String groupKey) {
    return total == 1 || Long.remainderUnsigned(fnv1a64(groupKey), total) == index;
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
