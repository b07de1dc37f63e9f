package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Cases from Thanos's pkg/compact/planner_test.go (ranges 20, 60, 180, 540, 1620; first task only). */
class PlannerTest {
  static final long[] RANGES = {20, 60, 180, 540, 1620};

  /** Block n (its ULID ends in n) covering [min, max). */
  static BlockMeta b(int n, long min, long max) {
    BlockMeta m = new BlockMeta();
    m.ulid = String.format("01H000000000000000000000%02d", n);
    m.minTime = min;
    m.maxTime = max;
    return m;
  }

  static BlockMeta tomb(BlockMeta m, long series, long tombstones) {
    m.stats.numSeries = series;
    m.stats.numTombstones = tombstones;
    return m;
  }

  static Arguments c(String name, List<BlockMeta> metas, int[] excluded, int... expected) {
    return Arguments.of(name, metas, excluded, expected);
  }

  static final int[] NONE = {};

  static Stream<Arguments> cases() {
    return Stream.of(
        c("outside range", List.of(b(1, 0, 20)), NONE),
        c("wait for four blocks of size 20", List.of(b(1, 0, 20), b(2, 20, 40)), NONE),
        c("three, but the fresh one is ignored", List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60)), NONE),
        c("block filling the parent range appeared",
            List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)), NONE, 1, 2, 3),
        c("blocks fill the 2nd parent range",
            List.of(b(6, 0, 60), b(7, 60, 120), b(8, 120, 180), b(9, 180, 200), b(10, 200, 220)), NONE, 6, 7, 8),
        c("next range appeared after a gap, fresh ignored", List.of(b(1, 0, 20), b(2, 20, 40), b(4, 60, 80)), NONE),
        c("gap of 20 between second and third: compact the two",
            List.of(b(1, 0, 20), b(2, 20, 40), b(4, 60, 80), b(5, 80, 100)), NONE, 1, 2),
        c("20, 20, 20, 60, 60",
            List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 120), b(5, 120, 180)), NONE, 1, 2, 3),
        c("2nd parent range with a gap",
            List.of(b(6, 0, 60), b(8, 120, 180), b(9, 180, 200), b(10, 200, 220)), NONE, 6, 8),
        c("two sets fill single ranges, third set the next range: first set",
            List.of(b(7, 0, 60), b(8, 60, 120), b(9, 120, 180), b(1, 180, 200), b(2, 200, 220), b(3, 220, 240),
                b(4, 240, 260), b(5, 260, 280), b(6, 280, 300), b(10, 300, 320)), NONE, 1, 2, 3),
        c("20, 60, 20, 60, 240: compact 20 + 60 + 60",
            List.of(b(2, 20, 40), b(4, 60, 120), b(6, 120, 180), b(7, 720, 960), b(5, 960, 980)), NONE, 2, 4, 6),
        c("large block with many tombstones, no fresh block", List.of(tomb(b(1, 0, 540), 10, 3)), NONE),
        c("large block with many tombstones when fresh appears",
            List.of(tomb(b(1, 0, 540), 10, 3), b(2, 540, 560)), NONE, 1),
        c("small block with tombstones is left", List.of(tomb(b(1, 0, 60), 10, 3), b(2, 60, 80)), NONE),
        c("zero tombstones and series do not loop", List.of(tomb(b(1, 0, 540), 0, 0), b(2, 540, 560)), NONE),
        c("freshness is by minTime, not ULID",
            List.of(b(5, 0, 360), b(7, 360, 420), b(8, 420, 540), b(6, 540, 560)), NONE, 7, 8),
        c("overlapping 1", List.of(b(1, 0, 20), b(2, 19, 40), b(3, 40, 60)), NONE, 1, 2),
        c("overlapping 2", List.of(b(1, 0, 20), b(2, 20, 40), b(3, 30, 50)), NONE, 2, 3),
        c("overlapping 3", List.of(b(1, 0, 20), b(2, 10, 40), b(3, 30, 50)), NONE, 1, 2, 3),
        c("overlapping 4", List.of(b(5, 0, 360), b(6, 340, 560), b(7, 360, 420), b(8, 420, 540)), NONE, 5, 6, 7, 8),
        c("multiple independent overlaps: first cluster",
            List.of(b(1, 0, 10), b(2, 9, 20), b(3, 17, 35), b(4, 35, 50), b(5, 47, 60)), NONE, 1, 2, 3),
        // TestTSDBBasedPlanner_PlanWithNoCompactMarks
        c("outside range and excluded", List.of(b(1, 0, 20)), new int[] {1}),
        c("fill parent, first excluded",
            List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)), new int[] {1}, 2, 3),
        c("fill parent, second excluded",
            List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)), new int[] {2}),
        c("fill parent, last excluded",
            List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)), new int[] {4}, 1, 2, 3),
        c("fill parent, first and last excluded",
            List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)), new int[] {1, 4}, 2, 3),
        c("fill parent, all excluded",
            List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)), new int[] {1, 2, 3, 4}),
        c("gap, second excluded",
            List.of(b(1, 0, 20), b(2, 20, 40), b(4, 60, 80), b(5, 80, 100)), new int[] {2}),
        c("20 + 60 + 60 with the third excluded",
            List.of(b(2, 20, 40), b(4, 60, 120), b(6, 120, 180), b(7, 720, 960), b(5, 960, 980)),
            new int[] {6}, 2, 4),
        c("20 + 60 + 60 with the second excluded",
            List.of(b(2, 20, 40), b(4, 60, 120), b(6, 120, 180), b(7, 720, 960), b(5, 960, 980)), new int[] {4}),
        c("tombstones but excluded", List.of(tomb(b(1, 0, 540), 10, 3), b(2, 540, 560)), new int[] {1}),
        c("overlapping 1, one excluded", List.of(b(1, 0, 20), b(2, 19, 40), b(3, 40, 60)), new int[] {1}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void plansAsThanos(String name, List<BlockMeta> metas, int[] excluded, int[] expected) {
    List<BlockMeta> sorted = new ArrayList<>(metas);
    sorted.sort(Group.BY_MIN_TIME);
    Set<String> ex = new HashSet<>();
    for (int e : excluded) {
      ex.add(String.format("01H000000000000000000000%02d", e));
    }
    List<String> plan = new Planner(RANGES).plan(sorted, ex).stream().map(m -> m.ulid).collect(Collectors.toList());
    List<String> want = new ArrayList<>();
    for (int e : expected) {
      want.add(String.format("01H000000000000000000000%02d", e));
    }
    assertEquals(want, plan, name);
  }

  @Test
  void rangeWithFailedCompactionIsNotSelected() {
    List<List<BlockMeta>> cases = List.of(
        List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)),
        List.of(b(1, 0, 20), b(2, 20, 40), b(4, 60, 80), b(5, 80, 100)),
        List.of(b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 120), b(5, 120, 180), b(6, 180, 200)));
    for (List<BlockMeta> metas : cases) {
      metas.get(1).compaction.failed = true;
      assertTrue(new Planner(RANGES).plan(metas, Set.of()).isEmpty(), metas.toString());
    }
  }

  @Test
  void splitByRangeHandlesNegativeTimesWithFloor() {
    List<List<BlockMeta>> parts = Planner.splitByRange(List.of(b(1, -40, -20), b(2, -20, 0), b(3, 0, 20)), 40);
    assertEquals(2, parts.size());
    assertEquals(List.of("01H00000000000000000000001", "01H00000000000000000000002"),
        parts.get(0).stream().map(m -> m.ulid).collect(Collectors.toList()));
  }

  @Test
  void defaultRangesAreThanosCompactionSet() {
    assertEquals(5, CompactorOptions.defaults().ranges().length);
    assertEquals(7_200_000L, CompactorOptions.defaults().ranges()[1]);
    assertEquals(2, CompactorOptions.rangesForMaxLevel(1).length);
    assertThrows(IllegalArgumentException.class, () -> CompactorOptions.rangesForMaxLevel(5));
  }
}
