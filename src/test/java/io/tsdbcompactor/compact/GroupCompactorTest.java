package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.sync.Marker;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group compaction end to end on promtool-made 2h blocks: several groups (one of them two replicas that overlap),
 * gaps, default ranges. Checks the "done when": no overlaps left, blocks at the expected ranges, promtool
 * analyze passes on every output, and each group's promtool dump equals its inputs'.
 */
class GroupCompactorTest {
  static final long H = 3_600_000L;
  /** A day boundary, so every compaction range is aligned to it. */
  static final long T0 = 1_700_006_400_000L;

  @TempDir Path tmp;

  /** OpenMetrics for {@code series} gauges sampled every 60s over [fromH, toH) hours after T0. */
  static void openMetrics(Path file, int series, double fromH, double toH, long offsetMs) throws IOException {
    try (Writer w = Files.newBufferedWriter(file)) {
      w.write("# TYPE load gauge\n");
      for (int s = 0; s < series; s++) {
        for (long t = T0 + (long) (fromH * H); t < T0 + (long) (toH * H); t += 60_000) {
          long ts = t + offsetMs;
          double v = Math.round(Math.sin(ts / 1e6 + s) * 1000) / 10.0;
          w.write(String.format(Locale.ROOT, "load{instance=\"i%d\",job=\"node\"} %s %d.%03d\n", s,
              Double.toString(v), ts / 1000, ts % 1000));
        }
      }
      w.write("# EOF\n");
    }
  }

  /** Imports with promtool into {@code dir}, then labels each new block for the bucket. */
  static List<String> importBlocks(Path om, Path dir, Map<String, String> labels) throws Exception {
    Set<String> before = listUlids(dir);
    Promtool.run("tsdb", "create-blocks-from", "openmetrics", "-q", om.toString(), dir.toString());
    List<String> created = new ArrayList<>();
    for (String u : listUlids(dir)) {
      if (before.contains(u)) {
        continue;
      }
      Path metaFile = dir.resolve(u).resolve("meta.json");
      BlockMeta m = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
      m.thanos().labels = new TreeMap<>(labels);
      m.thanos().source = "sidecar";
      Files.write(metaFile, m.toJsonBytes());
      created.add(u);
    }
    return created;
  }

  static Set<String> listUlids(Path dir) throws IOException {
    Set<String> out = new HashSet<>();
    Files.createDirectories(dir);
    try (Stream<Path> s = Files.list(dir)) {
      s.map(p -> p.getFileName().toString()).filter(Ulid::isValid).forEach(out::add);
    }
    return out;
  }

  static Path dbOf(Path bucketRoot, List<String> ulids, Path db) throws IOException {
    Files.createDirectories(db);
    for (String u : ulids) {
      Path to = db.resolve(u);
      Promtool.copyTree(bucketRoot.resolve(u), to);
      Files.deleteIfExists(to.resolve("deletion-mark.json"));
      Files.deleteIfExists(to.resolve("no-compact-mark.json"));
    }
    return db;
  }

