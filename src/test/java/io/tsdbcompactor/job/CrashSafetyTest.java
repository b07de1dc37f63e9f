package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.BucketException;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ObjectAttributes;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.sync.SyncResult;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A crash at any step of a compaction run loses nothing, and the next run repairs the bucket to the state an
 * uninterrupted run reaches. The crash is a bucket that, from one chosen call on, fails every call (the process
 * is gone as far as the bucket can tell); the chosen call either fails before reaching the store or after the
 * store did it (the reply was lost).
 */
class CrashSafetyTest {
  private static final long H = 3_600_000L;

  /** Where the process dies: the n-th (0-based) call of an operation on a key with this suffix. */
  enum CrashPoint {
    DOWNLOAD_CHUNKS("GET", "/chunks/000001", 0, false),
    DOWNLOAD_INDEX_LATER_BLOCK("GET", "/index", 3, false),
    UPLOAD_CHUNKS("UPLOAD", "/chunks/000001", 0, false),
    UPLOAD_INDEX("UPLOAD", "/index", 0, false),
    UPLOAD_META("UPLOAD", "/meta.json", 0, false),
    UPLOAD_META_REPLY_LOST("UPLOAD", "/meta.json", 0, true),
    MARK_FIRST_SOURCE("UPLOAD", "/deletion-mark.json", 0, false),
    MARK_THIRD_SOURCE("UPLOAD", "/deletion-mark.json", 2, false),
    MARK_THIRD_SOURCE_REPLY_LOST("UPLOAD", "/deletion-mark.json", 2, true),
    CLEANER_DELETES_META("DELETE", "/meta.json", 0, false),
    CLEANER_DELETES_INDEX("DELETE", "/index", 0, false),
    CLEANER_DELETES_MARK("DELETE", "/deletion-mark.json", 0, false),
    CLEANER_SECOND_BLOCK("DELETE", "/meta.json", 1, true);

    final String op;
    final String suffix;
    final int nth;
    final boolean afterCall;

    CrashPoint(String op, String suffix, int nth, boolean afterCall) {
      this.op = op;
      this.suffix = suffix;
      this.nth = nth;
      this.afterCall = afterCall;
    }
  }

  /** Passes calls through until the crash point, then fails every call; records every call in order. */
  static final class CrashingBucket implements Bucket {
    final Bucket delegate;
    final CrashPoint point;
    final List<String> journal = Collections.synchronizedList(new ArrayList<>());
    private int seen;
    volatile boolean crashed;

    CrashingBucket(Bucket delegate, CrashPoint point) {
      this.delegate = delegate;
      this.point = point;
    }

    private synchronized boolean hit(String op, String key) {
      return point != null && op.equals(point.op) && key.endsWith(point.suffix) && seen++ == point.nth;
    }

    private void before(String op, String key) throws IOException {
      journal.add(op + " " + key);
      if (crashed) {
        throw new BucketException("process died before " + op + " " + key, false);
      }
      if (point != null && !point.afterCall && hit(op, key)) {
        crashed = true;
        throw new BucketException("crash at " + op + " " + key, false);
      }
    }

    private void after(String op, String key) throws IOException {
      if (point != null && point.afterCall && hit(op, key)) {
        crashed = true;
        throw new BucketException("crash after " + op + " " + key + " (the store did it)", false);
      }
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
      before("LIST", prefix);
      delegate.list(prefix, recursive, visitor);
    }

    @Override
    public InputStream get(String key) throws IOException {
      before("GET", key);
      InputStream in = delegate.get(key);
      after("GET", key);
      return in;
    }

    @Override
    public InputStream getRange(String key, long offset, long length) throws IOException {
      before("GET_RANGE", key);
      return delegate.getRange(key, offset, length);
    }

    @Override
    public boolean exists(String key) throws IOException {
      before("EXISTS", key);
      return delegate.exists(key);
    }

    @Override
    public ObjectAttributes attributes(String key) throws IOException {
      before("ATTRIBUTES", key);
      return delegate.attributes(key);
    }

