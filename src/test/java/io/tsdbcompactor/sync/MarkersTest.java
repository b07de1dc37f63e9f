package io.tsdbcompactor.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.MemoryBucket;
import io.tsdbcompactor.store.CorruptDataException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class MarkersTest {
  static final String ID = "01J0000000000000000000000A";
  final Clock t0 = Clock.fixed(Instant.ofEpochSecond(1724320000), ZoneOffset.UTC);

  @Test
  void deletionMarkBytesAreThanosBytes() throws Exception {
    MemoryBucket b = new MemoryBucket();
    assertTrue(Markers.markForDeletion(b, ID, "source of compacted block", t0));
    assertEquals("{\"id\":\"01J0000000000000000000000A\",\"version\":1,\"details\":\"source of compacted block\","
        + "\"deletion_time\":1724320000}", new String(b.getBytes(ID + "/deletion-mark.json"), StandardCharsets.UTF_8));
  }

  @Test
  void noCompactAndNoDownsampleBytes() throws Exception {
    MemoryBucket b = new MemoryBucket();
    Markers.markNoCompact(b, ID, Marker.REASON_MANUAL, "", t0);
    assertEquals("{\"id\":\"01J0000000000000000000000A\",\"version\":1,\"no_compact_time\":1724320000,\"reason\":\"manual\"}",
        new String(b.getBytes(ID + "/no-compact-mark.json"), StandardCharsets.UTF_8));
    Markers.markNoDownsample(b, ID, Marker.REASON_MANUAL, "a<b & c>d", t0);
    assertEquals("{\"id\":\"01J0000000000000000000000A\",\"version\":1,\"details\":\"a\\u003cb \\u0026 c\\u003ed\","
        + "\"no_downsample_time\":1724320000,\"reason\":\"manual\"}",
        new String(b.getBytes(ID + "/no-downsample-mark.json"), StandardCharsets.UTF_8));
  }

  @Test
  void existingMarkerIsNeverOverwritten() throws Exception {
    MemoryBucket b = new MemoryBucket();
    assertTrue(Markers.markForDeletion(b, ID, "first", t0));
    Clock later = Clock.offset(t0, java.time.Duration.ofHours(5));
    assertFalse(Markers.markForDeletion(b, ID, "second", later));
    Marker.DeletionMark m = Markers.readDeletionMark(b, ID).orElseThrow();
    assertEquals("first", m.details());
    assertEquals(1724320000, m.deletionTime());
  }

  /** Every reader ignores an unreadable mark, so the block would stay unmarked for good: it is replaced. */
  @Test
  void anUnreadableMarkerIsReplaced() throws Exception {
    MemoryBucket b = new MemoryBucket();
    b.upload(ID + "/" + Marker.DELETION_MARK, "{garbage".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertTrue(Markers.markForDeletion(b, ID, "source of compacted block", t0));
    assertEquals("source of compacted block", Markers.readDeletionMark(b, ID).orElseThrow().details());
    b.upload(ID + "/" + Marker.NO_COMPACT_MARK, "{\"id\":\"x\",\"version\":2}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertTrue(Markers.markNoCompact(b, ID, Marker.REASON_CORRUPTED_BLOCK, "index: bad checksum", t0));
    assertEquals(Marker.REASON_CORRUPTED_BLOCK, Markers.readNoCompactMark(b, ID).orElseThrow().reason());
  }

  @Test
  void readRoundTripAndErrors() throws Exception {
    MemoryBucket b = new MemoryBucket();
    assertTrue(Markers.readNoCompactMark(b, ID).isEmpty());
    Markers.markNoCompact(b, ID, Marker.REASON_INDEX_SIZE_EXCEEDING, "too big", t0);
    Marker.NoCompactMark m = Markers.readNoCompactMark(b, ID).orElseThrow();
    assertEquals(new Marker.NoCompactMark(ID, "too big", 1724320000, "index-size-exceeding"), m);
    b.upload(ID + "/deletion-mark.json", "{\"id\":\"x\",\"version\":2,\"deletion_time\":1}".getBytes());
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> Markers.readDeletionMark(b, ID));
    assertTrue(e.getMessage().contains(ID + "/deletion-mark.json"), e.getMessage());
    b.upload(ID + "/deletion-mark.json", "{\"id\":".getBytes());
    assertThrows(CorruptDataException.class, () -> Markers.readDeletionMark(b, ID));
    Markers.remove(b, ID, Marker.DELETION_MARK);
    assertFalse(Markers.exists(b, ID, Marker.DELETION_MARK));
  }
}
