package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.retention.RetentionPlanner;
import io.tsdbcompactor.retention.RetentionPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The run's order reaches the seed's target state in one run on a 100-day backlog of 2h blocks. */
class PlanSimulatorTest {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  private static final long NOW = 1_764_028_800_000L; // 2025-11-25T00:00:00Z, a 2h boundary
  private static final RetentionPolicy SEED = new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90));

  static List<BlockMeta> backlog(long now, int days, long blockLength) {
    Random r = new Random(7);
    List<BlockMeta> out = new ArrayList<>();
    for (long t = now - days * D; t + blockLength <= now - 2 * H; t += blockLength) {
      BlockMeta m = new BlockMeta();
      m.ulid = Ulid.generate(t + blockLength, r).toString();
      m.minTime = t;
      m.maxTime = t + blockLength;
      m.compaction.level = 1;
      m.compaction.sources = List.of(m.ulid);
      m.thanos().labels = new TreeMap<>(Map.of("cluster", "eu1", "replica", "a"));
      m.thanos().source = "sidecar";
      m.thanos().files.add(new BlockMeta.FileEntry("index", 1000));
      out.add(m);
    }
    return out;
  }

  @Test
  void oneRunReachesTheSeedTargetStateWithoutLosingA1hTier() {
    RetentionPlanner rp = new RetentionPlanner(SEED, true);
    PlanSimulator sim = new PlanSimulator(CompactorOptions.defaults().ranges(), List.of(), rp, Sharding.NONE, true);
    List<BlockMeta> input = backlog(NOW, 100, 2 * H);
    PlanSimulator.Plan plan = sim.simulate(input, Set.of(), Set.of(), NOW);

    assertFalse(plan.compactions().isEmpty());
    assertTrue(plan.holds().isEmpty(), "nothing is left uncovered: " + plan.holds());
    for (BlockMeta m : plan.survivors()) {
      long res = m.resolution();
      assertFalse(rp.policy().expired(res, m.maxTime, NOW), "survivor past retention: " + m);
    }
    // Every input source is kept at the finest tier its age allows: raw for 3 days, then 5m up to 15 days,
    // then 1h up to 90 days.
    Map<Long, Set<String>> sourcesByRes = new TreeMap<>();
    for (BlockMeta m : plan.survivors()) {
      sourcesByRes.computeIfAbsent(m.resolution(), k -> new HashSet<>()).addAll(m.compaction.sources);
    }
    for (BlockMeta in : input) {
      if (!SEED.expired(Resolution.ONE_HOUR, in.maxTime, NOW) && SEED.expired(Resolution.FIVE_MINUTES, in.maxTime, NOW)) {
        assertTrue(sourcesByRes.get(Resolution.ONE_HOUR).contains(in.ulid), "1h lost " + in);
      }
      if (!SEED.expired(Resolution.FIVE_MINUTES, in.maxTime, NOW) && SEED.expired(Resolution.RAW, in.maxTime, NOW)) {
        assertTrue(sourcesByRes.get(Resolution.FIVE_MINUTES).contains(in.ulid), "5m lost " + in);
      }
      if (!SEED.expired(Resolution.RAW, in.maxTime, NOW)) {
        assertTrue(sourcesByRes.get(Resolution.RAW).contains(in.ulid), "raw lost " + in);
      }
    }
    // Downsampling happened for retention's sake too (the short trailing raw blocks of expired windows).
    assertTrue(plan.downsamplings().stream().anyMatch(d -> d.targetResolution() == Resolution.ONE_HOUR));
  }

  /** Inputs whose data is nowhere at the finest tier their age allows, among the blocks left. */
  private static int lost(List<BlockMeta> input, List<BlockMeta> left, long now) {
    Map<Long, Set<String>> byRes = new TreeMap<>();
    for (BlockMeta m : left) {
      byRes.computeIfAbsent(m.resolution(), k -> new HashSet<>()).addAll(m.compaction.sources);
    }
    int lost = 0;
    for (BlockMeta in : input) {
      long want = !SEED.expired(0, in.maxTime, now) ? Resolution.RAW
          : !SEED.expired(Resolution.FIVE_MINUTES, in.maxTime, now) ? Resolution.FIVE_MINUTES
          : !SEED.expired(Resolution.ONE_HOUR, in.maxTime, now) ? Resolution.ONE_HOUR : -1;
      if (want >= 0 && !byRes.getOrDefault(want, Set.of()).contains(in.ulid)) {
        lost++;
      }
    }
    return lost;
  }

  @Test
  void thanosOrderLosesSomeOfTheBacklogOursLosesNone() {
    long now = NOW + 5 * H; // mid-window, as a CronJob finds it
    List<BlockMeta> input = backlog(now, 100, 2 * H);
    PlanSimulator sim = new PlanSimulator(CompactorOptions.defaults().ranges(), List.of(),
        new RetentionPlanner(SEED, true), Sharding.NONE, true);
    int thanosLost = lost(input, sim.simulateThanosOrder(input, now), now);
    int oursLost = lost(input, sim.simulate(input, Set.of(), Set.of(), now).survivors(), now);
    assertTrue(thanosLost > 0, "Thanos's order (compact, downsample twice, unprotected retention) loses data here");
    assertEquals(0, oursLost);
  }

  @Test
  void shardsSplitTheWorkWithoutOverlap() {
    RetentionPlanner rp = new RetentionPlanner(SEED, true);
    List<BlockMeta> input = new ArrayList<>(backlog(NOW, 20, 2 * H));
    for (BlockMeta m : backlog(NOW, 20, 2 * H)) {
      m.thanos().labels.put("cluster", "us1");
      input.add(m);
    }
    Set<String> seen = new HashSet<>();
    int total = 0;
    for (int i = 0; i < 2; i++) {
      PlanSimulator sim = new PlanSimulator(CompactorOptions.defaults().ranges(), List.of(), rp, new Sharding(2, i), true);
      for (PlanSimulator.Compaction c : sim.simulate(input, Set.of(), Set.of(), NOW).compactions()) {
        for (BlockMeta m : c.inputs()) {
          assertTrue(seen.add(m.ulid + c.groupKey()) , "two shards compact " + m.ulid);
        }
        total++;
      }
    }
    PlanSimulator whole = new PlanSimulator(CompactorOptions.defaults().ranges(), List.of(), rp, Sharding.NONE, true);
    assertEquals(whole.simulate(input, Set.of(), Set.of(), NOW).compactions().size(), total);
  }

  /** A 2d block with over 5% tombstones per series is planned for one rewrite, not rewritten forever. */
  @Test
  void tombstonedBlockIsRewrittenOnce() {
    Random r = new Random(3);
    List<BlockMeta> input = new ArrayList<>();
    long t0 = NOW - 10 * D;
    for (long[] range : new long[][] {{t0, t0 + 2 * D}, {t0 + 2 * D, t0 + 2 * D + 2 * H}}) {
      BlockMeta m = new BlockMeta();
      m.ulid = Ulid.generate(range[1], r).toString();
      m.minTime = range[0];
      m.maxTime = range[1];
      m.compaction.level = 1;
      m.compaction.sources = List.of(m.ulid);
      m.stats.numSeries = 100;
      m.stats.numTombstones = 20;
      m.thanos().labels = new TreeMap<>(Map.of("cluster", "eu1"));
      m.thanos().files.add(new BlockMeta.FileEntry("index", 1000));
      input.add(m);
    }
    PlanSimulator sim = new PlanSimulator(CompactorOptions.defaults().ranges(), List.of(),
        new RetentionPlanner(new RetentionPolicy(Duration.ZERO, Duration.ZERO, Duration.ZERO), true), Sharding.NONE,
        false);
    PlanSimulator.Plan plan = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> sim.simulate(input, Set.of(), Set.of(), NOW), "the simulation must end");
    assertEquals(1, plan.compactions().size(), plan.compactions().toString());
    assertEquals(List.of(input.get(0)), plan.compactions().get(0).inputs());
  }
}