    @Override
    public void upload(String key, InputStream in, long length) throws IOException {
      before("UPLOAD", key);
      delegate.upload(key, in, length);
      after("UPLOAD", key);
    }

    @Override
    public void delete(String key) throws IOException {
      before("DELETE", key);
      delegate.delete(key);
      after("DELETE", key);
    }
  }

  /** What an uninterrupted run of the same input reaches: the bucket's state and its samples. */
  record Baseline(List<String> state, Set<String> samples) {}

  @TempDir
  static Path shared;
  private static Baseline promtool;
  private static Baseline downsampling;
  /**
   * "Now" of the first run of each test; later runs move it on. The FILESYSTEM buckets date their objects by the
   * same clock, so partial uploads age with it.
   */
  private static final long NOW = CompactionRunEndToEndTest.NOW;

  /** The uninterrupted run over {@link PromtoolBucket#build}, computed once for every crash point. */
  static synchronized Baseline promtoolBaseline() throws IOException {
    if (promtool == null) {
      Path tmp = shared.resolve("promtool");
      TickingClock clock = new TickingClock(NOW);
      try (Bucket bucket = new FilesystemBucket(tmp.resolve("baseline"), clock)) {
        List<String> input = PromtoolBucket.build(bucket, tmp.resolve("staging-baseline"));
        Set<String> original = PromtoolBucket.samples(bucket, tmp.resolve("dump0"), Set.of());
        settle(bucket, tmp.resolve("data-baseline"), clock, NOW);
        promtool = new Baseline(state(bucket, input), original);
      }
    }
    return promtool;
  }

  static SampleBlocks downsamplingInput() {
    return new SampleBlocks(new SampleBlocks.Spec(7, 48 * H, 300_000, 1, Map.of("cluster", "ds"), 0, 5));
  }

  /** The uninterrupted run over three 48 h raw blocks: each downsampled to 5m. */
  static synchronized Baseline downsamplingBaseline() throws IOException {
    if (downsampling == null) {
      Path tmp = shared.resolve("downsampling");
      TickingClock clock = new TickingClock(NOW);
      try (Bucket bucket = new FilesystemBucket(tmp.resolve("baseline"), clock)) {
        List<String> input = ulids(downsamplingInput().write(tmp.resolve("baseline"), NOW));
        Set<String> original = PromtoolBucket.samples(bucket, tmp.resolve("dump0"), Set.of());
        settle(bucket, tmp.resolve("data-baseline"), clock, NOW);
        List<String> expected = state(bucket, input);
        assertTrue(expected.stream().anyMatch(l -> l.contains("res=300000")), "the baseline downsampled: " + expected);
        downsampling = new Baseline(expected, original);
      }
    }
    return downsampling;
  }

  static RunOptions options(Path dataDir) {
    return RunOptions.defaults(dataDir).withDelays(Duration.ZERO, Duration.ZERO);
  }

  /** One run starting at {@code start} on {@code clock}. */
  static RunReport runOnce(Bucket bucket, Path dataDir, TickingClock clock, long start) throws IOException {
    clock.set(start);
    return new CompactionRun(bucket, options(dataDir), new CompactorMetrics(false), clock, RunProgress.NONE).run();
  }

  /**
   * What the bucket holds, ULIDs of new blocks aside: per visible block its group, resolution, range, sources and
   * stats; plus the partial blocks and the input blocks that still have objects.
   */
  static List<String> state(Bucket bucket, List<String> input) throws IOException {
    SyncResult s = PromtoolBucket.sync(bucket);
    List<String> out = new ArrayList<>();
    for (BlockMeta m : s.allMetas().values()) {
      String marked = s.deletionMarks().containsKey(m.ulid) ? " marked" : "";
      out.add(m.thanos.labels + " res=" + m.resolution() + " [" + m.minTime + "," + m.maxTime + ") sources="
          + new TreeSet<>(m.compaction.sources) + " samples=" + m.stats.numSamples + " series=" + m.stats.numSeries
          + " chunks=" + m.stats.numChunks + marked + (input.contains(m.ulid) ? " input " + m.ulid : ""));
    }
    out.add("partial=" + s.partial().keySet());
    Collections.sort(out);
    return out;
  }

