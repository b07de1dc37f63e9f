package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link ChunkMerger} over overlapping histogram and float-histogram chunks. */
class HistogramChunkMergerTest {

  /** A histogram with buckets at the given indices (one span each run), counts growing with t. */
  static Histogram hist(boolean floats, long t, int schema, int... indices) {
    Histogram h = new Histogram();
    h.clear(floats);
    h.schema = schema;
    h.zeroThreshold = 0x1p-128;
    int i = 0;
    long last = 0;
    while (i < indices.length) {
      int j = i;
      while (j + 1 < indices.length && indices[j + 1] == indices[j] + 1) {
        j++;
      }
      h.addPosSpan((int) (h.posSpanCount == 0 ? indices[i] : indices[i] - last - 1), j - i + 1);
      last = indices[j];
      i = j + 1;
    }
    h.sizeBuckets();
    long prev = 0;
    long total = 0;
    for (int k = 0; k < h.posBucketCount; k++) {
      long abs = t / 10 + indices[k];
      h.posDeltas[k] = abs - prev;
      h.posCounts[k] = abs;
      prev = abs;
      total += abs;
    }
    h.count = total;
    h.floatCount = total;
    h.sum = t * 0.5;
    return h;
  }

  static ChunkMeta chunk(boolean floats, int header, long[] ts, Histogram[] hs) {
    HistogramEncoder e = new HistogramEncoder(floats);
    e.setCounterResetHeader(header);
    for (int i = 0; i < ts.length; i++) {
      e.append(ts[i], hs[i]);
    }
    return e.toChunkMeta();
  }

  /** Samples at start, start+step, ... (n of them), all with the given bucket indices. */
  static ChunkMeta series(boolean floats, long start, long step, int n, int schema, int... indices) {
    long[] ts = new long[n];
    Histogram[] hs = new Histogram[n];
    for (int i = 0; i < n; i++) {
      ts[i] = start + i * step;
      hs[i] = hist(floats, ts[i], schema, indices);
    }
    return chunk(floats, HistogramEncoder.UNKNOWN_COUNTER_RESET, ts, hs);
  }

  /** Decodes chunks into t -> bucket index -> absolute count (stale markers as an empty map under key -1). */
  static TreeMap<Long, TreeMap<Long, Double>> decode(List<ChunkMeta> chunks) throws CorruptDataException {
    TreeMap<Long, TreeMap<Long, Double>> out = new TreeMap<>();
    long prevMax = Long.MIN_VALUE;
    for (ChunkMeta m : chunks) {
      assertTrue(m.minTime > prevMax, "chunks overlap");
      prevMax = m.maxTime;
      HistogramIterator it = new HistogramIterator("out", m.chunk.encoding(), m.chunk.data());
      while (it.next()) {
        TreeMap<Long, Double> b = HistogramGen.absolute(it.histogram());
        if (it.histogram().isStale()) {
          b.put(-1L, Double.NaN);
        } else {
          b.put(Long.MIN_VALUE, it.histogram().sum);
        }
        out.put(it.timestamp(), b);
      }
    }
    return out;
  }

