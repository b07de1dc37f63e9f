package io.tsdbcompactor.job;

import static io.tsdbcompactor.job.RunOptionsFixtures.withRetention;
import static io.tsdbcompactor.job.RunOptionsFixtures.withSharding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.MemoryBucket;
import io.tsdbcompactor.compact.BlockMerger;
import io.tsdbcompactor.compact.CompactedMeta;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.Planner;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.downsample.DownsampleSelector;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.SortedMap;
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

/**
 * The dry run over metas alone (no blocks read): the run's order reaches the seed's target state in one run on a
 * 100-day backlog of 2h blocks, where Thanos's order loses data; shards split the work; a tombstoned block is
 * rewritten once.
 */
class DryRunPlanTest {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  private static final long NOW = 1_764_028_800_000L; // 2025-11-25T00:00:00Z, a 2h boundary
  private static final RetentionPolicy SEED = new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90));


  /** What a dry run predicts over {@code metas}: its actions and the blocks it would leave. */
  record Plan(List<Action> actions, List<BlockMeta> survivors) {
    List<Action> of(String step) {
      return actions.stream().filter(a -> a.step().equals(step)).toList();
    }
  }

  static Plan dryRun(List<BlockMeta> metas, RunOptions options, long now) throws IOException {
    SortedMap<String, BlockMeta> all = new TreeMap<>();
    metas.forEach(m -> all.put(m.ulid, m));
    SyncResult s = new SyncResult(new ArrayList<>(all.values()), all, new TreeMap<>(), new TreeMap<>(), new TreeMap<>(),
        new TreeMap<>(), Set.of(), Set.of(), new TreeMap<>(), Map.of(), Instant.ofEpochMilli(now));
    CompactionRun run = new CompactionRun(new MemoryBucket(), options, new CompactorMetrics(false),
        Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC), RunProgress.NONE);
    BucketState state = BucketState.of(s);
    List<Action> actions = run.simulate(state);
    return new Plan(actions, run.workable(state));
  }

  static RunOptions seed() {
    return withRetention(RunOptions.defaults(Path.of("unused")), SEED);
  }

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
  void oneRunReachesTheSeedTargetStateWithoutLosingA1hTier() throws IOException {
    RetentionPlanner rp = new RetentionPlanner(SEED, true);
    List<BlockMeta> input = backlog(NOW, 100, 2 * H);
    Plan plan = dryRun(input, seed(), NOW);

    assertFalse(plan.of(Action.COMPACT).isEmpty());
    assertTrue(plan.of(Action.RETENTION_HOLD).isEmpty(), "nothing is left uncovered: " + plan.of(Action.RETENTION_HOLD));
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
    assertTrue(plan.of(Action.DOWNSAMPLE).stream().anyMatch(d -> d.resolution() == Resolution.ONE_HOUR));
    // Planned blocks have no ULID yet; the sources are always the original blocks'.
    for (Action a : plan.of(Action.COMPACT)) {
      assertNull(a.ulid());
      assertTrue(a.sources().size() > 1, a.toString());
    }
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
  void thanosOrderLosesSomeOfTheBacklogOursLosesNone() throws IOException {
    long now = NOW + 5 * H; // mid-window, as a CronJob finds it
    List<BlockMeta> input = backlog(now, 100, 2 * H);
    int thanosLost = lost(input, thanosOrder(input, now), now);
    int oursLost = lost(input, dryRun(input, seed(), now).survivors(), now);
    assertTrue(thanosLost > 0, "Thanos's order (compact, downsample twice, unprotected retention) loses data here");
    assertEquals(0, oursLost);
  }

  @Test
  void shardsSplitTheWorkWithoutOverlap() throws IOException {
    List<BlockMeta> input = new ArrayList<>(backlog(NOW, 20, 2 * H));
    for (BlockMeta m : backlog(NOW, 20, 2 * H)) {
      m.thanos().labels.put("cluster", "us1");
      input.add(m);
    }
    Set<String> seen = new HashSet<>();
    int total = 0;
    for (int i = 0; i < 2; i++) {
      Plan plan = dryRun(input, withSharding(seed(), new Sharding(2, i)), NOW);
      for (Action a : plan.of(Action.RETIRE)) {
        assertTrue(seen.add(a.key()), "two shards compact " + a);
      }
      total += plan.of(Action.COMPACT).size();
    }
    assertTrue(total > 0);
    assertEquals(dryRun(input, seed(), NOW).of(Action.COMPACT).size(), total);
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
    RunOptions noDownsampling = new RunOptions(Path.of("unused"), Duration.ofMinutes(30), Duration.ofHours(48),
        RetentionPolicy.KEEP_FOREVER, 1, 1, false, List.of(), "", null, true, Sharding.NONE, RunOptions.Tuning.DEFAULTS);
    Plan plan = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> dryRun(input, noDownsampling, NOW), "the simulation must end");
    assertEquals(1, plan.of(Action.COMPACT).size(), plan.actions().toString());
    assertEquals(List.of(input.get(0).ulid), plan.of(Action.RETIRE).stream().map(Action::ulid).toList());
  }

  /**
   * Thanos's order, for comparison: compact every resolution, downsample twice by the range rules alone, then
   * retention without any last-copy protection. Returns the blocks left.
   */
  private static List<BlockMeta> thanosOrder(List<BlockMeta> metas, long now) {
    Random ulids = new Random(1);
    List<BlockMeta> state = new ArrayList<>(metas);
    Planner planner = new Planner(CompactorOptions.defaults().ranges());
    for (long res : new long[] {Resolution.RAW, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR}) {
      List<BlockMeta> group = new ArrayList<>();
      for (BlockMeta m : state) {
        if (m.resolution() == res) {
          group.add(m);
        }
      }
      group.sort(Group.BY_MIN_TIME);
      while (true) {
        List<BlockMeta> inputs = planner.plan(group, Set.of());
        if (inputs.isEmpty()) {
          break;
        }
        BlockMeta out = CompactedMeta.planned(new BlockMerger.Output(Ulid.generate(now, ulids).toString(),
            inputs.get(0).thanos().labels, res, null), inputs);
        group.removeAll(inputs);
        state.removeAll(inputs);
        group.add(out);
        group.sort(Group.BY_MIN_TIME);
        state.add(out);
      }
    }
    for (long res : new long[] {Resolution.RAW, Resolution.FIVE_MINUTES}) {
      for (DownsampleSelector.Candidate c : DownsampleSelector.select(new ArrayList<>(state), Set.of(), Set.of(), res)) {
        state.add(BlockDownsampler.outputMeta(c.meta(), c.targetResolution(), Ulid.generate(now, ulids).toString()));
      }
    }
    Set<String> deleted = new HashSet<>();
    new RetentionPlanner(SEED, false).plan(state, now, Set.of(), Set.of()).deletions().forEach(d -> deleted.add(d.meta().ulid));
    state.removeIf(m -> deleted.contains(m.ulid));
    return state;
  }
}