  /** Runs until nothing changes. */
  static void repair(Bucket bucket, Path dataDir, TickingClock clock, long start) throws IOException {
    for (int i = 0; i < 2; i++) {
      RunReport r = runOnce(bucket, dataDir, clock, start + i * H);
      assertEquals(List.of(), r.failures, "a clean run repairs without failures");
    }
  }

  /** Runs until nothing changes, then once more 49 h later (partial uploads are past their threshold then). */
  static void settle(Bucket bucket, Path dataDir, TickingClock clock, long start) throws IOException {
    repair(bucket, dataDir, clock, start);
    RunReport r = runOnce(bucket, dataDir, clock, start + 49 * H);
    assertEquals(List.of(), r.failures);
  }

  @ParameterizedTest
  @EnumSource(CrashPoint.class)
  void crashLosesNothingAndTheNextRunRepairs(CrashPoint point, @TempDir Path tmp) throws Exception {
    long now = NOW;
    Baseline base = promtoolBaseline();
    List<String> expected = base.state();
    Set<String> original = base.samples();

    TickingClock clock = new TickingClock(now);
    try (Bucket store = new FilesystemBucket(tmp.resolve("bucket"), clock)) {
      List<String> input = PromtoolBucket.build(store, tmp.resolve("staging"));
      CrashingBucket crashing = new CrashingBucket(store, point);
      try {
        RunReport r = runOnce(crashing, tmp.resolve("data"), clock, now);
        assertFalse(r.success(), "a run that lost its bucket half way does not succeed: " + r.failures);
      } catch (IOException e) {
        // the run ended at its next sync: the bucket was gone
      }
      assertTrue(crashing.crashed, "the crash point was reached: " + point);

      // Nothing lost: the visible blocks hold every sample, whatever the crash left behind.
      assertEquals(original, PromtoolBucket.samples(store, tmp.resolve("dump1"), Set.of()), "samples after the crash");

      // The next runs repair the bucket to the uninterrupted state; an interrupted delete is finished at once,
      // only uploads that died wait for the 48 h partial-upload threshold.
      repair(store, tmp.resolve("data"), clock, now + H);
      if (point.op.equals("DELETE") || point.op.equals("GET")) {
        assertEquals(expected, state(store, input), "repaired without waiting 48 h");
      }
      settle(store, tmp.resolve("data"), clock, now + 3 * H);
      assertEquals(expected, state(store, input));
      assertEquals(original, PromtoolBucket.samples(store, tmp.resolve("dump2"), Set.of()), "samples after repair");
    }
  }

  /**
   * The order of bucket operations in a run: each new block's chunks, then its index, then its meta.json, and
   * only then the deletion marks of its sources; sources are deleted only after their mark and after the
   * replacement's meta.json.
   */
  @Test
  void newBlockIsWholeBeforeItsSourcesAreMarked(@TempDir Path tmp) throws Exception {
    TickingClock clock = new TickingClock(NOW);
    try (Bucket store = new FilesystemBucket(tmp.resolve("bucket"), clock)) {
      List<String> input = PromtoolBucket.build(store, tmp.resolve("staging"));
      CrashingBucket journaled = new CrashingBucket(store, null);
      RunReport r = runOnce(journaled, tmp.resolve("data"), clock, NOW);
      assertEquals(List.of(), r.failures);
      List<String> j = new ArrayList<>(journaled.journal);
      SyncResult s = PromtoolBucket.sync(store);
      int checked = 0;
      for (BlockMeta m : s.allMetas().values()) {
        if (input.contains(m.ulid)) {
          continue;
        }
        int meta = j.indexOf("UPLOAD " + m.ulid + "/meta.json");
        int index = j.indexOf("UPLOAD " + m.ulid + "/index");
        assertTrue(index >= 0 && index < meta, "index before meta.json of " + m.ulid);
        for (int i = 0; i < j.size(); i++) {
          if (j.get(i).startsWith("UPLOAD " + m.ulid + "/chunks/")) {
            assertTrue(i < index, j.get(i) + " before the index");
          }
        }
        for (String src : m.compaction.sources) {
          int mark = j.indexOf("UPLOAD " + src + "/deletion-mark.json");
          if (mark >= 0) {
            assertTrue(mark > meta, "source " + src + " marked after meta.json of " + m.ulid);
          }
          int delete = j.indexOf("DELETE " + src + "/meta.json");
          if (delete >= 0) {
            assertTrue(delete > mark && mark > meta, "source " + src + " deleted after its mark");
            checked++;
          }
        }
      }
      assertTrue(checked > 0, "some sources were deleted in the run (delete delay 0)");
      // No input block was deleted that is not a source of a visible block.
      Set<String> covered = new HashSet<>();
      s.allMetas().values().forEach(m -> covered.addAll(m.compaction.sources));
      for (String line : j) {
        if (line.startsWith("DELETE ")) {
          String u = line.substring(7, 33);
          assertTrue(covered.contains(u) || !input.contains(u), "deleted " + line + " without a replacement");
        }
      }
    }
  }

