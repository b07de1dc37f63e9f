package io.tsdbcompactor.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.MemoryBucket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlocksCleanerTest {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  final Random random = new Random(7);

  @Test
  void deletesInThanosOrder() throws Exception {
    MemoryBucket mem = new MemoryBucket();
    String id = Ulid.generate(NOW.toEpochMilli(), random).toString();
    for (String f : new String[] {"chunks/000001", "chunks/000002", "index", "meta.json", "no-compact-mark.json"}) {
      mem.upload(id + "/" + f, new byte[] {1});
    }
    Markers.markForDeletion(mem, id, "x", clock);
    FaultInjectingBucket b = new FaultInjectingBucket(mem);
    BlocksCleaner.deleteBlock(b, id);
    List<String> deletes = b.journal().stream().filter(s -> s.startsWith("DELETE")).map(s -> s.substring(7)).toList();
    assertEquals(List.of(id + "/meta.json", id + "/chunks/000001", id + "/chunks/000002", id + "/index",
        id + "/no-compact-mark.json", id + "/deletion-mark.json", id + "/chunks/", id + "/"), deletes);
    assertEquals(0, mem.size());
  }

  @Test
  void deletesOnlyWhatIsDue() throws Exception {
    MemoryBucket mem = new MemoryBucket("m", clock);
    Instant old = NOW.minus(Duration.ofDays(10));
    String dueMarked = Ulid.generate(old.toEpochMilli(), random).toString();
    String notDueMarked = Ulid.generate(old.toEpochMilli(), random).toString();
    String oldPartial = Ulid.generate(old.toEpochMilli(), random).toString();
    String youngPartial = Ulid.generate(old.toEpochMilli(), random).toString();
    String emptyPartialOldUlid = Ulid.generate(old.toEpochMilli(), random).toString();
    for (String id : List.of(dueMarked, notDueMarked)) {
      mem.upload(id + "/index", new byte[] {1});
      mem.upload(id + "/chunks/000001", new byte[] {1});
      io.tsdbcompactor.block.BlockMeta m = new io.tsdbcompactor.block.BlockMeta();
      m.ulid = id;
      m.thanos().labels = new java.util.TreeMap<>(Map.of("a", "b"));
      mem.upload(id + "/meta.json", m.toJsonBytes());
    }
    Markers.markForDeletion(mem, dueMarked, "", Clock.offset(clock, Duration.ofHours(-48).minusSeconds(1)));
    Markers.markForDeletion(mem, notDueMarked, "", Clock.offset(clock, Duration.ofHours(-48)));
    mem.upload(oldPartial + "/chunks/000001", new byte[] {1});
    mem.setLastModified(oldPartial + "/chunks/000001", NOW.minus(Duration.ofHours(48)).minusSeconds(1));
    mem.upload(youngPartial + "/chunks/000001", new byte[] {1});
    mem.setLastModified(youngPartial + "/chunks/000001", NOW.minus(Duration.ofHours(47)));
    mem.upload(emptyPartialOldUlid + "/index", new byte[] {1});
    mem.setLastModified(emptyPartialOldUlid + "/index", NOW.minus(Duration.ofHours(1)));

    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    SyncResult r = new BlockSyncer(mem, null, o).sync();
    BlocksCleaner cleaner = new BlocksCleaner(mem, Duration.ofHours(48), clock);
    assertEquals(List.of(dueMarked), cleaner.deleteMarkedBlocks(r));
    assertEquals(List.of(oldPartial), cleaner.cleanPartialBlocks(r));
    SyncResult after = new BlockSyncer(mem, null, o).sync();
    assertEquals(java.util.Set.of(notDueMarked), after.allMetas().keySet());
    assertEquals(java.util.Set.of(youngPartial, emptyPartialOldUlid), after.partial().keySet());
  }

  /** As Thanos's time.Since(mark) > delay: the sub-second part counts, so a zero delay deletes within the second. */
  @Test
  void zeroDelayDeletesABlockMarkedEarlierInTheSameSecond() throws Exception {
    Clock later = Clock.fixed(NOW.plusMillis(400), ZoneOffset.UTC);
    MemoryBucket mem = new MemoryBucket("m", later);
    String id = Ulid.generate(NOW.minus(Duration.ofDays(1)).toEpochMilli(), random).toString();
    mem.upload(id + "/index", new byte[] {1});
    io.tsdbcompactor.block.BlockMeta m = new io.tsdbcompactor.block.BlockMeta();
    m.ulid = id;
    m.thanos().labels = new java.util.TreeMap<>(Map.of("a", "b"));
    mem.upload(id + "/meta.json", m.toJsonBytes());
    Markers.markForDeletion(mem, id, "", clock); // deletion_time = NOW's second

    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    SyncResult atMark = new BlockSyncer(mem, null, o).sync();
    assertEquals(List.of(), new BlocksCleaner(mem, Duration.ZERO, clock).dueMarkedBlocks(atMark));
    o.clock = later;
    SyncResult r = new BlockSyncer(mem, null, o).sync();
    assertEquals(List.of(id), new BlocksCleaner(mem, Duration.ZERO, later).deleteMarkedBlocks(r));
  }

  /** A meta.json that is there but damaged is no aborted upload: the block's index and chunks are kept. */
  @Test
  void oldBlockWithDamagedMetaIsNotDeletedAsPartial() throws Exception {
    MemoryBucket mem = new MemoryBucket("m", clock);
    Instant old = NOW.minus(Duration.ofDays(10));
    String notJson = Ulid.generate(old.toEpochMilli(), random).toString();
    String noMeta = Ulid.generate(old.toEpochMilli(), random).toString();
    for (String id : List.of(notJson, noMeta)) {
      mem.upload(id + "/index", new byte[] {1});
      mem.setLastModified(id + "/index", old);
    }
    mem.upload(notJson + "/meta.json", "{\"ulid\": ".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    mem.setLastModified(notJson + "/meta.json", old);
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    SyncResult r = new BlockSyncer(mem, null, o).sync();
    assertEquals(java.util.Set.of(notJson, noMeta), r.partial().keySet());
    assertTrue(r.partial().get(notJson).metaUnreadable());
    assertEquals(List.of(noMeta), new BlocksCleaner(mem, Duration.ofHours(48), clock).cleanPartialBlocks(r));
    assertTrue(mem.exists(notJson + "/index") && mem.exists(notJson + "/meta.json"));
  }

  /** A delete that stopped after meta.json leaves a partial block with its mark: finished at once, not in 48 h. */
  @Test
  void interruptedDeleteIsFinishedOncePastTheDeleteDelay() throws Exception {
    MemoryBucket mem = new MemoryBucket("m", clock);
    String halfDeleted = Ulid.generate(NOW.minus(Duration.ofDays(3)).toEpochMilli(), random).toString();
    String freshMark = Ulid.generate(NOW.minus(Duration.ofDays(3)).toEpochMilli(), random).toString();
    for (String id : List.of(halfDeleted, freshMark)) {
      mem.upload(id + "/index", new byte[] {1});
      mem.setLastModified(id + "/index", NOW.minus(Duration.ofDays(3)));
    }
    Markers.markForDeletion(mem, halfDeleted, "", Clock.offset(clock, Duration.ofHours(-2)));
    mem.setLastModified(halfDeleted + "/deletion-mark.json", NOW.minus(Duration.ofHours(2)));
    Markers.markForDeletion(mem, freshMark, "", clock);
    mem.setLastModified(freshMark + "/deletion-mark.json", NOW.minus(Duration.ofMinutes(30)));
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    SyncResult r = new BlockSyncer(mem, null, o).sync();
    assertEquals(java.util.Set.of(halfDeleted, freshMark), r.partial().keySet());
    assertEquals(List.of(halfDeleted), new BlocksCleaner(mem, Duration.ofHours(1), clock).cleanPartialBlocks(r));
    assertTrue(mem.list(halfDeleted, true).isEmpty(), "the interrupted delete was finished");
    assertTrue(mem.exists(freshMark + "/index"), "a mark younger than the delete delay waits");
  }
}
