package io.tsdbcompactor.downsample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.Histogram;
import io.tsdbcompactor.chunk.HistogramEncoder;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.HistogramMath;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class HistogramDownsampleTest {

  /** Integer histogram, schema 0, zero threshold 0, positive buckets at indices 0.. with the given counts. */
  static Histogram intHist(double sum, long... buckets) {
    Histogram h = new Histogram();
    h.clear(false);
    h.addPosSpan(0, buckets.length);
    h.sizeBuckets();
    long prev = 0;
    long count = 0;
    for (int i = 0; i < buckets.length; i++) {
      h.posDeltas[i] = buckets[i] - prev;
      prev = buckets[i];
      count += buckets[i];
    }
    h.count = count;
    h.sum = sum;
    return h;
  }

  static Histogram floatHist(int schema, int firstIndex, double... buckets) {
    Histogram h = new Histogram();
    h.clear(true);
    h.schema = schema;
    h.addPosSpan(firstIndex, buckets.length);
    h.sizeBuckets();
    double count = 0;
    for (int i = 0; i < buckets.length; i++) {
      h.posCounts[i] = buckets[i];
      count += buckets[i];
    }
    h.floatCount = count;
    return h;
  }

  static double[] posCounts(Histogram h) {
    double[] out = new double[h.posBucketCount];
    for (int i = 0; i < out.length; i++) {
      out[i] = h.posBucket(i);
    }
    return out;
  }

  /** First absolute positive bucket index. */
  static int firstIndex(Histogram h) {
    return h.posSpanOffsets[0];
  }

  static List<Histogram> decode(Chunk c, List<Long> times) throws Exception {
    HistogramIterator it = new HistogramIterator("test", c.encoding(), c.data());
    List<Histogram> out = new ArrayList<>();
    while (it.next()) {
      times.add(it.timestamp());
      out.add(it.histogram().copy());
    }
    return out;
  }

  @Test
  void twoWindowsWithCounterResetGiveHandComputedAggregates() throws Exception {
    HistogramEncoder a = new HistogramEncoder(false);
    a.append(60_000, intHist(5, 1, 2));
    Histogram stale = new Histogram();
    stale.setStale(false);
    a.append(120_000, intHist(8, 2, 3));
    // A stale marker ends a chunk (the head starts a new chunk after one).
    a.append(130_000, stale);
    // The head cuts a new chunk at a counter reset and marks it in the header.
    HistogramEncoder b = new HistogramEncoder(false);
    b.setCounterResetHeader(HistogramEncoder.COUNTER_RESET);
    b.append(360_000, intHist(2, 1, 1));
    b.append(420_000, intHist(4, 2, 2));

    SeriesDownsampler ds = new SeriesDownsampler();
    assertTrue(ds.addRawHistograms(new HistogramIterator("a", ChunkEncoding.HISTOGRAM, a.toChunk().data())));
    assertTrue(ds.addRawHistograms(new HistogramIterator("b", ChunkEncoding.HISTOGRAM, b.toChunk().data())));
    List<ChunkMeta> out = new ArrayList<>();
    ds.flushRawHistograms(Resolution.FIVE_MINUTES, out);
    assertEquals(1, out.size());
    assertEquals(299_999, out.get(0).minTime);
    assertEquals(420_000, out.get(0).maxTime);

    AggrChunk agg = AggrChunk.parse("t", out.get(0).chunk);
    assertTrue(agg.isHistogram());
    assertFalse(agg.has(AggrType.MIN));
    assertFalse(agg.has(AggrType.MAX));
    assertEquals(ChunkEncoding.XOR, agg.encoding(AggrType.COUNT));
    assertEquals(ChunkEncoding.FLOAT_HISTOGRAM, agg.encoding(AggrType.SUM));
    assertEquals(ChunkEncoding.FLOAT_HISTOGRAM, agg.encoding(AggrType.COUNTER));
    assertEquals(2, agg.numSamples());

    SampleIterator count = agg.iterator(AggrType.COUNT);
    assertTrue(count.next());
    assertEquals(299_999, count.timestamp());
    assertEquals(2, count.value(), "the stale marker is dropped");
    assertTrue(count.next());
    assertEquals(420_000, count.timestamp());
    assertEquals(2, count.value());
    assertFalse(count.next());

    List<Long> st = new ArrayList<>();
    List<Histogram> sums = decode(agg.get(AggrType.SUM), st);
    assertEquals(List.of(299_999L, 420_000L), st);
    assertEquals(HistogramEncoder.GAUGE_TYPE, agg.histogramIterator(AggrType.SUM).counterResetHeader());
    assertEquals(8, sums.get(0).floatCount);
    assertEquals(13, sums.get(0).sum);
    assertEquals(List.of(3.0, 5.0), List.of(posCounts(sums.get(0))[0], posCounts(sums.get(0))[1]));
    assertEquals(6, sums.get(1).floatCount);
    assertEquals(6, sums.get(1).sum);
    assertEquals(2.0 + 1.0, posCounts(sums.get(1))[0]);

    List<Long> ct = new ArrayList<>();
    List<Histogram> counters = decode(agg.get(AggrType.COUNTER), ct);
    assertEquals(List.of(299_999L, 420_000L), ct, "no raw first/last samples in a histogram counter");
    assertEquals(HistogramEncoder.UNKNOWN_COUNTER_RESET, agg.histogramIterator(AggrType.COUNTER).counterResetHeader());
    // Window 1: h1 + (h2 - h1) = h2.
    assertEquals(5, counters.get(0).floatCount);
    assertEquals(8, counters.get(0).sum);
    assertEquals(2.0, posCounts(counters.get(0))[0]);
    assertEquals(3.0, posCounts(counters.get(0))[1]);
    // Window 2: the reset adds h3 whole, then h4 - h3.
    assertEquals(5 + 2 + 2, counters.get(1).floatCount);
    assertEquals(8 + 2 + 2, counters.get(1).sum);
    assertEquals(4.0, posCounts(counters.get(1))[0]);
    assertEquals(5.0, posCounts(counters.get(1))[1]);

    // 5m -> 1h: one window; counts add up, the counter continues, the sum is the sum of the window sums.
    List<ChunkMeta> hour = new ArrayList<>();
    ds.downsampleHistogramAggr(List.of(agg), out.get(0).minTime, out.get(0).maxTime, Resolution.FIVE_MINUTES,
        Resolution.ONE_HOUR, hour);
    assertEquals(1, hour.size());
    assertEquals(420_000, hour.get(0).minTime);
    AggrChunk h1 = AggrChunk.parse("h", hour.get(0).chunk);
    SampleIterator hc = h1.iterator(AggrType.COUNT);
    assertTrue(hc.next());
    assertEquals(4, hc.value());
    List<Long> t1 = new ArrayList<>();
    assertEquals(9, decode(h1.get(AggrType.COUNTER), t1).get(0).floatCount);
    assertEquals(8 + 6, decode(h1.get(AggrType.SUM), t1).get(0).floatCount);
    assertEquals(AggrChunk.verify("h", hour.get(0).chunk, hour.get(0).minTime, hour.get(0).maxTime), 1);
    assertEquals(AggrChunk.verify("t", out.get(0).chunk, out.get(0).minTime, out.get(0).maxTime), 2);
  }

  @Test
  void reduceSchemaMergesBucketsIntoTheirCoarserParent() {
    HistogramMath m = new HistogramMath();
    // Schema 1 buckets -1..4; at schema 0: (-1,0) -> 0, (1,2) -> 1, (3,4) -> 2.
    Histogram h = floatHist(1, -1, 1, 2, 3, 4, 5, 6);
    m.reduceSchema(h, 0);
    assertEquals(0, h.schema);
    assertEquals(0, firstIndex(h));
    assertEquals(1, h.posSpanCount);
    assertEquals(3, h.posBucketCount);
    assertEquals(3.0, h.posCounts[0]);
    assertEquals(7.0, h.posCounts[1]);
    assertEquals(11.0, h.posCounts[2]);
    assertEquals(21.0, h.floatCount);
    // Two levels down: schema 2 index 5 ((2^(1/4))^5) lies in schema 0 bucket 2 = (2, 4].
    Histogram g = floatHist(2, 5, 7);
    m.reduceSchema(g, 0);
    assertEquals(2, firstIndex(g));
  }

  @Test
  void addSubAndResetDetectionWorkOverTheUnionOfLayouts() {
    HistogramMath m = new HistogramMath();
    Histogram a = floatHist(0, 0, 1, 2);
    Histogram b = floatHist(0, 3, 5);
    m.add(a, b);
    assertEquals(2, a.posSpanCount, "a gap keeps two spans");
    assertEquals(8.0, a.floatCount);
    assertEquals(5.0, a.posCounts[2]);
    assertEquals(3, a.posSpanOffsets[1] + 2, "second span starts at index 3");
    Histogram prev = floatHist(0, 0, 1, 2);
    Histogram cur = floatHist(0, 0, 1, 3);
    assertFalse(m.detectReset(cur, prev));
    Histogram fell = floatHist(0, 0, 2, 1);
    fell.floatCount = 10; // count rose, but one bucket fell
    assertTrue(m.detectReset(fell, prev));
    Histogram missing = floatHist(0, 1, 9);
    assertTrue(m.detectReset(missing, prev), "a populated bucket that disappeared is a reset");
    Histogram finer = floatHist(1, 0, 1, 3, 5);
    assertTrue(m.detectReset(finer, prev), "a schema increase is a reset");
    finer.counterResetHint = Histogram.NOT_COUNTER_RESET;
    assertFalse(m.detectReset(finer, prev), "the hint wins");
    m.sub(cur, prev);
    assertEquals(1.0, cur.floatCount);
    assertEquals(0.0, cur.posCounts[0]);
    assertEquals(1.0, cur.posCounts[1]);
  }

  @Test
  void addingWithALargerZeroThresholdFoldsBucketsIntoTheZeroBucket() {
    HistogramMath m = new HistogramMath();
    Histogram a = floatHist(0, 0, 2, 3); // buckets (0.5,1] and (1,2]
    Histogram wide = new Histogram();
    wide.clear(true);
    wide.zeroThreshold = 1;
    m.add(a, wide);
    assertEquals(1.0, a.zeroThreshold);
    assertEquals(2.0, a.floatZeroCount);
    assertEquals(1, a.posBucketCount);
    assertEquals(1, firstIndex(a));
    assertEquals(3.0, a.posCounts[0]);
    assertEquals(5.0, a.floatCount);
  }

  @Test
  void mixedSchemasAreReducedToTheSmallest() throws Exception {
    HistogramEncoder a = new HistogramEncoder(true);
    a.append(10_000, floatHist(1, 1, 1, 1));
    HistogramEncoder b = new HistogramEncoder(true);
    b.append(20_000, floatHist(0, 1, 4));
    SeriesDownsampler ds = new SeriesDownsampler();
    ds.addRawHistograms(new HistogramIterator("a", ChunkEncoding.FLOAT_HISTOGRAM, a.toChunk().data()));
    ds.addRawHistograms(new HistogramIterator("b", ChunkEncoding.FLOAT_HISTOGRAM, b.toChunk().data()));
    List<ChunkMeta> out = new ArrayList<>();
    ds.flushRawHistograms(Resolution.FIVE_MINUTES, out);
    AggrChunk agg = AggrChunk.parse("t", out.get(0).chunk);
    List<Long> t = new ArrayList<>();
    Histogram sum = decode(agg.get(AggrType.SUM), t).get(0);
    assertEquals(0, sum.schema);
    assertEquals(1, firstIndex(sum));
    assertEquals(6.0, sum.posBucket(0), "schema-1 buckets 1 and 2 both land in schema-0 bucket 1");
    Histogram counter = decode(agg.get(AggrType.COUNTER), t).get(0);
    assertEquals(4.0, counter.floatCount, "2 + (4 - 2)");
  }

  @Test
  void allStaleChunkGivesNothing() throws Exception {
    HistogramEncoder a = new HistogramEncoder(false);
    Histogram stale = new Histogram();
    stale.setStale(false);
    a.append(10_000, stale);
    SeriesDownsampler ds = new SeriesDownsampler();
    ds.addRawHistograms(new HistogramIterator("a", ChunkEncoding.HISTOGRAM, a.toChunk().data()));
    List<ChunkMeta> out = new ArrayList<>();
    ds.flushRawHistograms(Resolution.FIVE_MINUTES, out);
    assertTrue(out.isEmpty());
  }

  /** Per series: raw non-stale sample count and the counter increase from the first raw sample. */
  record RawStats(long samples, double firstCount, double increase) {}

  static Map<Labels, RawStats> rawStats(Directory dir) throws Exception {
    Map<Labels, RawStats> out = new HashMap<>();
    try (IndexReader index = IndexReader.open(dir, "index"); ChunkSegmentReader chunks = new ChunkSegmentReader(dir)) {
      SeriesCursor cur = index.series();
      while (cur.next()) {
        IndexSeries s = cur.at();
        long n = 0;
        double first = Double.NaN;
        double prev = Double.NaN;
        double inc = 0;
        for (ChunkMeta m : s.chunks()) {
          Chunk c = chunks.read(m.ref);
          if (c.encoding() != ChunkEncoding.HISTOGRAM && c.encoding() != ChunkEncoding.FLOAT_HISTOGRAM) {
            continue;
          }
          HistogramIterator it = new HistogramIterator("raw", c.encoding(), c.data());
          while (it.next()) {
            Histogram h = it.histogram();
            if (h.isStale()) {
              continue;
            }
            double count = h.isFloat ? h.floatCount : h.count;
            n++;
            if (Double.isNaN(first)) {
              first = count;
            } else {
              // A counter reset shows as a falling count (the independent rule for this check); gauge
              // histograms never reset, their "counter" ends at the last value.
              boolean gauge = h.counterResetHint == Histogram.GAUGE;
              inc += count < prev && !gauge ? count : count - prev;
            }
            prev = count;
          }
        }
        if (n > 0) {
          out.put(s.labels(), new RawStats(n, first, inc));
        }
      }
    }
    return out;
  }

  /** Per series: sum of window counts, and the last window's counter count. */
  static Map<Labels, double[]> aggrStats(Directory dir) throws Exception {
    Map<Labels, double[]> out = new HashMap<>();
    try (IndexReader index = IndexReader.open(dir, "index"); ChunkSegmentReader chunks = new ChunkSegmentReader(dir)) {
      SeriesCursor cur = index.series();
      while (cur.next()) {
        IndexSeries s = cur.at();
        double windows = 0;
        double lastCounter = Double.NaN;
        for (ChunkMeta m : s.chunks()) {
          AggrChunk a = AggrChunk.parse("out", chunks.read(m.ref));
          if (!a.isHistogram()) {
            continue;
          }
          SampleIterator c = a.iterator(AggrType.COUNT);
          while (c.next()) {
            windows += c.value();
          }
          HistogramIterator h = a.histogramIterator(AggrType.COUNTER);
          while (h.next()) {
            lastCounter = h.histogram().floatCount;
          }
        }
        if (windows > 0) {
          out.put(s.labels(), new double[] {windows, lastCounter});
        }
      }
    }
    return out;
  }

  @Test
  void realHistogramBlockRoundTripsRawTo5mTo1h() throws Exception {
    Path blockPath;
    try (Stream<Path> dirs = Files.list(Path.of("testdata/blocks/histogram"))) {
      blockPath = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
    }
    FsDirectory raw = new FsDirectory(blockPath);
    Map<Labels, RawStats> want = rawStats(raw);
    assertFalse(want.isEmpty());

    MemoryDirectory five = new MemoryDirectory("5m");
    BlockDownsampler.Result r5 = BlockDownsampler.downsample(raw, five, Resolution.FIVE_MINUTES, TestUlids.next());
    assertEquals(0, r5.skippedHistogramChunks());
    assertEquals(List.of(), BlockVerifier.verify(five));
    Map<Labels, double[]> got5 = aggrStats(five);
    assertEquals(want.keySet(), got5.keySet());
    for (Map.Entry<Labels, RawStats> e : want.entrySet()) {
      double[] g = got5.get(e.getKey());
      assertEquals(e.getValue().samples(), (long) g[0], "window counts of " + e.getKey());
      assertEquals(e.getValue().increase(), g[1] - e.getValue().firstCount(), 1e-9, "increase of " + e.getKey());
    }

    MemoryDirectory hour = new MemoryDirectory("1h");
    BlockDownsampler.Result r1 = BlockDownsampler.downsample(five, hour, Resolution.ONE_HOUR, TestUlids.next());
    assertEquals(0, r1.skippedHistogramChunks());
    assertEquals(List.of(), BlockVerifier.verify(hour));
    BlockMeta meta = r1.meta();
    assertEquals(Resolution.ONE_HOUR, meta.resolution());
    Map<Labels, double[]> got1 = aggrStats(hour);
    for (Map.Entry<Labels, RawStats> e : want.entrySet()) {
      double[] g = got1.get(e.getKey());
      assertEquals(e.getValue().samples(), (long) g[0], "1h window counts of " + e.getKey());
      assertEquals(got5.get(e.getKey())[1], g[1], 1e-9, "1h counter of " + e.getKey());
    }
    // The dump prints the histograms.
    try (io.tsdbcompactor.block.BlockReader br = io.tsdbcompactor.block.BlockReader.open(five)) {
      StringBuilder sb = new StringBuilder();
      AggrChunkDump.dump(br, Long.MIN_VALUE, Long.MAX_VALUE, sb);
      assertTrue(sb.toString().contains(" counter={count:"), sb.substring(0, Math.min(400, sb.length())));
    }
  }

  /** One series: float chunk, histogram chunk, float chunk; minute samples. */
  private static void writeMixedBlock(Directory dir) throws Exception {
    Labels l = Labels.of("__name__", "mixed");
    List<ChunkMeta> metas = new ArrayList<>();
    try (io.tsdbcompactor.chunkfile.ChunkSegmentWriter cw = new io.tsdbcompactor.chunkfile.ChunkSegmentWriter(dir);
        io.tsdbcompactor.index.IndexWriter iw = new io.tsdbcompactor.index.IndexWriter(dir, "index")) {
      iw.addSymbol("__name__");
      iw.addSymbol("mixed");
      io.tsdbcompactor.chunk.XorEncoder x1 = new io.tsdbcompactor.chunk.XorEncoder();
      for (int i = 0; i <= 10; i++) {
        x1.append(i * 60_000L, i);
      }
      HistogramEncoder h = new HistogramEncoder(false);
      for (int i = 20; i <= 40; i++) {
        h.append(i * 60_000L, intHist(i, i, 2L * i));
      }
      io.tsdbcompactor.chunk.XorEncoder x2 = new io.tsdbcompactor.chunk.XorEncoder();
      for (int i = 50; i <= 60; i++) {
        x2.append(i * 60_000L, i);
      }
      for (ChunkMeta m : new ChunkMeta[] {x1.toChunkMeta(), h.toChunkMeta(), x2.toChunkMeta()}) {
        m.ref = cw.write(m.chunk);
        metas.add(m);
      }
      iw.addSeries(l, metas);
    }
    BlockMeta meta = new BlockMeta();
    meta.ulid = "01HAAAAAAAAAAAAAAAAAAAAAAA";
    meta.minTime = 0;
    meta.maxTime = 60 * 60_000L + 1;
    meta.stats.numSamples = 11 + 21 + 11;
    meta.stats.numSeries = 1;
    meta.stats.numChunks = 3;
    meta.compaction.level = 1;
    meta.compaction.sources = new ArrayList<>(List.of(meta.ulid));
    dir.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
  }

  private static List<Boolean> kinds(Directory dir) throws Exception {
    List<Boolean> out = new ArrayList<>();
    try (IndexReader index = IndexReader.open(dir, "index"); ChunkSegmentReader chunks = new ChunkSegmentReader(dir)) {
      SeriesCursor cur = index.series();
      while (cur.next()) {
        long prevMax = Long.MIN_VALUE;
        for (ChunkMeta m : cur.at().chunks()) {
          assertTrue(m.minTime > prevMax, "chunks in order, not overlapping");
          prevMax = m.maxTime;
          out.add(AggrChunk.parse("c", chunks.read(m.ref)).isHistogram());
        }
      }
    }
    return out;
  }

  @Test
  void floatAndHistogramRunsOfOneSeriesAreDownsampledSeparately() throws Exception {
    MemoryDirectory raw = new MemoryDirectory("raw");
    writeMixedBlock(raw);
    MemoryDirectory five = new MemoryDirectory("5m");
    BlockDownsampler.downsample(raw, five, Resolution.FIVE_MINUTES, TestUlids.next()).meta();
    assertEquals(List.of(), BlockVerifier.verify(five));
    List<Boolean> k5 = kinds(five);
    assertEquals(List.of(false, true, false), k5);
    MemoryDirectory hour = new MemoryDirectory("1h");
    BlockDownsampler.downsample(five, hour, Resolution.ONE_HOUR, TestUlids.next()).meta();
    assertEquals(List.of(), BlockVerifier.verify(hour));
    assertEquals(List.of(false, true, false), kinds(hour));
    Map<Labels, double[]> got = aggrStats(hour);
    assertEquals(21, (long) got.get(Labels.of("__name__", "mixed"))[0]);
    // Counter: 3*20 at the start, rising by 3 a minute to 3*40.
    assertEquals(120, got.get(Labels.of("__name__", "mixed"))[1]);
  }

  @Test
  void absentHistogramAggregateReadsEmpty() throws Exception {
    Chunk[] subs = {null, null, null, null, null};
    AggrChunk a = AggrChunk.parse("x", AggrChunk.encode(subs));
    assertFalse(a.histogramIterator(AggrType.SUM).next());
    assertNull(a.get(AggrType.SUM));
  }
}