  static Map<String, Long> listing(Path dir) throws IOException {
    return PromtoolBucket.listing(dir);
  }

  /**
   * A source chunk whose CRC is right but whose XOR payload claims more samples than it holds is copied as is
   * by the merge (it overlaps nothing); the output check must catch it before anything is uploaded, and no
   * source may be marked. The block at fault is marked no-compact; the rest of its group is compacted.
   */
  @Test
  void outputThatFailsVerificationIsNeverUploaded(@TempDir Path tmp) throws Exception {
    String victim = "01M88N6J7TTY0EQ85DPMD1HGKX";
    TickingClock clock = new TickingClock(NOW);
    try (Bucket store = new FilesystemBucket(tmp.resolve("bucket"), clock)) {
      List<String> input = PromtoolBucket.build(store, tmp.resolve("staging"));
      Path chunks = tmp.resolve("bucket").resolve(victim).resolve("chunks/000001");
      PromtoolBucket.breakFirstChunkPayload(chunks);
      Map<String, Long> before = listing(tmp.resolve("bucket"));

      CrashingBucket journaled = new CrashingBucket(store, null);
      RunReport r = runOnce(journaled, tmp.resolve("data"), clock, NOW);
      assertFalse(r.success());
      assertTrue(r.failures.stream().anyMatch(f -> f.contains(victim)), "a failure names the block: " + r.failures);
      assertTrue(r.failures.stream().anyMatch(f -> f.contains("block " + victim + ": ") && f.contains("chunks/000001")
          && f.contains("marked no-compact")), "the failure names the block and its file: " + r.failures);
      assertTrue(listing(tmp.resolve("bucket")).containsKey(victim + "/no-compact-mark.json"));
      // Nothing of a block made from the victim was uploaded, and no source of group x lost anything.
      SyncResult s = PromtoolBucket.sync(store);
      for (BlockMeta m : s.allMetas().values()) {
        assertFalse(!input.contains(m.ulid) && m.compaction.sources.contains(victim), "uploaded " + m.ulid);
      }
      assertTrue(s.allMetas().values().stream().anyMatch(m -> !input.contains(m.ulid)
          && m.thanos.labels.get("cluster").equals("x")), "the rest of group x was compacted");
      Map<String, Long> after = listing(tmp.resolve("bucket"));
      assertEquals(before.get(victim + "/chunks/000001"), after.get(victim + "/chunks/000001"));
      assertFalse(after.containsKey(victim + "/deletion-mark.json"), "the damaged block is not marked for deletion");
      for (String k : before.keySet()) {
        if (!after.containsKey(k)) {
          String u = k.substring(0, 26);
          boolean covered = s.allMetas().values().stream()
              .anyMatch(m -> !input.contains(m.ulid) && m.compaction.sources.contains(u));
          assertTrue(covered, "deleted " + k + " without a replacement");
        }
      }
    }
  }

