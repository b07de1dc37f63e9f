package io.tsdbcompactor.job;

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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One run with the seed's retention (raw 3d, 5m 15d, 1h 90d) over raw blocks spread across 100 days up to now
 * reaches the target state: each tier only as long as its retention, every input source at the finest tier its
 * age allows, nothing overlapping, every surviving raw sample identical to the input, every 5m/1h count
 * aggregate adding up to the raw samples it stands for.
 */
class CompactionRunEndToEndTest {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  private static final long SCRAPE = 5 * 60_000L;
  private static final RetentionPolicy SEED =
      new RetentionPolicy(Duration.ofDays(3), Duration.ofDays(15), Duration.ofDays(90));

  /** Every call moves one second on, so marks written in a run are past a zero delete delay at its end. */
  static final class TickingClock extends Clock {
    private final AtomicLong millis;

    TickingClock(long start) {
      this.millis = new AtomicLong(start);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.addAndGet(1000));
    }
  }

  static SampleBlocks generator() {
    return new SampleBlocks(new SampleBlocks.Spec(100, 8 * H, SCRAPE, 1, Map.of("cluster", "eu1", "replica", "a"), 25, 11));
  }

  static RunOptions options(Path dataDir) {
    return RunOptions.defaults(dataDir).withRetention(SEED).withDelays(Duration.ZERO, Duration.ZERO);
  }

  @Test
  void filesystemBucketReachesTheSeedTargetStateInOneRun(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    SampleBlocks gen = generator();
    long now = (System.currentTimeMillis() / H) * H;
    List<BlockMeta> input = gen.write(bucketDir, now);
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      // --dry-run first: it plans and changes nothing.
      Map<String, Long> before = snapshot(bucketDir);
      CompactorMetrics dryMetrics = new CompactorMetrics(false);
      RunReport dry = new CompactionRun(bucket, options(tmp.resolve("data")).withDryRun(true), dryMetrics,
          new TickingClock(now), RunProgress.NONE).run();
      assertTrue(dry.dryRun);
      assertTrue(dry.actions.stream().anyMatch(a -> a.step().equals(Action.COMPACT)));
      assertTrue(dry.actions.stream().anyMatch(a -> a.step().equals(Action.RETENTION)));
      assertEquals(before, snapshot(bucketDir), "--dry-run changed the bucket");

      CompactorMetrics metrics = new CompactorMetrics(false);
      RunReport r = new CompactionRun(bucket, options(tmp.resolve("data")), metrics, new TickingClock(now),
          RunProgress.NONE).run();
      assertEquals(List.of(), r.failures);
      assertTrue(r.success());
      assertTrue(r.compactions.get() > 0 && r.downsampled5m.get() > 0 && r.downsampled1h.get() > 0, "did work");
      assertTrue(r.retentionMarked.get() > 0 && r.deletedBlocks.get() > 0, "retention deleted blocks");
      String text = metrics.scrape();
      assertTrue(text.contains("thanos_compact_group_compactions_total{resolution=\"0\"}"), text);
      assertTrue(text.contains("thanos_compact_downsample_total{resolution=\"3600000\"}"), text);
      assertTrue(text.contains("thanos_compact_blocks_marked_total{marker=\"deletion-mark.json\",reason=\"retention\"}"), text);

      assertTargetState(bucket, tmp.resolve("check"), gen, input, now);
    }
  }

  @Test
  void s3BucketReachesTheSeedTargetStateInOneRun(@TempDir Path tmp) throws Exception {
    SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(100, 2 * D, SCRAPE, 1, Map.of("cluster", "s3"), 0, 12));
    long now = (System.currentTimeMillis() / H) * H;
    List<BlockMeta> input = gen.write(tmp.resolve("staging"), now);
    try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")))) {
      S3Bucket bucket = new S3Bucket(server.config("e2e"));
      bucket.createBucketIfMissing();
      try (bucket) {
        for (BlockMeta m : input) {
          BlockTransfer.upload(bucket, tmp.resolve("staging").resolve(m.ulid));
        }
        RunReport r = new CompactionRun(bucket, options(tmp.resolve("data")), new CompactorMetrics(false),
            new TickingClock(now), RunProgress.NONE).run();
        assertEquals(List.of(), r.failures);
        assertTargetState(bucket, tmp.resolve("check"), gen, input, now);
      }
    }
  }

  /** Asserts the state of the bucket after one run, reading every surviving block back. */
  static void assertTargetState(Bucket bucket, Path work, SampleBlocks gen, List<BlockMeta> input, long now)
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
    assertEquals(Set.of(Resolution.RAW, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR), byRes.keySet());

    // Nothing overlaps within a resolution.
    for (List<BlockMeta> tier : byRes.values()) {
      tier.sort((a, b) -> Long.compare(a.minTime, b.minTime));
      for (int i = 1; i < tier.size(); i++) {
        assertTrue(tier.get(i - 1).maxTime <= tier.get(i).minTime, "overlap: " + tier.get(i - 1) + " and " + tier.get(i));
      }
    }

    // Every input block's data is at the finest tier its age allows, and gone once past 90 days.
    Map<Long, Set<String>> sources = new HashMap<>();
    byRes.forEach((res, tier) -> tier.forEach(m ->
        sources.computeIfAbsent(res, k -> new HashSet<>()).addAll(m.compaction.sources)));
    for (BlockMeta in : input) {
      long want = !SEED.expired(0, in.maxTime, now) ? Resolution.RAW
          : !SEED.expired(Resolution.FIVE_MINUTES, in.maxTime, now) ? Resolution.FIVE_MINUTES
          : !SEED.expired(Resolution.ONE_HOUR, in.maxTime, now) ? Resolution.ONE_HOUR : -1;
      if (want >= 0) {
        assertTrue(sources.get(want).contains(in.ulid), "input " + in + " lost at " + Resolution.name(want));
      }
    }

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
