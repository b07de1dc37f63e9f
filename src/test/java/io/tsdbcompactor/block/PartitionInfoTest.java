package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.labels.Labels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Cortex's partition_info layout, the hash split, and the rules that pick and complete partitions. */
class PartitionInfoTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void writesCortexLayoutUnderThanosExtensionsAndReadsItBack() throws Exception {
    PartitionInfo p = new PartitionInfo(3_000_000_000L, 4, 2);
    JsonNode ext = p.extensions(JSON.readTree("{\"other\":1,\"partition_info\":{\"partition_count\":9}}"));
    assertEquals(JSON.readTree("{\"other\":1,\"partition_info\":{\"partitioned_group_id\":3000000000,"
        + "\"partition_count\":4,\"partition_id\":2}}"), ext);
    BlockMeta m = new BlockMeta();
    m.thanos().extensions = ext;
    assertEquals(p, PartitionInfo.of(BlockMeta.parse("t", m.toJsonBytes())));
    // A whole output drops the inputs' partition_info and keeps everything else; nothing left means none.
    assertEquals(JSON.readTree("{\"other\":1}"), PartitionInfo.WHOLE.extensions(ext));
    assertNull(PartitionInfo.WHOLE.extensions(JSON.readTree("{\"partition_info\":{}}")));
    assertNull(PartitionInfo.WHOLE.extensions(null));
    assertEquals(PartitionInfo.WHOLE, PartitionInfo.of(new BlockMeta()));
  }

  @Test
  void seriesGoToExactlyOnePartitionByTheLabelsHashModuloCount() {
    Random r = new Random(7);
    for (int n = 0; n < 500; n++) {
      Labels l = Labels.of("__name__", "m" + r.nextInt(1000), "pod", "p-" + r.nextInt());
      for (int count : new int[] {1, 2, 3, 7}) {
        int holders = 0;
        for (int id = 0; id < count; id++) {
          if (new PartitionInfo(1, count, id).holds(Group.labelsHash(l))) {
            holders++;
            assertEquals(id, Long.remainderUnsigned(Group.labelsHash(l), count));
          }
        }
        assertEquals(1, holders, l + " in " + count);
      }
    }
  }

  @Test
  void outputPartitionReadsExactlyTheInputPartitionsThatCanHoldItsSeries() {
    Random r = new Random(11);
    int[] counts = {1, 2, 3, 4, 6};
    for (int in : counts) {
      for (int out : counts) {
        for (int i = 0; i < in; i++) {
          for (int o = 0; o < out; o++) {
            PartitionInfo a = new PartitionInfo(1, in, i);
            PartitionInfo b = new PartitionInfo(2, out, o);
            boolean shared = false;
            for (int k = 0; k < 2000 && !shared; k++) {
              long h = r.nextLong();
              shared = a.holds(h) && b.holds(h);
            }
            assertEquals(shared, a.canShare(b), a + " / " + b);
          }
        }
      }
    }
    // The same count: partition i of adjacent ranges goes into partition i only.
    assertTrue(new PartitionInfo(1, 3, 1).canShare(new PartitionInfo(2, 3, 1)));
    assertFalse(new PartitionInfo(1, 3, 1).canShare(new PartitionInfo(2, 3, 2)));
  }

  @Test
  void aSetIsCompleteWhenEveryResidueIsHeldHalvesIncluded() {
    List<PartitionInfo> set = new ArrayList<>();
    set.add(new PartitionInfo(5, 3, 0));
    set.add(new PartitionInfo(5, 3, 2));
    assertFalse(PartitionInfo.WHOLE.coveredBy(set));
    set.addAll(new PartitionInfo(5, 3, 1).halves());
    assertEquals(List.of(new PartitionInfo(5, 6, 1), new PartitionInfo(5, 6, 4)), new PartitionInfo(5, 3, 1).halves());
    assertTrue(PartitionInfo.WHOLE.coveredBy(set));
    assertTrue(new PartitionInfo(9, 3, 1).coveredBy(set.subList(2, 4)));
    assertFalse(new PartitionInfo(9, 3, 1).coveredBy(set.subList(2, 3)));
  }

  @Test
  void groupIdIsFnv1a32OfGroupKeyAndRange() {
    // fnv1a32("0@123" + "0" + "7200000"), computed independently of the implementation's loop.
    long h = 0x811c9dc5L;
    for (byte b : "0@12307200000".getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h = ((h ^ (b & 0xff)) * 0x01000193L) & 0xffffffffL;
    }
    assertEquals(h, PartitionInfo.groupId("0@123", 0, 7_200_000));
    assertTrue(PartitionInfo.groupId("0@123", 0, 7_200_000) != PartitionInfo.groupId("0@123", 7_200_000, 14_400_000));
  }

  @Test
  void equalExactlyWhenGroupCountAndIdAreEqual() {
    PartitionInfo p = new PartitionInfo(7, 4, 1);
    assertEquals(p, new PartitionInfo(7, 4, 1));
    assertEquals(p.hashCode(), new PartitionInfo(7, 4, 1).hashCode());
    assertFalse(p.equals(new PartitionInfo(8, 4, 1)));
    assertFalse(p.equals(new PartitionInfo(7, 5, 1)));
    assertFalse(p.equals(new PartitionInfo(7, 4, 2)));
    assertFalse(p.equals(null));
    assertFalse(p.equals("partition 1 of 4"));
    assertEquals(PartitionInfo.WHOLE, new PartitionInfo(0, 1, 0));
    Set<PartitionInfo> distinct = new HashSet<>(List.of(p, new PartitionInfo(7, 4, 1), new PartitionInfo(7, 4, 3),
        new PartitionInfo(0, 1, 0), PartitionInfo.WHOLE));
    assertEquals(Set.of(p, new PartitionInfo(7, 4, 3), PartitionInfo.WHOLE), distinct);
  }
}