  @Test
  void sameLayoutInterleavedMergesAsPrometheus242Cuts() throws IOException {
    for (boolean floats : new boolean[] {false, true}) {
      ChunkMeta a = series(floats, 0, 20, 150, 3, 0, 1, 2, 5);
      ChunkMeta b = series(floats, 10, 20, 150, 3, 0, 1, 2, 5);
      List<ChunkMeta> out = new ChunkMerger().mergeSeries("s", List.of(a, b), null);
      // Expected: 300 samples in time order appended to fresh chunks, a new one every 120, header unknown.
      HistogramEncoder e = new HistogramEncoder(floats);
      List<ChunkMeta> want = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        if (e.numSamples() == 120) {
          want.add(e.toChunkMeta());
          e.reset(floats);
        }
        e.append(i * 10L, hist(floats, i * 10L, 3, 0, 1, 2, 5));
      }
      want.add(e.toChunkMeta());
      assertEquals(want.size(), out.size());
      for (int i = 0; i < want.size(); i++) {
        assertEquals(want.get(i).minTime, out.get(i).minTime);
        assertEquals(want.get(i).maxTime, out.get(i).maxTime);
        assertArrayEquals(want.get(i).chunk.data(), out.get(i).chunk.data());
        assertEquals(floats ? ChunkEncoding.FLOAT_HISTOGRAM : ChunkEncoding.HISTOGRAM, out.get(i).chunk.encoding());
      }
    }
  }

  @Test
  void differentBucketSetsAreReconciledWithoutLoss() throws IOException {
    for (boolean floats : new boolean[] {false, true}) {
      ChunkMeta a = series(floats, 0, 30, 40, 1, 0, 1);         // subset
      ChunkMeta b = series(floats, 10, 30, 40, 1, 0, 1, 2, 7);  // superset
      ChunkMeta c = series(floats, 20, 30, 40, 1, 1, 9);        // partly overlapping
      List<ChunkMeta> in = List.of(a, b, c);
      List<ChunkMeta> out = new ChunkMerger().mergeSeries("s", in, null);
      assertEquals(TreeMapOf.merged(decode(List.of(a)), decode(List.of(b)), decode(List.of(c))), decode(out));
      // 120 samples, one schema: one chunk, whose layout is the union of all buckets.
      assertEquals(1, out.size());
      HistogramIterator it = new HistogramIterator("o", out.get(0).chunk.encoding(), out.get(0).chunk.data());
      it.next();
      assertEquals(5, it.histogram().posBucketCount); // indices 0 1 2 7 9: spans [0:3][4:1][1:1]
      assertEquals(3, it.histogram().posSpanCount);
    }
  }

  static final class TreeMapOf {
    @SafeVarargs
    static TreeMap<Long, TreeMap<Long, Double>> merged(TreeMap<Long, TreeMap<Long, Double>>... maps) {
      TreeMap<Long, TreeMap<Long, Double>> m = new TreeMap<>();
      for (TreeMap<Long, TreeMap<Long, Double>> x : maps) {
        m.putAll(x);
      }
      return m;
    }
  }

  @Test
  void schemaChangeAndLiveAfterStaleCutNewChunks() throws IOException {
    ChunkMeta a = series(false, 0, 20, 10, 3, 0, 1);
    ChunkMeta b = series(false, 10, 20, 10, 2, 0, 1); // another schema
    List<ChunkMeta> out = new ChunkMerger().mergeSeries("s", List.of(a, b), null);
    assertEquals(20, out.size()); // every sample flips the schema
    assertEquals(TreeMapOf.merged(decode(List.of(a)), decode(List.of(b))), decode(out));

    Histogram stale = new Histogram();
    stale.setStale(false);
    ChunkMeta s = chunk(false, 0, new long[] {0, 10, 20}, new Histogram[] {hist(false, 0, 0, 1), stale, stale});
    ChunkMeta live = series(false, 15, 10, 3, 0, 1);
    out = new ChunkMerger().mergeSeries("s", List.of(s, live), null);
    TreeMap<Long, TreeMap<Long, Double>> got = decode(out);
    assertEquals(List.of(0L, 10L, 15L, 20L, 25L, 35L), new ArrayList<>(got.keySet()));
    assertTrue(got.get(10L).containsKey(-1L), "stale marker kept");
    assertTrue(got.get(20L).containsKey(-1L), "stale marker kept");
    assertEquals(hist(false, 25, 0, 1).posBucket(0), got.get(25L).get(1L));
  }

  @Test
  void equalTimestampsKeepOneSampleChosenAsForFloats() throws IOException {
    Random r = new Random(1);
    for (int round = 0; round < 50; round++) {
      int k = 2 + r.nextInt(3);
      List<ChunkMeta> in = new ArrayList<>();
      for (int s = 0; s < k; s++) {
        int n = 1 + r.nextInt(30);
        long[] ts = new long[n];
        Histogram[] hs = new Histogram[n];
        long t = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          ts[i] = t;
          hs[i] = hist(false, t, 0, 0, 1);
          hs[i].sum = s * 1000 + i; // identifies the source
          t += 1 + r.nextInt(3);
        }
        in.add(chunk(false, 0, ts, hs));
      }
      in.sort((x, y) -> Long.compare(x.minTime, y.minTime));
      boolean overlapping = false;
      for (int i = 1; i < in.size(); i++) {
        overlapping |= in.get(i).minTime <= in.get(i - 1).maxTime;
      }
      if (!overlapping) {
        continue;
      }
      // The float merge of the same sources, in the order ChunkMerger hands them over, picks the same winners.
      List<ChunkMeta> out = new ChunkMerger().mergeSeries("s", in, null);
      TreeMap<Long, Double> sums = new TreeMap<>();
      for (Map.Entry<Long, TreeMap<Long, Double>> e : decode(out).entrySet()) {
        sums.put(e.getKey(), e.getValue().get(Long.MIN_VALUE));
      }
      List<ChunkMeta> xor = new ArrayList<>();
      for (ChunkMeta m : in) {
        XorEncoder x = new XorEncoder();
        HistogramIterator it = new HistogramIterator("in", m.chunk.encoding(), m.chunk.data());
        while (it.next()) {
          x.append(it.timestamp(), it.histogram().sum);
        }
        xor.add(x.toChunkMeta());
      }
      TreeMap<Long, Double> want = new TreeMap<>();
      for (ChunkMeta m : new ChunkMerger().mergeSeries("s", xor, null)) {
        XorIterator it = new XorIterator("x", m.chunk.data());
        while (it.next()) {
          want.put(it.timestamp(), it.value());
        }
      }
      assertEquals(want, sums, "round " + round);
    }
  }

  @Test
  void gaugeAndMixedOverlapsAreRefused() {
    ChunkMeta g1 = chunk(false, HistogramEncoder.GAUGE_TYPE, new long[] {0, 10}, new Histogram[] {
        hist(false, 0, 0, 1), hist(false, 10, 0, 1)});
    ChunkMeta g2 = chunk(false, HistogramEncoder.GAUGE_TYPE, new long[] {5}, new Histogram[] {hist(false, 5, 0, 1)});
    UnmergeableChunksException e = assertThrows(UnmergeableChunksException.class,
        () -> new ChunkMerger().mergeSeries("g", List.of(g1, g2), null));
    assertTrue(e.getMessage().contains("gauge"), e.getMessage());
    ChunkMeta f = series(true, 5, 10, 2, 0, 1);
    ChunkMeta i = series(false, 0, 10, 2, 0, 1);
    e = assertThrows(UnmergeableChunksException.class, () -> new ChunkMerger().mergeSeries("m", List.of(i, f), null));
    assertTrue(e.getMessage().contains("floathistogram"), e.getMessage());
  }

  @Test
  void deletionsReencodeTheChunkKeepingItsHeader() throws IOException {
    for (boolean floats : new boolean[] {false, true}) {
      long[] ts = {0, 10, 20, 30, 40};
      Histogram[] hs = new Histogram[5];
      for (int i = 0; i < 5; i++) {
        hs[i] = hist(floats, ts[i], 2, 0, 3);
      }
      ChunkMeta c = chunk(floats, HistogramEncoder.COUNTER_RESET, ts, hs);
      ChunkMeta other = series(floats, 100, 10, 2, 2, 0, 3);
      List<ChunkMeta> out = new ChunkMerger().mergeSeries("d", List.of(c, other), new long[] {10, 25});
      assertEquals(2, out.size());
      assertSame(other, out.get(1));
      ChunkMeta want = chunk(floats, HistogramEncoder.COUNTER_RESET, new long[] {0, 30, 40},
          new Histogram[] {hs[0], hs[3], hs[4]});
      assertArrayEquals(want.chunk.data(), out.get(0).chunk.data());
      assertEquals(0, out.get(0).minTime);
      assertEquals(40, out.get(0).maxTime);
      assertTrue(new ChunkMerger().mergeSeries("d", List.of(c), new long[] {0, 40}).isEmpty());
    }
  }

  @Test
  void damagedHistogramChunksInAGroupAreCorruptData() {
    ChunkMeta a = series(false, 0, 10, 5, 0, 1);
    byte[] bad = a.chunk.data().clone();
    bad[bad.length - 1] ^= 0x55;
    ChunkMeta broken = new ChunkMeta(a.minTime, a.maxTime, 0x1234, new Chunk(ChunkEncoding.HISTOGRAM,
        java.util.Arrays.copyOf(bad, bad.length - 2)));
    ChunkMeta b = series(false, 5, 10, 5, 0, 1);
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> new ChunkMerger().mergeSeries("{x=\"1\"}", List.of(broken, b), null));
    assertTrue(e.getMessage().contains("{x=\"1\"}") && e.getMessage().contains("1234"), e.getMessage());
  }
}
