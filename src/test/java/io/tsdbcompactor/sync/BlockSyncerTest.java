package io.tsdbcompactor.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.MemoryBucket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockSyncerTest {
  @TempDir
  Path dataDir;

  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  final Random random = new Random(42);
  MemoryBucket mem;

  @BeforeEach
  void setUp() {
    mem = new MemoryBucket("mem", clock);
  }

  String ulidAt(Instant t) {
    return Ulid.generate(t.toEpochMilli(), random).toString();
  }

  /** Puts a complete-looking block; uploadTime null leaves the zero time. */
  BlockMeta put(String ulid, String source, Instant uploadTime, Map<String, String> labels, long resolution) throws Exception {
    BlockMeta m = new BlockMeta();
    m.ulid = ulid;
    m.minTime = 1000;
    m.maxTime = 2000;
    m.compaction.level = 1;
    m.compaction.sources.add(ulid);
    m.thanos().labels = new java.util.TreeMap<>(labels);
    m.thanos().source = source;
    m.thanos().resolution = resolution;
    if (uploadTime != null) {
      m.thanos().uploadTime = GoJson.rfc3339Nano(uploadTime);
    }
    mem.upload(ulid + "/chunks/000001", new byte[] {1, 2, 3});
    mem.upload(ulid + "/index", new byte[] {4, 5});
    mem.upload(ulid + "/meta.json", m.toJsonBytes());
    return m;
  }

  BlockSyncer syncer(FaultInjectingBucket b) {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    o.concurrency = 4;
    return new BlockSyncer(b, dataDir, o);
  }

  @Test
  void findsBlocksPartialsMarkersAndAppliesDelays() throws Exception {
    Instant old = NOW.minus(Duration.ofDays(3));
    String a = ulidAt(old);
    String fresh = ulidAt(NOW.minusSeconds(60));
    String freshCompactor = ulidAt(NOW.minusSeconds(60));
    String oldUlidFreshUpload = ulidAt(old);
    String marked = ulidAt(old);
    String markedLongAgo = ulidAt(old);
    String noCompact = ulidAt(old);
    String partial = ulidAt(old);
    String garbage = ulidAt(old);
    String badVersion = ulidAt(old);
    put(a, "sidecar", null, Map.of("cluster", "eu1"), 0);
    put(fresh, "sidecar", null, Map.of("cluster", "eu1"), 0);
    put(freshCompactor, "compactor", null, Map.of("cluster", "eu1"), 300000);
    put(oldUlidFreshUpload, "receive", NOW.minusSeconds(600), Map.of("cluster", "eu1"), 0);
    put(marked, "sidecar", null, Map.of("cluster", "eu1"), 0);
    Markers.markForDeletion(mem, marked, "source of compacted block", Clock.offset(clock, Duration.ofHours(-23)));
    put(markedLongAgo, "sidecar", null, Map.of("cluster", "eu1"), 0);
    Markers.markForDeletion(mem, markedLongAgo, "outdated block", Clock.offset(clock, Duration.ofHours(-25)));
    put(noCompact, "sidecar", null, Map.of("cluster", "eu2"), 0);
    Markers.markNoCompact(mem, noCompact, Marker.REASON_MANUAL, "", clock);
    Markers.markNoDownsample(mem, noCompact, Marker.REASON_MANUAL, "", clock);
    mem.upload(partial + "/index", new byte[] {1});
    mem.setLastModified(partial + "/index", NOW.minus(Duration.ofHours(10)));
    mem.upload(garbage + "/meta.json", "{not json".getBytes());
    mem.upload(badVersion + "/meta.json", "{\"ulid\":\"x\",\"version\":2}".getBytes());
    String upsideDown = ulidAt(old);
    BlockMeta ud = put(upsideDown, "sidecar", null, Map.of("cluster", "eu1"), 0);
    ud.minTime = 3000;
    mem.upload(upsideDown + "/meta.json", ud.toJsonBytes());
    mem.upload("debug/metas/x.json", new byte[] {1});
    mem.upload("not-a-ulid/meta.json", new byte[] {1});

    FaultInjectingBucket b = new FaultInjectingBucket(mem);
    SyncResult r = syncer(b).sync();

    assertEquals(List.of(a, freshCompactor, marked, noCompact).stream().sorted().toList(),
        r.metas().stream().map(m -> m.ulid).sorted().toList());
    assertEquals(Set.of(fresh, oldUlidFreshUpload), r.tooFresh());
    assertEquals(Set.of(marked, markedLongAgo), r.deletionMarks().keySet());
    assertEquals(Set.of(markedLongAgo), r.hiddenByDeletionMark());
    assertEquals(Set.of(noCompact), r.noCompactMarked());
    assertEquals(Set.of(noCompact), r.noDownsampleMarked());
    assertEquals(Set.of(partial, garbage), r.partial().keySet());
    assertEquals(NOW.minus(Duration.ofHours(10)), r.partial().get(partial).lastModified());
    assertEquals(Set.of(badVersion, upsideDown), r.failed().keySet());
    assertTrue(r.failed().get(upsideDown).endsWith("meta.json: minTime 3000 is not before maxTime 2000"),
        r.failed().get(upsideDown));
    assertEquals(8, r.allMetas().size(), "a parsed meta.json that cannot be used stays listed");
    assertTrue(r.allMetas().containsKey(upsideDown));
    BlockMeta nc = r.allMetas().get(noCompact);
    assertEquals("{cluster=\"eu2\"}", nc.externalLabels().toString());
    assertEquals(300000, r.allMetas().get(freshCompactor).resolution());
    assertEquals(1, b.calls(FaultInjectingBucket.Op.LIST));
  }

  /**
   * A block whose meta.json promises files the listing does not show is damaged: it stays listed with its meta
   * (tools and the cleaner see it) but is failed, naming the file, and left out of the blocks to work on. A block
   * already marked for deletion is on its way out and stays as it is.
   */
  @Test
  void aBlockMissingAFileItsMetaListsIsFailedNamingTheFile() throws Exception {
    Instant old = NOW.minus(Duration.ofDays(3));
    String whole = ulidAt(old);
    String missingChunks = ulidAt(old);
    String wrongSize = ulidAt(old);
    String markedMissing = ulidAt(old);
    String empty = ulidAt(old);
    for (String u : List.of(whole, missingChunks, wrongSize, markedMissing)) {
      BlockMeta m = put(u, "sidecar", null, Map.of("cluster", "eu1"), 0);
      m.stats.numChunks = 1;
      m.thanos().files.add(new BlockMeta.FileEntry("chunks/000001", u.equals(wrongSize) ? 4 : 3));
      m.thanos().files.add(new BlockMeta.FileEntry("index", 2));
      m.thanos().files.add(new BlockMeta.FileEntry("meta.json", 0));
      mem.upload(u + "/meta.json", m.toJsonBytes());
    }
    mem.delete(missingChunks + "/chunks/000001");
    mem.delete(markedMissing + "/chunks/000001");
    Markers.markForDeletion(mem, markedMissing, "source of compacted block", clock);
    BlockMeta none = put(empty, "sidecar", null, Map.of("cluster", "eu1"), 0); // no chunks: none to list
    mem.delete(empty + "/chunks/000001");
    assertEquals(0, none.stats.numChunks);

    FaultInjectingBucket b = new FaultInjectingBucket(mem);
    SyncResult r = syncer(b).sync();

    assertEquals(List.of(whole, markedMissing, empty).stream().sorted().toList(),
        r.metas().stream().map(m -> m.ulid).sorted().toList());
    assertEquals(Set.of(missingChunks, wrongSize), r.failed().keySet());
    assertEquals("chunks/000001 is listed in meta.json thanos.files but missing", r.failed().get(missingChunks));
    assertEquals("chunks/000001 has 3 bytes, meta.json thanos.files says 4", r.failed().get(wrongSize));
    assertTrue(r.allMetas().keySet().containsAll(Set.of(missingChunks, wrongSize)), "still listed with their metas");
    // Each damaged block is listed again on its own before it is failed: the bucket listing is no snapshot.
    assertEquals(3, b.calls(FaultInjectingBucket.Op.LIST));
  }

  @Test
  void rerunReadsMetasFromCacheAndRefetchesChangedOnes() throws Exception {
    Instant old = NOW.minus(Duration.ofDays(3));
    String a = ulidAt(old);
    String c = ulidAt(old);
    put(a, "sidecar", null, Map.of("x", "1"), 0);
    put(c, "sidecar", null, Map.of("x", "1"), 0);
    FaultInjectingBucket b = new FaultInjectingBucket(mem);
    syncer(b).sync();
    assertEquals(2, b.calls(FaultInjectingBucket.Op.GET));
    assertTrue(Files.isRegularFile(dataDir.resolve("meta-syncer").resolve(a).resolve("meta.json")));

    SyncResult again = syncer(b).sync();
    assertEquals(2, b.calls(FaultInjectingBucket.Op.GET), "nothing fetched again");
    assertEquals(2, again.metas().size());

    // a changed meta.json (new time) is fetched again; a vanished block leaves the cache
    mem.setClock(Clock.offset(clock, Duration.ofMinutes(1)));
    BlockMeta m = BlockMeta.parse("x", mem.getBytes(a + "/meta.json"));
    m.thanos.labels.put("x", "2");
    mem.upload(a + "/meta.json", m.toJsonBytes());
    BlocksCleaner.deleteBlock(mem, c);
    SyncResult third = syncer(b).sync();
    assertEquals(3, b.calls(FaultInjectingBucket.Op.GET), "only the changed meta.json is fetched");
    assertEquals("2", third.allMetas().get(a).thanos.labels.get("x"));
    assertFalse(Files.exists(dataDir.resolve("meta-syncer").resolve(c)));
  }

  @Test
  void memoServesUnchangedMetasAndMarkersWithoutReadingThemAgain() throws Exception {
    Instant old = NOW.minus(Duration.ofDays(3));
    String a = ulidAt(old);
    String c = ulidAt(old);
    String d = ulidAt(old);
    put(a, "sidecar", null, Map.of("x", "1"), 0);
    put(c, "sidecar", null, Map.of("x", "1"), 0);
    put(d, "sidecar", null, Map.of("x", "1"), 0);
    Markers.markNoCompact(mem, a, Marker.REASON_MANUAL, "", clock);
    Markers.markForDeletion(mem, c, "source of compacted block", clock);
    FaultInjectingBucket b = new FaultInjectingBucket(mem);
    MetaMemo memo = new MetaMemo();
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    o.memo = memo;

    // No local cache directory: every read the memo does not save is a GET.
    SyncResult first = new BlockSyncer(b, null, o).sync();
    assertEquals(5, b.calls(FaultInjectingBucket.Op.GET), "three metas and two markers");
    SyncResult second = new BlockSyncer(b, null, o).sync();
    assertEquals(5, b.calls(FaultInjectingBucket.Op.GET), "nothing read again");
    assertEquals(2, b.calls(FaultInjectingBucket.Op.LIST), "but the bucket is listed again");
    for (String u : List.of(a, c, d)) {
      assertSame(first.allMetas().get(u), second.allMetas().get(u), u);
    }
    assertEquals(Set.of(a), second.noCompactMarked());
    assertEquals(Set.of(c), second.deletionMarks().keySet());

    // A rewritten meta.json and a new marker are read; a block that left the bucket leaves the memo.
    mem.setClock(Clock.offset(clock, Duration.ofMinutes(1)));
    BlockMeta m = BlockMeta.parse("x", mem.getBytes(a + "/meta.json"));
    m.thanos.labels.put("x", "2");
    mem.upload(a + "/meta.json", m.toJsonBytes());
    Markers.markNoDownsample(mem, c, Marker.REASON_MANUAL, "", clock);
    BlocksCleaner.deleteBlock(mem, d);
    int gets = b.calls(FaultInjectingBucket.Op.GET);
    SyncResult third = new BlockSyncer(b, null, o).sync();
    assertEquals(gets + 2, b.calls(FaultInjectingBucket.Op.GET), "the rewritten meta.json and the new marker");
    assertEquals("2", third.allMetas().get(a).thanos.labels.get("x"));
    assertEquals(Set.of(c), third.noDownsampleMarked());
    assertEquals(Set.of(a), third.noCompactMarked());
    assertEquals(5, memo.size(), "two metas and three markers; the deleted block's meta is gone");

    // A meta.json that stops parsing is not served from the memo.
    mem.setClock(Clock.offset(clock, Duration.ofMinutes(2)));
    mem.upload(a + "/meta.json", "{not json".getBytes());
    SyncResult fourth = new BlockSyncer(b, null, o).sync();
    assertEquals(Set.of(a), fourth.partial().keySet());
    assertFalse(fourth.allMetas().containsKey(a));
  }

  @Test
  void manyBlocksConcurrently() throws Exception {
    Instant old = NOW.minus(Duration.ofDays(3));
    for (int i = 0; i < 300; i++) {
      put(ulidAt(old), "sidecar", null, Map.of("i", Integer.toString(i % 7)), 0);
    }
    int[] last = {0};
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    o.progress = new BlockSyncer.Progress() {
      @Override
      public synchronized void metaRead(int done, int total) {
        last[0] = Math.max(last[0], done);
      }
    };
    SyncResult r = new BlockSyncer(mem, null, o).sync();
    assertEquals(300, r.metas().size());
    assertEquals(300, last[0]);
  }
}