  @Test
  void groupsAreCompactedAsThanosWouldAndDumpsStayEqual() throws Exception {
    Path bucketRoot = tmp.resolve("bucket");
    // Group a: two replicas, 1s apart, overlapping on [6h, 12h); replica label "replica" is dropped.
    openMetrics(tmp.resolve("a0.om"), 12, 0, 12, 0);
    openMetrics(tmp.resolve("a1.om"), 12, 6, 20, 1000);
    List<String> a = new ArrayList<>(importBlocks(tmp.resolve("a0.om"), bucketRoot, Map.of("cluster", "a",
        "replica", "0")));
    a.addAll(importBlocks(tmp.resolve("a1.om"), bucketRoot, Map.of("cluster", "a", "replica", "1")));
    // Group b: one source with a gap on [6h, 8h).
    openMetrics(tmp.resolve("b0.om"), 7, 0, 6, 0);
    openMetrics(tmp.resolve("b1.om"), 7, 8, 20, 0);
    List<String> b = new ArrayList<>(importBlocks(tmp.resolve("b0.om"), bucketRoot, Map.of("cluster", "b")));
    b.addAll(importBlocks(tmp.resolve("b1.om"), bucketRoot, Map.of("cluster", "b")));
    String dumpA = Promtool.dump(dbOf(bucketRoot, a, tmp.resolve("inA")));
    String dumpB = Promtool.dump(dbOf(bucketRoot, b, tmp.resolve("inB")));

    DirCompactionBucket bucket = new DirCompactionBucket(bucketRoot);
    CompactorOptions opts = CompactorOptions.defaults().withDeduplication(List.of("replica"),
        CompactorOptions.DedupFunc.NONE).withConcurrency(2);
    CountingMetrics metrics = new CountingMetrics();
    List<Group> groups = new Grouper(opts.replicaLabels()).group(bucket.liveMetas());
    assertEquals(2, groups.size());
    List<GroupCompactor.Result> results =
        compactEach(new GroupCompactor(bucket, tmp.resolve("data"), opts, metrics), groups, new HashSet<>());
    assertEquals(2, results.size());

    List<BlockMeta> live = bucket.liveMetas();
    Map<String, List<BlockMeta>> byCluster = new HashMap<>();
    for (BlockMeta m : live) {
      byCluster.computeIfAbsent(m.thanos.labels.get("cluster"), k -> new ArrayList<>()).add(m);
      assertFalse(m.thanos.labels.containsKey("replica") && m.thanos.source.equals("compactor"));
    }
    for (List<BlockMeta> ms : byCluster.values()) {
      ms.sort(Group.BY_MIN_TIME);
      for (int i = 1; i < ms.size(); i++) {
        assertTrue(ms.get(i).minTime >= ms.get(i - 1).maxTime, "no overlaps left: " + ms);
      }
    }
    // Expected ranges: [0,8h) and [8h,16h) compacted; [16h,18h) and the freshest [18h,20h) left as 2h blocks.
    assertEquals(List.of(0L, 8L, 16L, 18L), startHours(byCluster.get("a")));
    assertEquals(List.of(0L, 8L, 16L, 18L), startHours(byCluster.get("b")));
    BlockMeta a0 = byCluster.get("a").get(0);
    assertEquals("compactor", a0.thanos.source);
    assertEquals(Map.of("cluster", "a"), a0.thanos.labels);
    assertTrue(a0.compaction.level >= 2);

    List<String> liveA = byCluster.get("a").stream().map(m -> m.ulid).toList();
    List<String> liveB = byCluster.get("b").stream().map(m -> m.ulid).toList();
    Path outA = dbOf(bucketRoot, liveA, tmp.resolve("outA"));
    Path outB = dbOf(bucketRoot, liveB, tmp.resolve("outB"));
    assertEquals(dumpA, Promtool.dump(outA));
    assertEquals(dumpB, Promtool.dump(outB));
    for (BlockMeta m : live) {
      if (m.thanos.source.equals("compactor")) {
        Promtool.analyze(m.thanos.labels.get("cluster").equals("a") ? outA : outB, m.ulid);
      }
    }
    // Every source of a new block is marked for deletion and nothing was deleted.
    for (String u : a) {
      assertTrue(Files.exists(bucketRoot.resolve(u).resolve("index")), "sources stay until the delete delay");
    }
    assertTrue(metrics.vertical > 0, "replica overlaps were merged vertically");
    assertEquals(0, metrics.noCompact);
  }

  static List<Long> startHours(List<BlockMeta> ms) {
    return ms.stream().map(m -> Math.floorDiv(m.minTime - T0, H)).toList();
  }

