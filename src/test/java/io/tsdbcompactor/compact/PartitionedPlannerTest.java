package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The partition count estimate, partition sets as one block, and finishing an incomplete set, over metas alone. */
class PartitionedPlannerTest {
  private static final long H = 3_600_000L;
  private static final GuardedPlanner.IndexSizeLookup NO_SIZES = ulid -> 0;
  private int next;

  private BlockMeta block(long fromH, long toH, long series, PartitionInfo p, List<String> sources) {
    BlockMeta m = new BlockMeta();
    m.ulid = String.format("01J0000000000000000000%04d", next++);
    m.minTime = fromH * H;
    m.maxTime = toH * H;
    m.stats.numSeries = series;
    m.compaction.level = sources.size() > 1 ? 2 : 1;
    List<String> s = new ArrayList<>(sources.isEmpty() ? List.of(m.ulid) : sources);
    if (p.partitioned()) {
      s.add(m.ulid);
    }
    m.compaction.sources = BlockMeta.sortedUnique(s);
    m.thanos().labels = new java.util.TreeMap<>(java.util.Map.of("cluster", "a"));
    m.thanos().extensions = p.extensions(null);
    return m;
  }

  @Test
  void estimateAddsPartitionsCountsReplicasOnceAndTakesTheBiggestRange() throws Exception {
    PartitionedPlanner.Limits limit40 = new PartitionedPlanner.Limits(40, 0);
    List<String> none = List.of();
    // Two replicas of one range hold the same series.
    assertEquals(3, limit40.partitions(List.of(block(0, 2, 100, PartitionInfo.WHOLE, none),
        block(0, 2, 100, PartitionInfo.WHOLE, none)), NO_SIZES));
    // Two partitions of one range hold different series.
    assertEquals(3, limit40.partitions(List.of(block(0, 2, 60, new PartitionInfo(7, 2, 0), none),
        block(0, 2, 60, new PartitionInfo(7, 2, 1), none)), NO_SIZES));
    // Adjacent ranges: the biggest.
    assertEquals(4, limit40.partitions(List.of(block(0, 2, 100, PartitionInfo.WHOLE, none),
        block(2, 4, 150, PartitionInfo.WHOLE, none)), NO_SIZES));
    // At least 32 expected series per partition; no limit, no partitions.
    assertEquals(3, new PartitionedPlanner.Limits(1, 0).partitions(List.of(block(0, 2, 100, PartitionInfo.WHOLE,
        none)), NO_SIZES));
    assertEquals(1, PartitionedPlanner.Limits.NONE.partitions(List.of(block(0, 2, 1_000_000, PartitionInfo.WHOLE,
        none)), NO_SIZES));
  }

