package io.tsdbcompactor.downsample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.downsample.DownsampleSelector.Candidate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DownsampleSelectorTest {
  private static final long H = 3_600_000L;

  private static BlockMeta meta(String ulid, long res, long rangeMs, String... sources) {
    BlockMeta m = new BlockMeta();
    m.ulid = ulid;
    m.minTime = 1_000_000;
    m.maxTime = m.minTime + rangeMs;
    m.thanos().resolution = res;
    m.compaction.sources = new ArrayList<>(List.of(sources));
    return m;
  }

  private static List<String> plan(List<BlockMeta> metas, Set<String> noDs, Set<String> deleted) {
    // Thanos visits both tiers' candidates in one pass, in ULID order.
    List<Candidate> all = new ArrayList<>(DownsampleSelector.select(metas, noDs, deleted, Resolution.RAW));
    all.addAll(DownsampleSelector.select(metas, noDs, deleted, Resolution.FIVE_MINUTES));
    all.sort((a, b) -> a.meta().ulid.compareTo(b.meta().ulid));
    List<String> out = new ArrayList<>();
    for (Candidate c : all) {
      out.add(c.toString());
    }
    return out;
  }

  private static final String A = "01AAAAAAAAAAAAAAAAAAAAAAAA";
  private static final String B = "01BBBBBBBBBBBBBBBBBBBBBBBB";
  private static final String C = "01CCCCCCCCCCCCCCCCCCCCCCCC";
  private static final String D = "01DDDDDDDDDDDDDDDDDDDDDDDD";

  @Test
  void rawNeeds40HoursAnd5mNeeds10Days() {
    List<BlockMeta> metas = List.of(
        meta(B, 0, 40 * H, "s1"),
        meta(A, 0, 40 * H - 1, "s2"),
        meta(C, Resolution.FIVE_MINUTES, 240 * H, "s3"),
        meta(D, Resolution.FIVE_MINUTES, 240 * H - 1, "s4"));
    assertEquals(List.of(B + " -> 5m", C + " -> 1h"), plan(metas, Set.of(), Set.of()));
  }

  @Test
  void coveredSourcesAreSkippedAndOrderIsByUlid() {
    List<BlockMeta> metas = List.of(
        meta(D, 0, 48 * H, "s1", "s2"),
        meta(C, 0, 48 * H, "s3", "s4"),
        meta(B, Resolution.FIVE_MINUTES, 48 * H, "s1", "s2", "s9"),
        meta(A, Resolution.ONE_HOUR, 48 * H, "s1"));
    // D is covered by the 5m block B; C is not. B (48h) is too short for 1h; A is final.
    assertEquals(List.of(C + " -> 5m"), plan(metas, Set.of(), Set.of()));

    // Partial coverage is not coverage.
    List<BlockMeta> partial = List.of(meta(D, 0, 48 * H, "s1", "s2"), meta(B, Resolution.FIVE_MINUTES, 48 * H, "s1"));
    assertEquals(List.of(D + " -> 5m"), plan(partial, Set.of(), Set.of()));
  }

  @Test
  void aCopyOverTheSameRangeCoversOnlyWithTheSameSourcesAndWhole() {
    BlockMeta ownCopy = at(meta(A, Resolution.FIVE_MINUTES, 48 * H, "s1", "s2"), 0);
    BlockMeta raw = at(meta(B, 0, 48 * H, "s1", "s2"), 0);
    // Covered by two 5m blocks of other ranges together.
    BlockMeta halves = at(meta(C, 0, 48 * H, "s3", "s4"), 48 * H);
    BlockMeta firstHalf = at(meta("01EEEEEEEEEEEEEEEEEEEEEEEE", Resolution.FIVE_MINUTES, 24 * H, "s3"), 48 * H);
    BlockMeta secondHalf = at(meta("01FFFFFFFFFFFFFFFFFFFFFFFF", Resolution.FIVE_MINUTES, 24 * H, "s4"), 72 * H);
    // Same range, one source short: not covered.
    BlockMeta shortOne = at(meta(D, 0, 48 * H, "s5", "s6"), 96 * H);
    BlockMeta shortCopy = at(meta("01GGGGGGGGGGGGGGGGGGGGGGGG", Resolution.FIVE_MINUTES, 48 * H, "s5"), 96 * H);
    assertEquals(List.of(D + " -> 5m"),
        plan(List.of(ownCopy, raw, halves, firstHalf, secondHalf, shortOne, shortCopy), Set.of(), Set.of()));

    // A partition of the copy holds only some of the series: the raw block is not covered by it.
    ownCopy.thanos().extensions = GoJson.MAPPER.createObjectNode().set(PartitionInfo.EXTENSION,
        GoJson.MAPPER.createObjectNode().put("partitioned_group_id", 7).put("partition_count", 2)
            .put("partition_id", 0));
    assertEquals(List.of(B + " -> 5m"), plan(List.of(ownCopy, raw), Set.of(), Set.of()));
  }

  private static BlockMeta at(BlockMeta m, long offset) {
    long range = m.maxTime - m.minTime;
    m.minTime = 1_000_000 + offset;
    m.maxTime = m.minTime + range;
    return m;
  }

  @Test
  void markedBlocksNeitherDownsampleNorCover() {
    List<BlockMeta> metas = List.of(
        meta(A, 0, 48 * H, "s1"),
        meta(B, 0, 48 * H, "s2"),
        meta(C, Resolution.FIVE_MINUTES, 48 * H, "s2"));
    assertEquals(List.of(B + " -> 5m"), plan(metas, Set.of(A, C), Set.of()));
    assertEquals(List.of(B + " -> 5m"), plan(metas, Set.of(), Set.of(A, C)));
    assertEquals(List.of(A + " -> 5m"), plan(metas, Set.of(), Set.of()));
  }

  @Test
  void unknownResolutionIsAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DownsampleSelector.select(List.of(meta(A, 1000, 48 * H, "s1")), Set.of(), Set.of(), Resolution.RAW));
    assertTrue(e.getMessage().contains(A) && e.getMessage().contains("1000"), e.getMessage());
  }

  @Test
  void retentionShorterThanDownsampleRangeIsRefused() {
    long day = 24 * H;
    DownsampleConfig.checkRetention(0, 0, true);
    DownsampleConfig.checkRetention(40 * H, 10 * day, true);
    DownsampleConfig.checkRetention(H, H, false);
    IllegalArgumentException raw = assertThrows(IllegalArgumentException.class,
        () -> DownsampleConfig.checkRetention(40 * H - 1, 0, true));
    assertTrue(raw.getMessage().contains("--retention.resolution-raw"), raw.getMessage());
    assertTrue(raw.getMessage().contains("(40 hours)"), raw.getMessage());
    IllegalArgumentException fiveM = assertThrows(IllegalArgumentException.class,
        () -> DownsampleConfig.checkRetention(0, 10 * day - 1, true));
    assertTrue(fiveM.getMessage().contains("--retention.resolution-5m"), fiveM.getMessage());
  }
}