  @Test
  void corruptBlockIsMarkedNoCompactAndTheGroupGoesOn() throws Exception {
    Path bucketRoot = tmp.resolve("bucket");
    openMetrics(tmp.resolve("c.om"), 5, 0, 20, 0);
    List<String> c = importBlocks(tmp.resolve("c.om"), bucketRoot, Map.of("cluster", "c"));
    assertEquals(10, c.size());
    DirCompactionBucket bucket = new DirCompactionBucket(bucketRoot);
    List<BlockMeta> metas = bucket.liveMetas();
    metas.sort(Group.BY_MIN_TIME);
    String bad = metas.get(1).ulid;
    Path seg = bucketRoot.resolve(bad).resolve("chunks/000001");
    byte[] bytes = Files.readAllBytes(seg);
    bytes[bytes.length - 3] ^= 0x40;
    Files.write(seg, bytes);

    CountingMetrics metrics = new CountingMetrics();
    Set<String> noCompact = new HashSet<>();
    List<Group> groups = new Grouper(List.of()).group(metas);
    List<GroupCompactor.Result> results = compactEach(new GroupCompactor(bucket, tmp.resolve("data"),
        CompactorOptions.defaults().withVerification(CompactorOptions.Verification.FAST), metrics), groups, noCompact);
    assertEquals(Set.of(bad), noCompact);
    assertTrue(Files.exists(bucketRoot.resolve(bad).resolve("no-compact-mark.json")));
    assertEquals(1, metrics.noCompact);
    assertEquals(List.of(bad), results.get(0).markedNoCompact());
    // The corrupt block and whatever it was planned with are untouched; nothing is marked for deletion
    // because of the failure.
    assertFalse(Files.exists(bucketRoot.resolve(bad).resolve("deletion-mark.json")));
    // The group went on without it: [2h,6h) and [8h,16h) were still compacted.
    assertEquals(2, results.get(0).created().size());
    assertFalse(results.get(0).markedForDeletion().contains(bad));
  }

  @Test
  void bucketFailureEndsTheGroupWithoutMarkingAnything() throws Exception {
    Path bucketRoot = tmp.resolve("bucket");
    openMetrics(tmp.resolve("d.om"), 3, 0, 20, 0);
    importBlocks(tmp.resolve("d.om"), bucketRoot, Map.of("cluster", "d"));
    DirCompactionBucket bucket = new DirCompactionBucket(bucketRoot);
    List<BlockMeta> metas = bucket.liveMetas();
    metas.sort(Group.BY_MIN_TIME);
    bucket.failDownload.add(metas.get(2).ulid);
    CountingMetrics metrics = new CountingMetrics();
    IOException e = assertThrows(IOException.class, () -> compactEach(new GroupCompactor(bucket, tmp.resolve("data"),
        CompactorOptions.defaults(), metrics), new Grouper(List.of()).group(metas), new HashSet<>()));
    assertTrue(e.getMessage().contains("injected"), e.getMessage());
    for (BlockMeta m : metas) {
      assertFalse(Files.exists(bucketRoot.resolve(m.ulid).resolve("deletion-mark.json")));
      assertFalse(Files.exists(bucketRoot.resolve(m.ulid).resolve("no-compact-mark.json")));
    }
    assertEquals(List.of(), bucket.uploads);
    assertEquals(1, metrics.failures);
  }

  static class CountingMetrics implements CompactMetrics {
    int started;
    int completed;
    int compactions;
    int vertical;
    int failures;
    int noCompact;
    int deletion;

    @Override
    public synchronized void runStarted(long resolution) {
      started++;
    }

    @Override
    public synchronized void runCompleted(long resolution) {
      completed++;
    }

    @Override
    public synchronized void compaction(long resolution) {
      compactions++;
    }

    @Override
    public synchronized void verticalCompaction(long resolution) {
      vertical++;
    }

    @Override
    public synchronized void compactionFailure(long resolution) {
      failures++;
    }

    @Override
    public synchronized void blockMarked(String marker, String reason) {
      if (marker.equals(Marker.NO_COMPACT_MARK)) {
        noCompact++;
      } else {
        deletion++;
      }
    }
  }

  /** Compacts each group of more than one block in turn, as the run's compaction step does; {@code noCompact} grows. */
  static List<GroupCompactor.Result> compactEach(GroupCompactor compactor, List<Group> groups, Set<String> noCompact)
      throws IOException {
    List<GroupCompactor.Result> out = new ArrayList<>();
    for (Group g : groups) {
      if (g.metas().size() > 1) {
        out.add(compactor.compact(g, noCompact));
      }
    }
    return out;
  }
}
