package io.tsdbcompactor.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RetentionPlannerTest {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  private static final long NOW = 1_764_000_000_000L; // a fixed clock
  private static final RetentionPolicy SEED =
      new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90));
  private final Random random = new Random(42);

  private BlockMeta block(long res, long minTime, long maxTime, String... sources) {
    BlockMeta m = new BlockMeta();
    m.ulid = Ulid.generate(minTime, random).toString();
    m.minTime = minTime;
    m.maxTime = maxTime;
    m.thanos().resolution = res;
    m.compaction.level = 1;
    m.compaction.sources = sources.length == 0 ? List.of(m.ulid) : List.of(sources);
    return m;
  }

  private static Set<String> ulids(List<BlockMeta> metas) {
    return metas.stream().map(m -> m.ulid).collect(Collectors.toSet());
  }

  @Test
  void expiryIsMeasuredFromMaxTimeTruncatedToSecondsAndIsStrict() {
    long maxTime = NOW - 3 * D + 999; // truncates to NOW - 3d exactly (NOW is whole seconds)
    assertFalse(SEED.expired(0, maxTime, NOW), "exactly at the boundary is kept");
    assertTrue(SEED.expired(0, maxTime, NOW + 1));
    assertTrue(SEED.expired(RetentionPolicy.RES_1H, NOW - 91 * D, NOW));
    assertFalse(SEED.expired(RetentionPolicy.RES_1H, NOW - 89 * D, NOW));
    assertFalse(RetentionPolicy.KEEP_FOREVER.expired(0, 0, NOW), "zero keeps forever");
    assertFalse(SEED.expired(7, 0, NOW), "unknown resolutions are kept");
    assertEquals("block exceeding retention of 12w6d", SEED.deletionDetails(RetentionPolicy.RES_1H));
  }

  @Test
  void withoutDownsamplingEveryExpiredBlockIsDeleted() {
    BlockMeta oldRaw = block(0, NOW - 10 * D, NOW - 8 * D);
    BlockMeta newRaw = block(0, NOW - 2 * D, NOW);
    BlockMeta old5m = block(RetentionPolicy.RES_5M, NOW - 30 * D, NOW - 16 * D);
    RetentionPlanner p = new RetentionPlanner(SEED, false);
    RetentionPlanner.Plan plan = p.plan(List.of(oldRaw, newRaw, old5m), NOW, Set.of(), Set.of());
    assertEquals(Set.of(oldRaw.ulid, old5m.ulid),
        plan.deletions().stream().map(d -> d.meta().ulid).collect(Collectors.toSet()));
    assertTrue(plan.holds().isEmpty());
    assertTrue(p.mustDownsampleFirst(List.of(oldRaw), 0, NOW, Set.of(), Set.of()).isEmpty());
  }

  /** A 5m block that failed to read covers nothing: the raw data it should hold is downsampled again and kept. */
  @Test
  void aDamagedCoarserBlockCoversNothing() {
    BlockMeta raw = block(0, NOW - 12 * D, NOW - 10 * D);
    BlockMeta fiveM = block(RetentionPolicy.RES_5M, NOW - 12 * D, NOW - 10 * D, raw.ulid);
    List<BlockMeta> metas = List.of(raw, fiveM);
    RetentionPlanner p = new RetentionPlanner(SEED, true);

    assertEquals(Set.of(raw.ulid), ulids(p.mustDownsampleFirst(metas, 0, NOW, Set.of(), Set.of(fiveM.ulid))));
    RetentionPlanner.Plan damaged = p.plan(metas, NOW, Set.of(), Set.of(fiveM.ulid));
    assertTrue(damaged.deletions().isEmpty());
    assertEquals(Set.of(raw.ulid), damaged.holds().stream().map(h -> h.meta().ulid).collect(Collectors.toSet()));

    assertTrue(p.mustDownsampleFirst(metas, 0, NOW, Set.of(), Set.of()).isEmpty());
    assertEquals(Set.of(raw.ulid), p.plan(metas, NOW, Set.of(), Set.of()).deletions().stream()
        .map(d -> d.meta().ulid).collect(Collectors.toSet()));
  }

  @Test
  void uncoveredExpiredRawIsDownsampledFirstAndHeldMeanwhile() {
    BlockMeta covered = block(0, NOW - 12 * D, NOW - 10 * D);
    BlockMeta covering5m = block(RetentionPolicy.RES_5M, NOW - 12 * D, NOW - 10 * D, covered.ulid);
    BlockMeta shortUncovered = block(0, NOW - 6 * D, NOW - 6 * D + 8 * H); // under 40 h: Thanos never downsamples it
    BlockMeta fresh = block(0, NOW - 2 * D, NOW);
    List<BlockMeta> metas = List.of(covered, covering5m, shortUncovered, fresh);
    RetentionPlanner p = new RetentionPlanner(SEED, true);

    assertEquals(Set.of(shortUncovered.ulid), ulids(p.mustDownsampleFirst(metas, 0, NOW, Set.of(), Set.of())));
    RetentionPlanner.Plan plan = p.plan(metas, NOW, Set.of(), Set.of());
    assertEquals(List.of(covered.ulid), plan.deletions().stream().map(d -> d.meta().ulid).toList());
    assertEquals(List.of(shortUncovered.ulid), plan.holds().stream().map(h -> h.meta().ulid).toList());

    // Once its 5m block exists, it goes.
    BlockMeta nowCovered = block(RetentionPolicy.RES_5M, shortUncovered.minTime, shortUncovered.maxTime, shortUncovered.ulid);
    List<BlockMeta> after = List.of(covered, covering5m, shortUncovered, fresh, nowCovered);
    assertTrue(p.mustDownsampleFirst(after, 0, NOW, Set.of(), Set.of()).isEmpty());
    assertEquals(Set.of(covered.ulid, shortUncovered.ulid),
        p.plan(after, NOW, Set.of(), Set.of()).deletions().stream().map(d -> d.meta().ulid).collect(Collectors.toSet()));
  }

  @Test
  void fiveMinuteDataNeedsOneHourCoverageAndADeleted5mBlockCoversNothing() {
    // Raw retention longer than 5m retention: the 5m block expires first and is not covered by 1h,
    // so it is held, and still covers the raw block.
    RetentionPolicy odd = new RetentionPolicy(Duration.ofDays(20), Duration.ofDays(15), Duration.ofDays(90));
    BlockMeta raw = block(0, NOW - 40 * D, NOW - 26 * D);
    BlockMeta fiveM = block(RetentionPolicy.RES_5M, raw.minTime, raw.maxTime, raw.ulid);
    RetentionPlanner p = new RetentionPlanner(odd, true);
    List<BlockMeta> metas = List.of(raw, fiveM);
    assertEquals(Set.of(fiveM.ulid), ulids(p.mustDownsampleFirst(metas, RetentionPolicy.RES_5M, NOW, Set.of(), Set.of())));
    RetentionPlanner.Plan plan = p.plan(metas, NOW, Set.of(), Set.of());
    assertEquals(List.of(fiveM.ulid), plan.holds().stream().map(h -> h.meta().ulid).toList());
    assertEquals(List.of(raw.ulid), plan.deletions().stream().map(d -> d.meta().ulid).toList());

    // With a 1h block over the same source, both go; and if the 5m block is deleted the 1h still covers raw.
    BlockMeta oneH = block(RetentionPolicy.RES_1H, raw.minTime, raw.maxTime, raw.ulid);
    RetentionPlanner.Plan plan2 = p.plan(List.of(raw, fiveM, oneH), NOW, Set.of(), Set.of());
    assertEquals(Set.of(raw.ulid, fiveM.ulid),
        plan2.deletions().stream().map(d -> d.meta().ulid).collect(Collectors.toSet()));
    assertTrue(plan2.holds().isEmpty());

    // Data past the 1h retention too is not protected at any tier: all of it goes.
    BlockMeta ancient = block(0, NOW - 200 * D, NOW - 190 * D);
    BlockMeta ancient5m = block(RetentionPolicy.RES_5M, ancient.minTime, ancient.maxTime, ancient.ulid);
    BlockMeta ancient1h = block(RetentionPolicy.RES_1H, ancient.minTime, ancient.maxTime, ancient.ulid);
    RetentionPlanner.Plan plan3 = p.plan(List.of(ancient, ancient5m, ancient1h), NOW, Set.of(), Set.of());
    assertEquals(Set.of(ancient1h.ulid, ancient5m.ulid, ancient.ulid),
        plan3.deletions().stream().map(d -> d.meta().ulid).collect(Collectors.toSet()));
    assertTrue(plan3.holds().isEmpty());
    assertTrue(p.mustDownsampleFirst(List.of(ancient, ancient5m), RetentionPolicy.RES_5M, NOW, Set.of(), Set.of()).isEmpty());

    // Only the 1h tier keeps 40-day-old data; an uncovered 40-day-old 5m block is held for it.
    BlockMeta mid5m = block(RetentionPolicy.RES_5M, NOW - 54 * D, NOW - 40 * D);
    RetentionPlanner.Plan plan4 = p.plan(List.of(mid5m), NOW, Set.of(), Set.of());
    assertEquals(List.of(mid5m.ulid), plan4.holds().stream().map(h -> h.meta().ulid).toList());
  }

  @Test
  void noDownsampleMarkedBlocksExpireAsInThanos() {
    BlockMeta raw = block(0, NOW - 6 * D, NOW - 6 * D + 2 * H);
    RetentionPlanner p = new RetentionPlanner(SEED, true);
    assertTrue(p.mustDownsampleFirst(List.of(raw), 0, NOW, Set.of(raw.ulid), Set.of()).isEmpty());
    assertEquals(1, p.plan(List.of(raw), NOW, Set.of(raw.ulid), Set.of()).deletions().size());
  }
}
