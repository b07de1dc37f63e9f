package io.tsdbcompactor.downsample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BlockDownsamplerTest {
  private static final String SOURCE = "01HAAAAAAAAAAAAAAAAAAAAAAA";
  private static final String OTHER = "01HBBBBBBBBBBBBBBBBBBBBBBB";

  /** Writes a block of the given series, each cut into 120-sample XOR chunks (or given chunk lists). */
  static BlockMeta writeRawBlock(Directory dir, Map<Labels, List<TestSeries.Samples>> series, long resolution)
      throws IOException {
    TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
    for (Labels l : series.keySet()) {
      for (int i = 0; i < l.size(); i++) {
        symbols.add(l.name(i));
        symbols.add(l.value(i));
      }
    }
    symbols.add("unused-symbol");
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    long samples = 0;
    long chunks = 0;
    try (ChunkSegmentWriter cw = new ChunkSegmentWriter(dir); IndexWriter iw = new IndexWriter(dir, "index")) {
      for (String s : symbols) {
        iw.addSymbol(s);
      }
      for (Map.Entry<Labels, List<TestSeries.Samples>> e : series.entrySet()) {
        List<ChunkMeta> metas = new ArrayList<>();
        for (TestSeries.Samples c : e.getValue()) {
          XorEncoder enc = new XorEncoder();
          for (int i = 0; i < c.n; i++) {
            enc.append(c.t[i], c.v[i]);
          }
          ChunkMeta m = enc.toChunkMeta();
          m.ref = cw.write(m.chunk);
          metas.add(m);
          minT = Math.min(minT, c.t[0]);
          maxT = Math.max(maxT, c.t[c.n - 1]);
          samples += c.n;
          chunks++;
        }
        iw.addSeries(e.getKey(), metas);
      }
    }
    BlockMeta meta = new BlockMeta();
    meta.ulid = SOURCE;
    meta.minTime = minT;
    meta.maxTime = maxT + 1;
    meta.stats.numSamples = samples;
    meta.stats.numFloatSamples = samples;
    meta.stats.numSeries = series.size();
    meta.stats.numChunks = chunks;
    meta.compaction.level = 3;
    meta.compaction.sources = new ArrayList<>(List.of(SOURCE, OTHER));
    meta.compaction.parents.add(new BlockMeta.BlockDesc(OTHER, minT, maxT));
    BlockMeta.Thanos th = meta.thanos();
    th.labels = new TreeMap<>(Map.of("cluster", "eu1"));
    th.resolution = resolution;
    th.source = "sidecar";
    th.files.add(new BlockMeta.FileEntry("index", 123));
    th.uploadTime = "2024-01-01T00:00:00Z";
    dir.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
    return meta;
  }

  private static Map<Labels, List<TestSeries.Samples>> randomBlock(Random r, int numSeries) {
    Map<Labels, List<TestSeries.Samples>> out = new TreeMap<>();
    for (int s = 0; s < numSeries; s++) {
      out.put(Labels.of("__name__", "m", "instance", "host-" + s), DownsamplePropertyTest.randomSeries(r));
    }
    return out;
  }

  /** Per series: labels → number of non-NaN raw samples. */
  private static Map<Labels, Long> rawCounts(Map<Labels, List<TestSeries.Samples>> series) {
    Map<Labels, Long> out = new TreeMap<>();
    for (Map.Entry<Labels, List<TestSeries.Samples>> e : series.entrySet()) {
      long n = 0;
      for (TestSeries.Samples c : e.getValue()) {
        for (int i = 0; i < c.n; i++) {
          n += Double.isNaN(c.v[i]) ? 0 : 1;
        }
      }
      out.put(e.getKey(), n);
    }
    return out;
  }

  /** Reads a downsampled block back: labels → sum of its count aggregates; checks the stats on the way. */
  static Map<Labels, Long> readCounts(Directory dir, BlockMeta meta) throws IOException {
    Map<Labels, Long> out = new TreeMap<>();
    long windows = 0;
    long chunks = 0;
    try (IndexReader index = IndexReader.open(dir, "index"); ChunkSegmentReader cr = new ChunkSegmentReader(dir)) {
      index.verify();
      cr.verify();
      SeriesCursor c = index.series();
      while (c.next()) {
        IndexSeries s = c.at();
        long n = 0;
        long prevMax = Long.MIN_VALUE;
        for (ChunkMeta m : s.chunks()) {
          Chunk chunk = cr.read(m.ref);
          assertEquals(ChunkEncoding.AGGR, chunk.encoding());
          assertTrue(m.minTime > prevMax, "chunks of " + s.labels() + " do not overlap");
          prevMax = m.maxTime;
          assertEquals(AggrChunk.verify("out", chunk, m.minTime, m.maxTime), chunk.numSamples());
          AggrChunk a = AggrChunk.parse("out", chunk);
          for (AggrType t : AggrType.values()) {
            assertTrue(a.has(t), "float chunks carry every aggregate");
          }
          SampleIterator it = a.iterator(AggrType.COUNT);
          while (it.next()) {
            assertTrue(it.timestamp() >= m.minTime && it.timestamp() <= m.maxTime);
            n += (long) it.value();
          }
          windows += a.numSamples();
          chunks++;
        }
        out.put(s.labels(), n);
      }
    }
    assertEquals(out.size(), meta.stats.numSeries);
    assertEquals(chunks, meta.stats.numChunks);
    assertEquals(windows, meta.stats.numSamples);
    return out;
  }

  @Test
  void rawTo5mTo1hKeepsEverySampleAndInheritsTheMeta() throws Exception {
    Random r = new Random(42);
    Map<Labels, List<TestSeries.Samples>> series = randomBlock(r, 4);
    MemoryDirectory raw = new MemoryDirectory("raw");
    BlockMeta src = writeRawBlock(raw, series, Resolution.RAW);

    MemoryDirectory five = new MemoryDirectory("5m");
    BlockMeta m5 = BlockDownsampler.downsample(raw, five, Resolution.FIVE_MINUTES, TestUlids.next()).meta();
    assertEquals(rawCounts(series), readCounts(five, m5));
    assertEquals(new String(m5.toJsonBytes(), java.nio.charset.StandardCharsets.UTF_8),
        new String(five.readAll("meta.json"), java.nio.charset.StandardCharsets.UTF_8), "returned meta is the written one");
    assertTrue(Ulid.isValid(m5.ulid) && !m5.ulid.equals(SOURCE));
    assertEquals(Resolution.FIVE_MINUTES, m5.resolution());
    assertEquals("compactor", m5.thanos.source);
    assertEquals(List.of("000001"), m5.thanos.segmentFiles);
    assertEquals(src.minTime, m5.minTime);
    assertEquals(src.maxTime, m5.maxTime);
    assertEquals(3, m5.compaction.level, "downsampling does not add a level");
    assertEquals(List.of(SOURCE, OTHER), m5.compaction.sources);
    assertEquals(1, m5.compaction.parents.size());
    assertEquals(Map.of("cluster", "eu1"), m5.thanos.labels);
    assertEquals(src.stats.numFloatSamples, m5.stats.numFloatSamples, "kept from the source, as Thanos does");
    assertTrue(m5.thanos.files.isEmpty(), "files describe an upload; the uploader sets them");
    assertEquals(BlockMeta.ZERO_TIME, m5.thanos.uploadTime);
    assertTrue(m5.thanos.seriesMaxSize > 0);
    assertTrue(five.exists("tombstones"));
    // All source symbols are carried over, used or not.
    assertTrue(symbols(five).contains("unused-symbol"));

    // The downsampled block is itself downsampled to 1h (its meta says 5m).
    MemoryDirectory hour = new MemoryDirectory("1h");
    BlockMeta m1 = BlockDownsampler.downsample(five, hour, Resolution.ONE_HOUR, TestUlids.next()).meta();
    assertEquals(rawCounts(series), readCounts(hour, m1));
    assertEquals(Resolution.ONE_HOUR, m1.resolution());
    assertTrue(m1.stats.numSamples < m5.stats.numSamples);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BlockDownsampler.downsample(hour, new MemoryDirectory(), Resolution.FIVE_MINUTES, TestUlids.next()).meta());
    assertTrue(e.getMessage().contains("not lower than existing one"), e.getMessage());
  }

  /**
   * Enough series that the downsampling runs on both threads (batches of at most 64 series): every series comes
   * out in index order with exactly the chunks a downsampler of its own makes of it.
   */
  @Test
  void manySeriesDownsampledOnTwoThreadsComeOutInOrderAsOneByOne() throws Exception {
    Map<Labels, List<TestSeries.Samples>> series = randomBlock(new Random(7), 1_500);
    MemoryDirectory raw = new MemoryDirectory("raw");
    writeRawBlock(raw, series, Resolution.RAW);
    MemoryDirectory five = new MemoryDirectory("5m");
    BlockMeta m5 = BlockDownsampler.downsample(raw, five, Resolution.FIVE_MINUTES, TestUlids.next()).meta();
    assertEquals(rawCounts(series), readCounts(five, m5));

    SeriesDownsampler alone = new SeriesDownsampler();
    List<Labels> order = new ArrayList<>();
    try (IndexReader index = IndexReader.open(five, "index"); ChunkSegmentReader cr = new ChunkSegmentReader(five)) {
      SeriesCursor c = index.series();
      while (c.next()) {
        IndexSeries s = c.at();
        order.add(s.labels());
        alone.resetRaw();
        for (TestSeries.Samples chunk : series.get(s.labels())) {
          alone.addRaw(chunk.t, chunk.v, chunk.n);
        }
        List<ChunkMeta> expected = new ArrayList<>();
        alone.flushRaw(Resolution.FIVE_MINUTES, expected);
        assertEquals(expected.size(), s.chunks().size(), s.labels().toString());
        for (int i = 0; i < expected.size(); i++) {
          ChunkMeta e = expected.get(i);
          ChunkMeta got = s.chunks().get(i);
          assertEquals(e.minTime, got.minTime);
          assertEquals(e.maxTime, got.maxTime);
          assertArrayEquals(e.chunk.data(), cr.read(got.ref).data(), s.labels() + " chunk " + i);
        }
      }
    }
    assertEquals(new ArrayList<>(new TreeMap<>(series).keySet()), order, "index order");
  }

  /**
   * Two series that cannot be downsampled, both in flight at once on two threads: the one first in index order is
   * the one reported, as one thread would have, and nothing is left behind.
   */
  @Test
  void theFirstBadSeriesInIndexOrderIsTheOneReported() throws Exception {
    Map<Labels, List<TestSeries.Samples>> series = randomBlock(new Random(11), 300);
    List<Labels> labels = new ArrayList<>(series.keySet());
    Labels firstBad = labels.get(10);
    Labels laterBad = labels.get(70);
    MemoryDirectory raw = new MemoryDirectory("raw");
    TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
    for (Labels l : labels) {
      for (int i = 0; i < l.size(); i++) {
        symbols.add(l.name(i));
        symbols.add(l.value(i));
      }
    }
    try (ChunkSegmentWriter cw = new ChunkSegmentWriter(raw); IndexWriter iw = new IndexWriter(raw, "index")) {
      for (String sym : symbols) {
        iw.addSymbol(sym);
      }
      for (Labels l : labels) {
        TestSeries.Samples c = series.get(l).get(0);
        XorEncoder enc = new XorEncoder();
        for (int i = 0; i < c.n; i++) {
          enc.append(c.t[i], c.v[i]);
        }
        ChunkMeta m = enc.toChunkMeta();
        if (l.equals(firstBad) || l.equals(laterBad)) {
          // A raw block cannot hold an aggregate chunk: the downsampling of this series fails.
          m = new ChunkMeta(m.minTime, m.maxTime, 0, new Chunk(ChunkEncoding.AGGR, m.chunk.data()));
        }
        m.ref = cw.write(m.chunk);
        iw.addSeries(l, List.of(m));
      }
    }
    BlockMeta meta = new BlockMeta();
    meta.ulid = SOURCE;
    meta.minTime = 0;
    meta.maxTime = Long.MAX_VALUE / 2;
    meta.thanos().resolution = Resolution.RAW;
    raw.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
    MemoryDirectory out = new MemoryDirectory("out");
    for (int attempt = 0; attempt < 20; attempt++) {
      CorruptDataException e = assertThrows(CorruptDataException.class,
          () -> BlockDownsampler.downsample(raw, out, Resolution.FIVE_MINUTES, TestUlids.next()));
      assertTrue(e.getMessage().contains(firstBad.toString()), e.getMessage());
      assertTrue(out.listAll().isEmpty(), "partial output removed: " + out.listAll());
    }
  }

  /**
   * A raw chunk that does not decode fails the downsampling with an error naming block, file and chunk: in a series
   * held whole, and in one long enough to be read twice.
   */
  @ParameterizedTest
  @CsvSource({"3, 2", "1200, 700"})
  void aChunkThatDoesNotDecodeIsNamedByFileAndReference(int chunks, int corrupt) throws Exception {
    Labels labels = Labels.of("__name__", "up", "job", "a");
    MemoryDirectory raw = new MemoryDirectory("raw-block");
    long ref;
    try (ChunkSegmentWriter cw = new ChunkSegmentWriter(raw); IndexWriter iw = new IndexWriter(raw, "index")) {
      for (String sym : new TreeSet<>(List.of("__name__", "up", "job", "a"))) {
        iw.addSymbol(sym);
      }
      List<ChunkMeta> metas = new ArrayList<>();
      for (int c = 0; c < chunks; c++) {
        XorEncoder enc = new XorEncoder();
        for (int i = 0; i < 120; i++) {
          enc.append(c * 7_200_000L + i * 60_000L, i * 1.5);
        }
        ChunkMeta m = enc.toChunkMeta();
        if (c == corrupt) {
          // Cut short behind its header: the record's CRC is right, the bits run out before the 120th sample.
          byte[] data = m.chunk.data();
          m = new ChunkMeta(m.minTime, m.maxTime, 0,
              new Chunk(ChunkEncoding.XOR, java.util.Arrays.copyOf(data, data.length / 2)));
        }
        m.ref = cw.write(m.chunk);
        metas.add(m);
      }
      ref = metas.get(corrupt).ref;
      iw.addSeries(labels, metas);
    }
    BlockMeta meta = new BlockMeta();
    meta.ulid = SOURCE;
    meta.minTime = 0;
    meta.maxTime = chunks * 7_200_000L;
    meta.thanos().resolution = Resolution.RAW;
    raw.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
    MemoryDirectory out = new MemoryDirectory("out");
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> BlockDownsampler.downsample(raw, out, Resolution.FIVE_MINUTES, TestUlids.next()));
    String chunk = raw.describe() + "/chunks/000001 ref " + io.tsdbcompactor.chunkfile.ChunkRef.toString(ref);
    assertEquals(chunk, e.file());
    assertTrue(e.getMessage().startsWith(chunk + " at offset "), e.getMessage());
    assertTrue(out.listAll().isEmpty(), "partial output removed: " + out.listAll());
  }

  private static List<String> symbols(Directory dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (IndexReader index = IndexReader.open(dir, "index")) {
      StringCursor c = index.symbols();
      while (c.next()) {
        out.add(c.value());
      }
    }
    return out;
  }

  @Test
  void seriesWithOnlyNaNIsLeftOut() throws Exception {
    Map<Labels, List<TestSeries.Samples>> series = new TreeMap<>();
    series.put(Labels.of("__name__", "a"), List.of(TestSeries.parse("1000:NaN 2000:Stale 3000:NaN")));
    series.put(Labels.of("__name__", "b"), List.of(TestSeries.parse("1000:1 2000:2 400000:3")));
    MemoryDirectory raw = new MemoryDirectory("raw");
    writeRawBlock(raw, series, Resolution.RAW);
    MemoryDirectory out = new MemoryDirectory("out");
    BlockMeta m = BlockDownsampler.downsample(raw, out, Resolution.FIVE_MINUTES, TestUlids.next()).meta();
    assertEquals(Map.of(Labels.of("__name__", "b"), 3L), readCounts(out, m));
    assertEquals(1, m.stats.numSeries);
    assertTrue(symbols(out).contains("a"));
  }

  @Test
  void blockWithNothingLeftGivesAnEmptyButValidBlock() throws Exception {
    Map<Labels, List<TestSeries.Samples>> series = new TreeMap<>();
    series.put(Labels.of("__name__", "a"), List.of(TestSeries.parse("1000:NaN 2000:Stale")));
    MemoryDirectory raw = new MemoryDirectory("raw");
    writeRawBlock(raw, series, Resolution.RAW);
    MemoryDirectory out = new MemoryDirectory("out");
    BlockMeta m = BlockDownsampler.downsample(raw, out, Resolution.FIVE_MINUTES, TestUlids.next()).meta();
    assertEquals(Map.of(), readCounts(out, m));
    assertEquals(0, m.stats.numSeries);
    assertTrue(m.thanos.segmentFiles.isEmpty());
  }

  /** V2's negative case: the same chunk twice in a series. */
  @Test
  void overlappingChunksAreRejectedAndNothingIsLeftBehind() throws Exception {
    TestSeries.Samples c1 = TestSeries.parse("20:1 40:2 60:3 80:1 100:2 101:Stale 120:5 180:10 250:2");
    Map<Labels, List<TestSeries.Samples>> series = new TreeMap<>();
    series.put(Labels.of("__name__", "a"), List.of(c1, c1));
    MemoryDirectory raw = new MemoryDirectory("raw");
    writeRawBlock(raw, series, Resolution.RAW);
    MemoryDirectory out = new MemoryDirectory("out");
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> BlockDownsampler.downsample(raw, out, 100, TestUlids.next()).meta());
    assertTrue(e.getMessage().contains("found overlapping chunks within series"), e.getMessage());
    assertTrue(e.getMessage().contains("raw/index") || e.getMessage().contains("index"), e.getMessage());
    assertTrue(out.listAll().isEmpty(), "partial output removed: " + out.listAll());
  }

  /** The promtool-made test blocks: every non-stale raw sample lands in exactly one window. */
  @Test
  void promtoolBlocksDownsample() throws Exception {
    Path root = Path.of("testdata", "blocks", "basic");
    assertTrue(Files.isDirectory(root), "run from the project root");
    List<Path> blocks;
    try (Stream<Path> s = Files.list(root)) {
      blocks = s.filter(Files::isDirectory).sorted().toList();
    }
    assertFalse(blocks.isEmpty());
    for (Path b : blocks) {
      FsDirectory in = new FsDirectory(b);
      Map<Labels, Long> expected = new TreeMap<>();
      try (IndexReader index = IndexReader.open(in, "index"); ChunkSegmentReader cr = new ChunkSegmentReader(in)) {
        SeriesCursor c = index.series();
        while (c.next()) {
          long n = 0;
          for (ChunkMeta m : c.at().chunks()) {
            XorIterator it = new XorIterator("x", cr.read(m.ref).data());
            while (it.next()) {
              n += Double.isNaN(it.value()) ? 0 : 1;
            }
          }
          if (n > 0) {
            expected.put(c.at().labels(), n);
          }
        }
      }
      MemoryDirectory out = new MemoryDirectory("out");
      BlockMeta m = BlockDownsampler.downsample(in, out, Resolution.FIVE_MINUTES, TestUlids.next()).meta();
      assertEquals(expected, readCounts(out, m), b.toString());
    }
  }
}
