package io.tsdbcompactor.job;

import static io.tsdbcompactor.job.RunOptionsFixtures.withRetention;
import static io.tsdbcompactor.job.RunOptionsFixtures.withSharding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * On the same bucket, {@code compact --dry-run} predicts exactly what the run then does: the two action lists
 * are equal as multisets of (step, resolution, min time, max time, sources). The buckets hold backlogs,
 * overlapping uploads, leftovers of an unfinished compaction, unreadable and partial blocks, marks of every kind
 * (old and fresh deletion marks, no-compact, an operator's and a corrupted-block no-downsample mark on expired
 * blocks), retention cut-offs across the tiers, and shards. The clock is fixed.
 */
class DryRunMatchesRunTest {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  /** 2025-11-25T05:00:00Z: not on a 2d or 14d boundary, as a CronJob finds the bucket. */
  private static final long NOW = 1_764_046_800_000L;
  private static final RetentionPolicy SEED =
      new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90));

  /** A generated bucket and the flags of the run over it. */
  record Scenario(String name, int days, int groups, int overlapEvery, boolean damage, RunOptions options,
      List<String> steps) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> scenarios() {
    List<String> all = List.of(Action.DELETE, Action.GARBAGE_COLLECT, Action.COMPACT, Action.RETIRE,
        Action.DOWNSAMPLE, Action.RETENTION, Action.RETENTION_HOLD);
    List<String> basic = List.of(Action.COMPACT, Action.RETIRE, Action.DOWNSAMPLE, Action.RETENTION);
    RunOptions base = RunOptions.defaults(Path.of("data")).withDelays(Duration.ofMinutes(30), Duration.ofHours(1));
    return Stream.of(
        Arguments.of(new Scenario("backlog with seed retention", 18, 1, 0, false, withRetention(base, SEED), basic)),
        Arguments.of(new Scenario("overlaps, bad blocks and marks of every kind", 18, 1, 5, true,
            withRetention(base, SEED), all)),
        Arguments.of(new Scenario("tight cut-offs: raw 2d, 5m 6d, 1h 12d", 14, 1, 0, true,
            withRetention(base, new RetentionPolicy(Duration.ofDays(2), Duration.ofDays(6), Duration.ofDays(12))),
            all.subList(0, all.size() - 1))),
        Arguments.of(new Scenario("downsampling off, raw 5d", 9, 1, 4, true, new RunOptions(Path.of("data"),
            Duration.ofMinutes(30), Duration.ofHours(1), new RetentionPolicy(Duration.ofDays(5), Duration.ZERO,
            Duration.ZERO), 1, 1, false, List.of(), "", null, false, Sharding.NONE, RunOptions.Tuning.DEFAULTS),
            List.of(Action.DELETE, Action.GARBAGE_COLLECT, Action.COMPACT, Action.RETIRE, Action.RETENTION))),
        Arguments.of(new Scenario("shard 0 of 2", 7, 4, 6, true, withSharding(withRetention(base, SEED), new Sharding(2, 0)),
            basic)),
        Arguments.of(new Scenario("shard 1 of 2", 7, 4, 6, true, withSharding(withRetention(base, SEED), new Sharding(2, 1)),
            basic)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void dryRunPredictsTheRun(Scenario sc, @TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      generate(sc, bucketDir, bucket);
      Clock clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
      RunOptions options = new RunOptions(tmp.resolve("data"), sc.options().consistencyDelay(),
          sc.options().deleteDelay(), sc.options().retention(), 2, 2, sc.options().downsampling(),
          sc.options().replicaLabels(), "", null, false, sc.options().sharding(), RunOptions.Tuning.DEFAULTS);

      RunReport dry = new CompactionRun(bucket, options.withDryRun(true), new CompactorMetrics(false), clock,
          RunProgress.NONE).run();
      RunReport real = new CompactionRun(bucket, options, new CompactorMetrics(false), clock, RunProgress.NONE).run();

      assertTrue(dry.dryRun);
      assertFalse(real.dryRun);
      assertFalse(real.actions.isEmpty(), "the run did something");
      assertEquals(keys(dry.actions), keys(real.actions), "dry run and run differ on " + sc);
      java.util.Set<String> steps = new java.util.TreeSet<>();
      real.actions.forEach(a -> steps.add(a.step()));
      assertTrue(steps.containsAll(sc.steps()), "expected " + sc.steps() + ", the run did " + steps);
      assertEquals(keys(real.predicted), keys(real.actions), "the run's own plan");
      for (Action a : dry.actions) {
        if (a.step().equals(Action.COMPACT) || a.step().equals(Action.DOWNSAMPLE)) {
          assertEquals(null, a.ulid(), "a block the dry run predicts has no ULID yet: " + a);
        }
      }
      for (Action a : real.actions) {
        assertTrue(a.ulid() != null && Ulid.isValid(a.ulid()) || a.step().equals(Action.DELETE), a.toString());
      }
      if (sc.damage() && sc.options().sharding().ownsUngrouped()) {
        assertTrue(real.actions.stream().anyMatch(a -> a.step().equals(Action.DELETE)), "old marks and partials deleted");
      }
      // The report file says the same.
      Path file = tmp.resolve("report.json");
      ReportFile.write(file, real);
      String json = Files.readString(file);
      assertTrue(json.contains("\"dry_run\" : false"), json.substring(0, Math.min(200, json.length())));
    }
  }

  /** The multiset of action keys, as a sorted map of key to count. */
  private static Map<String, Integer> keys(List<Action> actions) {
    Map<String, Integer> out = new TreeMap<>();
    synchronized (actions) {
      for (Action a : actions) {
        out.merge(a.key(), 1, Integer::sum);
      }
    }
    return out;
  }

  private static void generate(Scenario sc, Path bucketDir, Bucket bucket) throws IOException {
    List<BlockMeta> all = new ArrayList<>();
    List<SampleBlocks> gens = new ArrayList<>();
    for (int g = 0; g < sc.groups(); g++) {
      SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(sc.days(), 8 * H, 30 * 60_000L, 1,
          Map.of("cluster", "c" + g, "replica", "a"), sc.overlapEvery(), 100 + g));
      gens.add(gen);
      all.addAll(gen.write(bucketDir, NOW));
    }
    if (!sc.damage()) {
      return;
    }
    Random random = new Random(5);
    List<BlockMeta> raw = new ArrayList<>(all);
    raw.sort((a, b) -> Long.compare(a.minTime, b.minTime));
    // Leftover of a compaction that uploaded its block but did not mark its inputs: garbage collection's work.
    for (int i = raw.size() - 2; i > raw.size() / 2; i--) {
      BlockMeta a = raw.get(i - 1);
      BlockMeta b = raw.get(i);
      if (a.externalLabels().equals(b.externalLabels()) && a.maxTime == b.minTime) {
        BlockMeta c = gens.get(0).writeBlock(bucketDir, a.minTime, b.maxTime, random);
        c.thanos.labels = new TreeMap<>(a.thanos.labels);
        c.compaction.level = 2;
        c.compaction.sources = BlockMeta.sortedUnique(List.of(a.ulid, b.ulid));
        c.thanos.source = "compactor";
        Files.write(bucketDir.resolve(c.ulid).resolve(BlockMeta.FILE_NAME), c.toJsonBytes());
        break;
      }
    }
    // Marks of every kind: an old deletion mark (deleted now), a fresh one (left alone), no-compact, an operator's
    // no-downsample mark and a corrupted block's marks on expired raw blocks (the first lets its block expire,
    // the second holds its block past retention: the run and the dry run must agree on that).
    Markers.write(bucket, new Marker.DeletionMark(raw.get(1).ulid, "old", (NOW - 2 * H) / 1000));
    Markers.write(bucket, new Marker.DeletionMark(raw.get(3).ulid, "fresh", (NOW - 10 * 60_000L) / 1000));
    Markers.write(bucket, new Marker.NoCompactMark(raw.get(raw.size() / 2).ulid, "by hand", NOW / 1000 - 100,
        Marker.REASON_MANUAL));
    Markers.write(bucket, new Marker.NoDownsampleMark(raw.get(5).ulid, "operator", NOW / 1000 - 100,
        Marker.REASON_MANUAL));
    Markers.write(bucket, new Marker.NoDownsampleMark(raw.get(6).ulid, "unreadable chunk", NOW / 1000 - 100,
        Marker.REASON_CORRUPTED_BLOCK));
    Markers.write(bucket, new Marker.NoCompactMark(raw.get(6).ulid, "unreadable chunk", NOW / 1000 - 100,
        Marker.REASON_CORRUPTED_BLOCK));
    // A meta.json that does not parse: named, left alone by both.
    Path broken = bucketDir.resolve(Ulid.generate(NOW - 5 * D, random).toString());
    Files.createDirectories(broken);
    Files.writeString(broken.resolve(BlockMeta.FILE_NAME), "{not json", StandardCharsets.UTF_8);
    // An aborted upload three days old (deleted) and one an hour old (still being uploaded: left alone).
    for (long age : new long[] {3 * D, H}) {
      Path partial = bucketDir.resolve(Ulid.generate(NOW - age, random).toString());
      Files.createDirectories(partial.resolve("chunks"));
      Path chunk = partial.resolve("chunks/000001");
      Files.write(chunk, new byte[] {1, 2, 3});
      Files.setLastModifiedTime(chunk, FileTime.fromMillis(NOW - age));
    }
    // A block uploaded five minutes ago: too fresh for the consistency delay, so neither touches it.
    BlockMeta fresh = gens.get(0).writeBlock(bucketDir, NOW - 2 * H, NOW - H, random);
    Path freshDir = bucketDir.resolve(fresh.ulid);
    String freshUlid = Ulid.generate(NOW - 5 * 60_000L, random).toString();
    Files.move(freshDir, bucketDir.resolve(freshUlid));
    fresh.ulid = freshUlid;
    fresh.compaction.sources = List.of(freshUlid);
    Files.write(bucketDir.resolve(freshUlid).resolve(BlockMeta.FILE_NAME), fresh.toJsonBytes());
  }
}
