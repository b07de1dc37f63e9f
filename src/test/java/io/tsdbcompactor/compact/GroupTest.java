package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GroupTest {

  @Test
  void groupKeyMatchesThanosVectors() {
    assertEquals("0@17241709254077376921", Group.key(Labels.EMPTY, 0));
    assertEquals("0@2124638872457683483", Group.key(Labels.of("foo", "bar", "foo1", "bar2"), 0));
    assertEquals("300000@2124638872457683483", Group.key(Labels.of("foo", "bar", "foo1", "bar2"), 300000));
  }

  @Test
  void xxhashStreamingEqualsOneShotAcrossStripeBoundaries() {
    Random r = new Random(42);
    for (int len = 0; len < 200; len++) {
      byte[] data = new byte[len];
      r.nextBytes(data);
      XxHash64 whole = new XxHash64();
      whole.update(data);
      XxHash64 pieces = new XxHash64();
      int i = 0;
      while (i < len) {
        int n = Math.min(len - i, 1 + r.nextInt(40));
        if (n == 1) {
          pieces.update(data[i]);
        } else {
          pieces.update(data, i, n);
        }
        i += n;
      }
      assertEquals(whole.digest(), pieces.digest(), "length " + len);
    }
    // Known xxHash64 vector (seed 0).
    XxHash64 abc = new XxHash64();
    abc.update("abc".getBytes(StandardCharsets.UTF_8));
    assertEquals(0x44BC2CF5AD770999L, abc.digest());
  }

  static BlockMeta meta(String ulid, long min, long max, Map<String, String> labels, long res) {
    BlockMeta m = new BlockMeta();
    m.ulid = ulid;
    m.minTime = min;
    m.maxTime = max;
    m.thanos().labels = labels;
    m.thanos().resolution = res;
    return m;
  }

  @Test
  void grouperSplitsByLabelsAndResolutionAndDropsReplicaLabels() {
    List<BlockMeta> metas = List.of(
        meta("01H00000000000000000000003", 40, 60, Map.of("cluster", "a", "replica", "1"), 0),
        meta("01H00000000000000000000001", 0, 20, Map.of("cluster", "a", "replica", "2"), 0),
        meta("01H00000000000000000000002", 0, 20, Map.of("cluster", "b"), 0),
        meta("01H00000000000000000000004", 0, 20, Map.of("cluster", "a", "replica", "1"), 300000));
    List<Group> plain = new Grouper(List.of()).group(metas);
    assertEquals(4, plain.size());
    List<Group> groups = new Grouper(List.of("replica")).group(metas);
    assertEquals(3, groups.size());
    Group a = groups.stream().filter(g -> g.resolution() == 0 && g.labels().get("cluster").equals("a"))
        .findFirst().orElseThrow();
    assertEquals(Labels.of("cluster", "a"), a.labels());
    assertEquals(List.of("01H00000000000000000000001", "01H00000000000000000000003"),
        a.metas().stream().map(m -> m.ulid).toList());
    for (int i = 1; i < groups.size(); i++) {
      assertEquals(true, groups.get(i - 1).key().compareTo(groups.get(i).key()) < 0, "sorted by key");
    }
  }

  @Test
  void extensionsAreTheIntersectionOfMapValuedBlocks() throws Exception {
    Group g = new Group(Labels.EMPTY, 0);
    BlockMeta m1 = meta("01H00000000000000000000001", 0, 20, Map.of(), 0);
    m1.thanos.extensions = GoJson.MAPPER.readTree("{\"a\":1,\"b\":2,\"c\":3}");
    BlockMeta m2 = meta("01H00000000000000000000002", 20, 40, Map.of(), 0);
    m2.thanos.extensions = GoJson.MAPPER.readTree("{\"a\":9,\"c\":9}");
    BlockMeta m3 = meta("01H00000000000000000000003", 40, 60, Map.of(), 0);
    g.add(m3);
    g.add(m2);
    g.add(m1);
    assertEquals("{\"a\":1,\"c\":3}", GoJson.compact(g.extensions()));
    assertNull(new Group(Labels.EMPTY, 0).extensions());
  }
}
