package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.MemoryDirectory;
import io.tsdbcompactor.tombstones.Interval;
import io.tsdbcompactor.tombstones.Tombstones;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class BlockRoundTripTest {

  record Series(Labels labels, List<ChunkMeta> chunks) {}

  static List<Series> randomSeries(long seed, int count, long minT) {
    Random r = new Random(seed);
    TreeMap<Labels, List<ChunkMeta>> m = new TreeMap<>();
    while (m.size() < count) {
      Labels l = Labels.of("__name__", "m" + r.nextInt(5), "i", "v" + r.nextInt(1000), "ü", "日" + r.nextInt(3));
      List<ChunkMeta> chunks = new ArrayList<>();
      long t = minT + r.nextInt(1000);
      int nChunks = r.nextInt(4); // some series get no chunk at all
      for (int c = 0; c < nChunks; c++) {
        XorEncoder e = new XorEncoder();
        int n = 1 + r.nextInt(200);
        for (int i = 0; i < n; i++) {
          e.append(t, r.nextInt(10) == 0 ? Double.NaN : r.nextGaussian() * 100);
          t += 1 + r.nextInt(30_000);
        }
        chunks.add(e.toChunkMeta());
      }
      m.put(l, chunks);
    }
    List<Series> out = new ArrayList<>();
    m.forEach((l, c) -> out.add(new Series(l, c)));
    return out;
  }

  static BlockMeta template(String ulid, long minT, long maxT, boolean thanos) {
    BlockMeta meta = new BlockMeta();
    meta.ulid = ulid;
    meta.minTime = minT;
    meta.maxTime = maxT;
    meta.compaction.level = 2;
    meta.compaction.sources.add(ulid);
    if (thanos) {
      meta.thanos().labels = new TreeMap<>(Map.of("cluster", "a"));
      meta.thanos().source = "compactor";
    }
    return meta;
  }

  static MemoryDirectory write(List<Series> series, BlockMeta template, long maxSegment) throws Exception {
    MemoryDirectory dir = new MemoryDirectory("mem-block");
    TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
    for (Series s : series) {
      for (int i = 0; i < s.labels().size(); i++) {
        symbols.add(s.labels().name(i));
        symbols.add(s.labels().value(i));
      }
    }
    try (BlockWriter w = new BlockWriter(dir, maxSegment)) {
      w.addSymbols(SymbolMerger.of(symbols));
      for (Series s : series) {
        w.addSeries(s.labels(), s.chunks());
      }
      w.finish(template);
    }
    return dir;
  }

  @Test
  void writtenBlockReadsBackIdentically() throws Exception {
    long minT = 1_700_000_000_000L;
    List<Series> series = randomSeries(7, 300, minT);
    String ulid = Ulid.generate(minT, new Random(1)).toString();
    MemoryDirectory dir = write(series, template(ulid, minT, minT + 7_200_000_000L, true), 64 * 1024);

    long expSeries = 0;
    long expChunks = 0;
    long expSamples = 0;
    try (BlockReader r = BlockReader.open(dir)) {
      BlockReader.Series s = r.series();
      for (Series want : series) {
        if (want.chunks().isEmpty()) {
          continue; // not written
        }
        expSeries++;
        assertTrue(s.next());
        assertEquals(want.labels(), s.labels());
        List<ChunkMeta> got = s.loadChunks();
        assertEquals(want.chunks().size(), got.size());
        for (int i = 0; i < got.size(); i++) {
          assertEquals(want.chunks().get(i).minTime, got.get(i).minTime);
          assertEquals(want.chunks().get(i).maxTime, got.get(i).maxTime);
          assertEquals(want.chunks().get(i).chunk, got.get(i).chunk);
          expChunks++;
          expSamples += got.get(i).chunk.numSamples();
        }
        assertTrue(s.deleted().isEmpty());
      }
      assertFalse(s.next());
      BlockMeta m = r.meta();
      assertEquals(ulid, m.ulid);
      assertEquals(expSeries, m.stats.numSeries);
      assertEquals(expChunks, m.stats.numChunks);
      assertEquals(expSamples, m.stats.numSamples);
      assertEquals(expSamples, m.stats.numFloatSamples);
      assertEquals(0, m.stats.numHistogramSamples);
      assertTrue(r.chunkReader().segmentCount() > 1, "small segments force several files");
      List<String> expectedSegments = new ArrayList<>();
      for (int i = 1; i <= r.chunkReader().segmentCount(); i++) {
        expectedSegments.add(String.format("%06d", i));
      }
      assertEquals(expectedSegments, m.thanos.segmentFiles);
      assertTrue(m.thanos.seriesMaxSize > 0);
      assertTrue(m.thanos.chunkMaxSize > 0);
      assertTrue(r.tombstones().isEmpty());
    }
    assertEquals(List.of(), BlockVerifier.verify(dir));
    assertTrue(dir.exists("tombstones"));
  }

  @Test
  void prometheusOnlyTemplateStaysWithoutThanosSection() throws Exception {
    long minT = 1_000_000L;
    List<Series> series = randomSeries(3, 20, minT);
    MemoryDirectory dir = write(series, template(Ulid.generate(0, new Random(2)).toString(), minT,
        minT + 7_200_000_000L, false), 512L << 20);
    BlockMeta m = BlockReader.readMeta(dir);
    assertNull(m.thanos);
    assertEquals(1, m.version);
  }

  @Test
  void indexStatsFollowThanosRules() throws Exception {
    // Three chunks in one series: only the gap between the first two counts (the last two are skipped).
    long t0 = 0;
    List<ChunkMeta> chunks = new ArrayList<>();
    int[] sizes = {10, 50, 200};
    long t = t0;
    for (int size : sizes) {
      XorEncoder e = new XorEncoder();
      for (int i = 0; i < size; i++) {
        e.append(t, i * 1.5);
        t += 1000;
      }
      chunks.add(e.toChunkMeta());
    }
    MemoryDirectory dir = write(List.of(new Series(Labels.of("a", "b"), chunks)),
        template(Ulid.generate(0, new Random(3)).toString(), 0, 10_000_000, true), 512L << 20);
    BlockMeta m = BlockReader.readMeta(dir);
    int firstRecord = 1 + 1 + chunks.get(0).chunk.data().length + 4; // uvarint len (1 byte), encoding, data, crc
    assertEquals(firstRecord, m.thanos.chunkMaxSize);
    assertEquals(0, m.thanos.seriesMaxSize, "one series: nothing measured");
  }

  @Test
  void tombstonesDropAndRecodeChunks() throws Exception {
    long minT = 0;
    XorEncoder a = new XorEncoder();
    XorEncoder b = new XorEncoder();
    for (int i = 0; i < 100; i++) {
      a.append(i * 10L, i);
      b.append(10_000 + i * 10L, -i);
    }
    List<ChunkMeta> chunks = List.of(a.toChunkMeta(), b.toChunkMeta());
    MemoryDirectory dir = write(List.of(new Series(Labels.of("x", "y"), chunks)),
        template(Ulid.generate(0, new Random(4)).toString(), minT, 20_000, false), 512L << 20);
    Tombstones.Builder tb = new Tombstones.Builder();
    try (BlockReader r = BlockReader.open(dir)) {
      BlockReader.Series s = r.series();
      assertTrue(s.next());
      tb.add(s.ref(), new Interval(-5, 2000)); // the whole first chunk
      tb.add(s.ref(), new Interval(10_100, 10_195)); // part of the second
    }
    Tombstones.write(dir, tb.build());
    try (BlockReader r = BlockReader.open(dir)) {
      BlockReader.Series s = r.series();
      assertTrue(s.next());
      List<ChunkMeta> live = s.chunksWithoutDeleted();
      assertEquals(1, live.size());
      XorIterator it = new XorIterator("test", live.get(0).chunk.data());
      int n = 0;
      while (it.next()) {
        assertFalse(it.timestamp() >= 10_100 && it.timestamp() <= 10_195);
        n++;
      }
      assertEquals(100 - 10, n);
      assertEquals(10_000, live.get(0).minTime);
      // Loaded chunks are the stored ones, tombstones ignored.
      assertEquals(2, s.loadChunks().size());
    }
  }

  @Test
  void untouchedChunksAreTheSameObjects() throws Exception {
    List<Series> series = randomSeries(5, 10, 0);
    MemoryDirectory dir = write(series, template(Ulid.generate(0, new Random(5)).toString(), 0,
        7_200_000_000L, false), 512L << 20);
    try (BlockReader r = BlockReader.open(dir)) {
      BlockReader.Series s = r.series();
      while (s.next()) {
        List<ChunkMeta> loaded = s.loadChunks();
        List<ChunkMeta> live = s.chunksWithoutDeleted();
        for (int i = 0; i < loaded.size(); i++) {
          assertSame(loaded.get(i), live.get(i));
        }
      }
    }
  }

  @Test
  void statsCountSamplesPerEncodingAsThanosDoes() throws Exception {
    XorEncoder e = new XorEncoder();
    for (int i = 0; i < 7; i++) {
      e.append(i, i);
    }
    // Histogram chunks are carried, not decoded: only their 2-byte sample count matters here.
    ChunkMeta hist = new ChunkMeta(100, 200, 0, new Chunk(ChunkEncoding.HISTOGRAM, new byte[] {0, 5, 0, 0}));
    ChunkMeta fhist = new ChunkMeta(300, 400, 0, new Chunk(ChunkEncoding.FLOAT_HISTOGRAM, new byte[] {0, 3, 0}));
    // AggrChunk: uvarint length, encoding byte, then the count aggregate's XOR chunk (2-byte count first).
    byte[] countChunk = e.toChunk().data();
    byte[] aggr = new byte[2 + countChunk.length];
    aggr[0] = (byte) countChunk.length;
    aggr[1] = (byte) ChunkEncoding.XOR;
    System.arraycopy(countChunk, 0, aggr, 2, countChunk.length);
    ChunkMeta ag = new ChunkMeta(500, 600, 0, new Chunk(ChunkEncoding.AGGR, aggr));
    MemoryDirectory dir = write(List.of(new Series(Labels.of("a", "1"), List.of(e.toChunkMeta(), hist)),
        new Series(Labels.of("a", "2"), List.of(fhist, ag))), template(Ulid.generate(0, new Random(9)).toString(),
        0, 1000, false), 512L << 20);
    BlockMeta m = BlockReader.readMeta(dir);
    assertEquals(2, m.stats.numSeries);
    assertEquals(4, m.stats.numChunks);
    assertEquals(7 + 5 + 3 + 7, m.stats.numSamples);
    assertEquals(7, m.stats.numFloatSamples);
    assertEquals(5 + 3, m.stats.numHistogramSamples);
  }

  @Test
  void symbolMergerUnionsSortedCursors() throws Exception {
    StringCursor m = SymbolMerger.merge(SymbolMerger.of(List.of("b", "a", "日本", "z")),
        SymbolMerger.of(List.of("a", "c", "\uffff", "😀")), SymbolMerger.of(List.of()));
    List<String> got = new ArrayList<>();
    while (m.next()) {
      got.add(m.value());
    }
    // UTF-8 byte order: U+FFFF sorts before the 4-byte emoji, unlike Java's UTF-16 order.
    assertEquals(List.of("a", "b", "c", "z", "日本", "\uffff", "😀"), got);
  }

  @Test
  void unloadedChunkIsRejected() throws Exception {
    MemoryDirectory dir = new MemoryDirectory();
    try (BlockWriter w = new BlockWriter(dir)) {
      w.addSymbol("a");
      assertThrows(IllegalArgumentException.class,
          () -> w.addSeries(Labels.of("a", "a"), List.of(new ChunkMeta(0, 1, 0, null))));
    }
  }

  @Test
  void missingFilesAreNamed() throws Exception {
    List<Series> series = randomSeries(9, 5, 0);
    MemoryDirectory dir = write(series, template(Ulid.generate(0, new Random(6)).toString(), 0,
        7_200_000_000L, false), 512L << 20);
    dir.delete("index");
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> BlockReader.open(dir));
    assertTrue(e.getMessage().contains("mem-block/index"), e.getMessage());
    dir.delete("meta.json");
    e = assertThrows(CorruptDataException.class, () -> BlockReader.open(dir));
    assertTrue(e.getMessage().contains("mem-block/meta.json"), e.getMessage());
  }

  @Test
  void chunkBytesAreCopiedUntouched() throws Exception {
    List<Series> series = randomSeries(11, 30, 0);
    MemoryDirectory dir = write(series, template(Ulid.generate(0, new Random(7)).toString(), 0,
        7_200_000_000L, false), 512L << 20);
    MemoryDirectory copy = new MemoryDirectory("copy");
    try (BlockReader r = BlockReader.open(dir)) {
      BlockCopier.copy(r, copy, Ulid.generate(1, new Random(8)).toString(), false);
    }
    assertArrayEquals(dir.readAll("chunks/000001"), copy.readAll("chunks/000001"));
    assertArrayEquals(dir.readAll("index"), copy.readAll("index"));
  }
}