  /**
   * A new count leaves room for the hash's uneven split: the biggest of the partitions is planned at its mean plus
   * four standard deviations. Inputs already split into a count whose partitions meet the limits keep it.
   */
  @Test
  void aNewCountLeavesRoomForTheUnevenSplitAnExistingOneThatFitsIsKept() throws Exception {
    List<String> none = List.of();
    List<BlockMeta> million = List.of(block(0, 2, 1_000_000, PartitionInfo.WHOLE, none));
    // Two halves of a million series at a limit of 500,000: one of the two is almost always over it.
    assertEquals(3, new PartitionedPlanner.Limits(500_000, 0).partitions(million, NO_SIZES));
    // Four at 300,000: 250,000 and a spread of about 430 series.
    assertEquals(4, new PartitionedPlanner.Limits(300_000, 0).partitions(million, NO_SIZES));
    assertEquals(4, new PartitionedPlanner.Limits(251_800, 0).partitions(million, NO_SIZES));
    assertEquals(5, new PartitionedPlanner.Limits(251_600, 0).partitions(million, NO_SIZES));
    assertEquals(500_000 + 4 * Math.sqrt(250_000), PartitionedPlanner.Limits.biggestPartition(1_000_000, 2), 1e-6);
    assertEquals(1_000_000, PartitionedPlanner.Limits.biggestPartition(1_000_000, 1), 1e-6);
    // The index size takes the same margin (relative to its mean share).
    long indexBytes = 1_000_000_000L;
    GuardedPlanner.IndexSizeLookup sizes = m -> indexBytes;
    assertEquals(3, new PartitionedPlanner.Limits(0, indexBytes / 2).partitions(million, sizes));
    assertEquals(2, new PartitionedPlanner.Limits(0, indexBytes / 2 + indexBytes / 100).partitions(million, sizes));

    // Three partitions of 119 series each, at a limit of 120: kept, where a new count would take 5.
    List<BlockMeta> three = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      three.add(block(0, 8, 119, new PartitionInfo(9, 3, i), List.of("S" + i)));
    }
    PartitionedPlanner.Limits limit120 = new PartitionedPlanner.Limits(120, 0);
    assertEquals(3, limit120.partitions(three, NO_SIZES));
    assertEquals(5, limit120.partitions(List.of(block(0, 8, 357, PartitionInfo.WHOLE, none)), NO_SIZES));
    // One of them over the limit: a new count.
    three.set(1, block(0, 8, 121, new PartitionInfo(9, 3, 1), List.of("S1")));
    assertEquals(5, limit120.partitions(three, NO_SIZES));
  }

  /** Two complete 8h sets of 3 partitions and two newer 2h blocks: the 2d window is planned over the sets. */
  @Test
  void completeSetsArePlannedAsOneBlockAndPartitionIGoesIntoPartitionI() throws Exception {
    List<BlockMeta> metas = new ArrayList<>();
    for (int range = 0; range < 2; range++) {
      List<String> src = List.of("2H" + range + "A", "2H" + range + "B");
      for (int i = 0; i < 3; i++) {
        metas.add(block(8 * range, 8 * range + 8, 100, new PartitionInfo(range, 3, i), src));
      }
    }
    metas.add(block(48, 50, 300, PartitionInfo.WHOLE, List.of()));
    metas.add(block(50, 52, 300, PartitionInfo.WHOLE, List.of()));
    metas.sort(Group.BY_MIN_TIME);
    CompactorOptions options = CompactorOptions.defaults().withMaxBlockSeries(120);
    PartitionedPlanner planner = PartitionedPlanner.forOptions(options, NO_SIZES, (u, r, d) -> {});
    PartitionedPlanner.Compaction c = planner.plan("0@1", metas, new HashSet<>());
    assertEquals(6, c.inputs().size(), "both sets, whole: " + c.inputUlids());
    assertEquals(3, c.count());
    assertEquals(List.of("2H0A", "2H0B", "2H1A", "2H1B"), c.sources(), "no partition's own ULID");
    for (PartitionInfo p : c.toWrite()) {
      List<BlockMeta> in = c.inputsOf(p);
      assertEquals(2, in.size());
      for (BlockMeta m : in) {
        assertEquals(p.id(), PartitionInfo.of(m).id());
      }
    }
    BlockMeta out = planner.planned(c, c.toWrite().get(1),
        new BlockMerger.Output("01J00000000000000000000OUT", java.util.Map.of("cluster", "a"), 0, null));
    assertEquals(List.of("01J00000000000000000000OUT", "2H0A", "2H0B", "2H1A", "2H1B"), out.compaction.sources);
    assertEquals(100, out.stats.numSeries, "the estimate shared out: 300 / 3");
    assertEquals(new PartitionInfo(c.groupId(), 3, 1), PartitionInfo.of(out));
  }

  @Test
  void anIncompleteSetIsFinishedFromItsInputsBeforeAnythingElse() throws Exception {
    List<BlockMeta> metas = new ArrayList<>();
    List<String> src = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      BlockMeta in = block(2 * i, 2 * i + 2, 100, PartitionInfo.WHOLE, List.of());
      metas.add(in);
      src.add(in.ulid);
    }
    metas.add(block(0, 8, 50, new PartitionInfo(9, 3, 0), src));
    metas.addAll(new PartitionInfo(9, 3, 2).halves().stream().map(p -> block(0, 8, 20, p, src)).toList());
    metas.add(block(48, 50, 100, PartitionInfo.WHOLE, List.of()));
    metas.add(block(50, 52, 100, PartitionInfo.WHOLE, List.of()));
    metas.sort(Group.BY_MIN_TIME);
    PartitionedPlanner planner = PartitionedPlanner.forOptions(CompactorOptions.defaults().withMaxBlockSeries(40),
        NO_SIZES, (u, r, d) -> {});
    PartitionedPlanner.Compaction c = planner.plan("0@1", metas, new HashSet<>());
    assertEquals(src, c.inputUlids(), "the blocks whose sources the set holds");
    assertEquals(List.of(new PartitionInfo(9, 6, 1), new PartitionInfo(9, 6, 4)), c.toWrite(),
        "partition 1 of 3, in the set's finest count");
    assertEquals(3, c.base());
    assertEquals(new PartitionInfo(9, 3, 1), c.owner(c.toWrite().get(1)), "the shard of partition 1 of 3 writes it");
    assertEquals(3, c.existing().size());

    // Without its inputs the set cannot be finished: it is left out, and nothing else is ready.
    Set<String> inputs = new HashSet<>(src);
    List<BlockMeta> without = new ArrayList<>(metas);
    without.removeIf(m -> inputs.contains(m.ulid));
    assertNull(planner.plan("0@1", without, new HashSet<>()));
    assertTrue(PartitionInfo.WHOLE.coveredBy(List.of(new PartitionInfo(9, 3, 0), new PartitionInfo(9, 3, 1),
        new PartitionInfo(9, 6, 2), new PartitionInfo(9, 6, 5))));
  }
}