  /** Downsampling dies at a step; nothing is lost and the repaired bucket has one 5m block per raw block. */
  @ParameterizedTest
  @EnumSource(value = CrashPoint.class, names = {"DOWNLOAD_CHUNKS", "UPLOAD_CHUNKS", "UPLOAD_INDEX", "UPLOAD_META",
      "UPLOAD_META_REPLY_LOST"})
  void crashWhileDownsamplingLosesNothingAndIsRepaired(CrashPoint point, @TempDir Path tmp) throws Exception {
    long now = NOW;
    SampleBlocks gen = downsamplingInput();
    Baseline base = downsamplingBaseline();
    List<String> expected = base.state();
    Set<String> original = base.samples();
    TickingClock clock = new TickingClock(now);
    try (Bucket store = new FilesystemBucket(tmp.resolve("bucket"), clock)) {
      List<String> input = ulids(gen.write(tmp.resolve("bucket"), now));
      CrashingBucket crashing = new CrashingBucket(store, point);
      try {
        runOnce(crashing, tmp.resolve("data"), clock, now);
      } catch (IOException e) {
        // the run ended at its next sync
      }
      assertTrue(crashing.crashed, "the crash point was reached: " + point);
      assertEquals(original, PromtoolBucket.samples(store, tmp.resolve("dump1"), Set.of()), "raw samples after the crash");
      settle(store, tmp.resolve("data"), clock, now + H);
      assertEquals(expected, state(store, input));
      assertEquals(original, PromtoolBucket.samples(store, tmp.resolve("dump2"), Set.of()), "raw samples after repair");
    }
  }

  static List<String> ulids(List<BlockMeta> metas) {
    List<String> out = new ArrayList<>();
    metas.forEach(m -> out.add(m.ulid));
    return out;
  }

  /** The same on S3 (S3Proxy), where a dead upload leaves no object at all and listings are the store's own. */
  @ParameterizedTest
  @EnumSource(value = CrashPoint.class, names = {"UPLOAD_INDEX", "UPLOAD_META_REPLY_LOST", "MARK_THIRD_SOURCE",
      "CLEANER_DELETES_INDEX"})
  void crashOnS3LosesNothingAndTheNextRunRepairs(CrashPoint point, @TempDir Path tmp) throws Exception {
    Baseline base = promtoolBaseline();
    List<String> expected = base.state();
    Set<String> original = base.samples();
    try (io.tsdbcompactor.bucket.S3ProxyServer server =
        new io.tsdbcompactor.bucket.S3ProxyServer(java.nio.file.Files.createDirectories(tmp.resolve("s3")))) {
      io.tsdbcompactor.bucket.S3Bucket store = new io.tsdbcompactor.bucket.S3Bucket(server.config("crash"));
      S3TestBuckets.create(server.config("crash"));
      try (store) {
        List<String> input = PromtoolBucket.build(store, tmp.resolve("staging"));
        // The store dates objects by its own clock, and partial uploads age by it: the runs start at its time.
        long now = storeTime(store);
        TickingClock clock = new TickingClock(now);
        CrashingBucket crashing = new CrashingBucket(store, point);
        try {
          runOnce(crashing, tmp.resolve("data"), clock, now);
        } catch (IOException e) {
          // the run ended at its next sync
        }
        assertTrue(crashing.crashed, "the crash point was reached: " + point);
        assertEquals(original, PromtoolBucket.samples(store, tmp.resolve("dump1"), Set.of()), "samples after the crash");
        settle(store, tmp.resolve("data"), clock, now + H);
        assertEquals(expected, state(store, input));
        assertEquals(original, PromtoolBucket.samples(store, tmp.resolve("dump2"), Set.of()), "samples after repair");
      }
    }
  }

  /** The time the store gives a new object (a probe, removed again). */
  static long storeTime(Bucket store) throws IOException {
    String probe = "store-time-probe";
    store.upload(probe, new byte[] {1});
    try {
      return store.attributes(probe).lastModified().toEpochMilli();
    } finally {
      store.delete(probe);
    }
  }
}
