package io.tsdbcompactor.job;

import static io.tsdbcompactor.job.RunOptionsFixtures.withRetention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.S3Bucket;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.downsample.AggrChunk;
import io.tsdbcompactor.downsample.AggrType;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.SyncResult;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One run with the seed's retention (raw 3d, 5m 15d, 1h 90d) over raw blocks spread across 100 days up to now
 * reaches the target state: each tier only as long as its retention, every input source at the finest tier its
 * age allows, nothing overlapping, every surviving raw sample identical to the input, every 5m/1h count
 * aggregate adding up to the raw samples it stands for. "Now" is a fixed instant (the outcome depends on where it
 * falls among the aligned blocks), and a sweep moves it across a whole 2-day block period.
 */
class CompactionRunEndToEndTest {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  /**
   * A fixed "now" at which the newest 2-day raw block is younger than the raw retention, so every tier has blocks
   * left (a day later it would not: {@link #retentionHoldsAtEveryInstantOfATwoDayBlockPeriod} covers both).
   */
  static final long NOW = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();
  private static final long SCRAPE = 5 * 60_000L;
  private static final RetentionPolicy SEED =
      new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90));

  static SampleBlocks generator() {
    return new SampleBlocks(new SampleBlocks.Spec(100, 8 * H, SCRAPE, 1, Map.of("cluster", "eu1", "replica", "a"), 25, 11));
  }

  static RunOptions options(Path dataDir) {
    return withRetention(RunOptions.defaults(dataDir), SEED).withDelays(Duration.ZERO, Duration.ZERO);
  }

  @Test
  void filesystemBucketReachesTheSeedTargetStateInOneRun(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    SampleBlocks gen = generator();
    long now = NOW;
    List<BlockMeta> input = gen.write(bucketDir, now);
    TickingClock clock = new TickingClock(now);
    try (Bucket bucket = new FilesystemBucket(bucketDir, clock)) {
      // --dry-run first: it plans and changes nothing.
      Map<String, Long> before = snapshot(bucketDir);
      CompactorMetrics dryMetrics = new CompactorMetrics(false);
      RunReport dry = new CompactionRun(bucket, options(tmp.resolve("data")).withDryRun(true), dryMetrics,
          clock, RunProgress.NONE).run();
      assertTrue(dry.dryRun);
      assertTrue(dry.actions.stream().anyMatch(a -> a.step().equals(Action.COMPACT)));
      assertTrue(dry.actions.stream().anyMatch(a -> a.step().equals(Action.RETENTION)));
      assertEquals(before, snapshot(bucketDir), "--dry-run changed the bucket");

      CompactorMetrics metrics = new CompactorMetrics(false);
      clock.set(now);
      RunReport r = new CompactionRun(bucket, options(tmp.resolve("data")), metrics, clock, RunProgress.NONE).run();
      assertEquals(List.of(), r.failures);
      assertTrue(r.success());
      assertTrue(r.compactions.get() > 0 && r.downsampled5m.get() > 0 && r.downsampled1h.get() > 0, "did work");
      assertTrue(r.retentionMarked.get() > 0 && r.deletedBlocks.get() > 0, "retention deleted blocks");
      String text = metrics.scrape();
      assertTrue(text.contains("thanos_compact_group_compactions_total{resolution=\"0\"}"), text);
      assertTrue(text.contains("thanos_compact_downsample_total{resolution=\"3600000\"}"), text);
      assertTrue(text.contains("thanos_compact_blocks_marked_total{marker=\"deletion-mark.json\",reason=\"retention\"}"), text);

      assertEquals(Set.of(Resolution.RAW, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR),
          assertTargetState(bucket, tmp.resolve("check"), gen, input, r.startMillis));
      // The new blocks were linked from the work directory (same file system); once the run is over no object
      // shares its data with a file outside the bucket.
      try (Stream<Path> files = Files.walk(bucketDir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          assertEquals(1, Files.getAttribute(f, "unix:nlink"), f + " still shares its data");
        }
      }
    }
  }

  @Test
  void s3BucketReachesTheSeedTargetStateInOneRun(@TempDir Path tmp) throws Exception {
    SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(100, 2 * D, SCRAPE, 1, Map.of("cluster", "s3"), 0, 12));
    long now = NOW;
    List<BlockMeta> input = gen.write(tmp.resolve("staging"), now);
    try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")))) {
      S3Bucket bucket = new S3Bucket(server.config("e2e"));
      S3TestBuckets.create(server.config("e2e"));
      try (bucket) {
        for (BlockMeta m : input) {
          BlockTransfer.upload(bucket, tmp.resolve("staging").resolve(m.ulid));
        }
        RunReport r = new CompactionRun(bucket, options(tmp.resolve("data")), new CompactorMetrics(false),
            new TickingClock(now), RunProgress.NONE).run();
        assertEquals(List.of(), r.failures);
        assertEquals(Set.of(Resolution.RAW, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR),
            assertTargetState(bucket, tmp.resolve("check"), gen, input, r.startMillis));
      }
    }
  }

  /**
   * 2-day raw blocks aligned to the epoch against a 3-day raw retention: whether any raw block survives depends on
   * where "now" falls in the 2-day period (for half of it the newest uploaded block is already past retention).
   * Every 6 hours across one whole period, starting on a period boundary, one run must reach the state the policy
   * asks for at that instant; the sweep must see both outcomes.
   */
  @Test
  void retentionHoldsAtEveryInstantOfATwoDayBlockPeriod(@TempDir Path tmp) throws Exception {
    SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(20, 2 * D, SCRAPE, 1, Map.of("cluster", "sweep"), 0, 13));
    long periodStart = Math.floorDiv(NOW, 2 * D) * 2 * D;
    Set<Boolean> rawSurvived = new HashSet<>();
    for (long now = periodStart; now <= periodStart + 2 * D; now += 6 * H) {
      Path run = tmp.resolve(Instant.ofEpochMilli(now).toString().replace(':', '-'));
      Path bucketDir = run.resolve("bucket");
      List<BlockMeta> input = gen.write(bucketDir, now);
      TickingClock clock = new TickingClock(now);
      try (Bucket bucket = new FilesystemBucket(bucketDir, clock)) {
        RunReport r = new CompactionRun(bucket, options(run.resolve("data")), new CompactorMetrics(false), clock,
            RunProgress.NONE).run();
        String at = "now = " + Instant.ofEpochMilli(r.startMillis);
        assertEquals(List.of(), r.failures, at);
        Set<Long> tiers;
        try {
          tiers = assertTargetState(bucket, run.resolve("check"), gen, input, r.startMillis);
        } catch (AssertionError e) {
          throw new AssertionError(at + ": " + e.getMessage(), e);
        }
        rawSurvived.add(tiers.contains(Resolution.RAW));
      }
    }
    assertEquals(Set.of(true, false), rawSurvived, "the sweep crosses the instant the newest raw block expires");
  }

  /**
   * Asserts the state of the bucket after one run at {@code now} (the instant the run judged retention by),
   * reading every surviving block back; returns the resolutions that have blocks left.
   */
  static Set<Long> assertTargetState(Bucket bucket, Path work, SampleBlocks gen, List<BlockMeta> input, long now)
      throws IOException {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = Duration.ZERO;
    o.deleteDelay = Duration.ZERO;
    SyncResult s = new BlockSyncer(bucket, null, o).sync();
    assertTrue(s.partial().isEmpty(), "no partial blocks left: " + s.partial());
    List<BlockMeta> survivors = new ArrayList<>();
    for (BlockMeta m : s.allMetas().values()) {
      assertFalse(s.deletionMarks().containsKey(m.ulid), "marked blocks were deleted at the end (delete-delay 0): " + m);
      survivors.add(m);
    }
    Map<Long, List<BlockMeta>> byRes = new TreeMap<>();
    for (BlockMeta m : survivors) {
      assertFalse(SEED.expired(m.resolution(), m.maxTime, now), "survivor past its retention: " + m);
      byRes.computeIfAbsent(m.resolution(), k -> new ArrayList<>()).add(m);
    }

    // Nothing overlaps within a resolution.
    for (List<BlockMeta> tier : byRes.values()) {
      tier.sort((a, b) -> Long.compare(a.minTime, b.minTime));
      for (int i = 1; i < tier.size(); i++) {
        assertTrue(tier.get(i - 1).maxTime <= tier.get(i).minTime, "overlap: " + tier.get(i - 1) + " and " + tier.get(i));
      }
    }

    // Every input block's data is at the finest tier its age allows, and gone once past 90 days; so the tiers
    // left are exactly those some input must be kept at.
    Map<Long, Set<String>> sources = new HashMap<>();
    byRes.forEach((res, tier) -> tier.forEach(m ->
        sources.computeIfAbsent(res, k -> new HashSet<>()).addAll(m.compaction.sources)));
    Set<Long> wanted = new HashSet<>();
    for (BlockMeta in : input) {
      long want = !SEED.expired(0, in.maxTime, now) ? Resolution.RAW
          : !SEED.expired(Resolution.FIVE_MINUTES, in.maxTime, now) ? Resolution.FIVE_MINUTES
          : !SEED.expired(Resolution.ONE_HOUR, in.maxTime, now) ? Resolution.ONE_HOUR : -1;
      if (want >= 0) {
        wanted.add(want);
        assertTrue(sources.getOrDefault(want, Set.of()).contains(in.ulid),
            "input " + in + " lost at " + Resolution.name(want));
      }
    }
    assertEquals(wanted, byRes.keySet(), "resolutions with blocks left");

    // Surviving raw samples are exactly the input's, each once; aggregates count exactly the raw samples.
    for (BlockMeta m : survivors) {
      Path dir = work.resolve(m.ulid);
      BlockTransfer.download(bucket, m.ulid, dir);
      try (BlockReader r = BlockReader.open(new FsDirectory(dir))) {
        BlockReader.Series series = r.series();
        int n = 0;
        while (series.next()) {
          n++;
          if (m.resolution() == Resolution.RAW) {
            assertRawSeries(gen, m, series.labels(), series.loadChunks());
          } else {
            assertCounts(gen, m, series.labels(), series.loadChunks());
          }
        }
        assertEquals(gen.series().size(), n, "every series in " + m);
      }
    }
    return byRes.keySet();
  }

  private static void assertRawSeries(SampleBlocks gen, BlockMeta m, Labels l, List<ChunkMeta> chunks) throws IOException {
    long expectT = gen.firstSampleAtOrAfter(m.minTime);
    XorIterator it = new XorIterator();
    for (ChunkMeta c : chunks) {
      assertEquals(ChunkEncoding.XOR, c.chunk.encoding());
      it.reset(m.ulid, c.chunk.data());
      while (it.next()) {
        assertEquals(expectT, it.timestamp(), l + " in " + m);
        assertEquals(Double.doubleToLongBits(gen.value(l, expectT)), Double.doubleToLongBits(it.value()), l + " @" + expectT);
        expectT += SCRAPE;
      }
    }
    assertEquals(m.maxTime, expectT, "raw samples of " + l + " cover " + m + " without gaps");
  }

  private static void assertCounts(SampleBlocks gen, BlockMeta m, Labels l, List<ChunkMeta> chunks) throws IOException {
    double count = 0;
    for (ChunkMeta c : chunks) {
      AggrChunk a = AggrChunk.parse(m.ulid, c.chunk);
      SampleIterator it = a.iterator(AggrType.COUNT);
      while (it.next()) {
        count += it.value();
      }
    }
    long expected = (m.maxTime - gen.firstSampleAtOrAfter(m.minTime) + SCRAPE - 1) / SCRAPE;
    assertEquals(expected, (long) count, "count aggregates of " + l + " in " + m + " add up to the raw samples");
  }

  static Map<String, Long> snapshot(Path dir) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        out.put(dir.relativize(p).toString(), Files.size(p) * 31 + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return out;
  }
}
