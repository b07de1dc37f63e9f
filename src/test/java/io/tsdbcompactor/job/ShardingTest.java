package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShardingTest {
  @Test
  void everyGroupHasExactlyOneOwnerAndTheSplitIsStable() {
    int total = 4;
    int[] perShard = new int[total];
    for (int g = 0; g < 1000; g++) {
      String key = (g % 3 == 0 ? "0" : g % 3 == 1 ? "300000" : "3600000") + "@" + (1234567L * g);
      int owners = 0;
      for (int i = 0; i < total; i++) {
        if (new Sharding(total, i).owns(key)) {
          owners++;
          perShard[i]++;
        }
      }
      assertEquals(1, owners, key);
    }
    for (int n : perShard) {
      assertTrue(n > 150, "groups spread over shards: " + java.util.Arrays.toString(perShard));
    }
    // Pinned values: the split must never change between versions, or two versions in one rollout would overlap.
    assertEquals(0xaf63dc4c8601ec8cL, Sharding.fnv1a64("a"));
    assertEquals(0xcbf29ce484222325L, Sharding.fnv1a64(""));
    assertTrue(Sharding.NONE.owns("anything"));
  }

  @Test
  void rejectsBadShardFlags() {
    assertThrows(IllegalArgumentException.class, () -> new Sharding(0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Sharding(3, 3));
    assertThrows(IllegalArgumentException.class, () -> new Sharding(3, -1));
  }
}
