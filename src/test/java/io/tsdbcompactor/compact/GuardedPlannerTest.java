package io.tsdbcompactor.compact;

import static io.tsdbcompactor.compact.PlannerTest.b;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tsdbcompactor.block.BlockMeta;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GuardedPlannerTest {
  final List<String> marks = new ArrayList<>();

  GuardedPlanner planner(long limit, Map<String, Long> bucketSizes) {
    return new GuardedPlanner(new Planner(PlannerTest.RANGES), limit, true,
        ulid -> bucketSizes.getOrDefault(ulid, 0L),
        (ulid, reason, details) -> marks.add(ulid + " " + reason + " " + details));
  }

  static BlockMeta withIndex(BlockMeta m, long size) {
    m.thanos().files.add(new BlockMeta.FileEntry("index", size));
    return m;
  }

  @Test
  void bigIndexTotalMarksTheBiggestBlockAndReplans() throws Exception {
    List<BlockMeta> metas = List.of(withIndex(b(1, 0, 20), 10), withIndex(b(2, 20, 40), 50),
        b(3, 40, 60), withIndex(b(4, 60, 80), 10));
    Set<String> excluded = new HashSet<>();
    // Block 3's size comes from the bucket: 10 + 50 + 30 = 90 >= 0.85 * 100.
    List<BlockMeta> plan = planner(100, Map.of(b(3, 0, 0).ulid, 30L)).plan(metas, excluded);
    assertEquals(List.of(), plan, "with block 2 excluded no run of two is left in [0,60)");
    assertEquals(Set.of(metas.get(1).ulid), excluded);
    assertEquals(List.of(metas.get(1).ulid + " index-size-exceeding largeTotalIndexSizeFilter: Total compacted "
        + "block's index size could exceed: 100 with this block. See https://github.com/thanos-io/thanos/issues/1424"),
        marks);
  }

  @Test
  void underTheLimitNothingIsMarked() throws Exception {
    List<BlockMeta> metas = List.of(withIndex(b(1, 0, 20), 10), withIndex(b(2, 20, 40), 10),
        withIndex(b(3, 40, 60), 10), withIndex(b(4, 60, 80), 10));
    assertEquals(3, planner(1000, Map.of()).plan(metas, new HashSet<>()).size());
    assertEquals(List.of(), marks);
  }

  @Test
  void overlappingDownsampledBlocksAreMarkedNotMerged() throws Exception {
    BlockMeta d1 = withIndex(b(1, 0, 30), 1);
    d1.thanos().resolution = 300000;
    BlockMeta d2 = withIndex(b(2, 0, 60), 1);
    d2.thanos().resolution = 300000;
    Set<String> excluded = new HashSet<>();
    assertEquals(List.of(), planner(1000, Map.of()).plan(List.of(d1, d2), excluded));
    assertEquals(Set.of(d1.ulid, d2.ulid), excluded);
    assertEquals(2, marks.size());
  }
}
