package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Round trips of the histogram chunk codecs and the head's append decisions. */
class HistogramCodecTest {

  /** Encodes, decodes and compares; re-encoding the decoded samples gives the same bytes. */
  static Chunk roundTrip(boolean floats, int header, long[] ts, List<Histogram> hs) throws CorruptDataException {
    HistogramEncoder enc = new HistogramEncoder(floats);
    enc.setCounterResetHeader(header);
    for (int i = 0; i < ts.length; i++) {
      enc.append(ts[i], hs.get(i));
    }
    Chunk c = enc.toChunk();
    assertEquals(ts.length, c.numSamples());
    HistogramIterator it = new HistogramIterator("c", c.encoding(), c.data());
    assertEquals(header, it.counterResetHeader());
    HistogramEncoder again = new HistogramEncoder(floats);
    again.setCounterResetHeader(header);
    for (int i = 0; i < ts.length; i++) {
      assertTrue(it.next(), "sample " + i);
      assertEquals(ts[i], it.timestamp());
      Histogram want = hs.get(i).copy();
      if (want.isStale()) {
        want.setStale(floats);
      } else {
        want.counterResetHint = header == HistogramEncoder.GAUGE_TYPE ? Histogram.GAUGE
            : i > 0 ? Histogram.NOT_COUNTER_RESET
            : header == HistogramEncoder.COUNTER_RESET ? Histogram.COUNTER_RESET : Histogram.UNKNOWN;
      }
      assertTrue(HistogramBits.sameBits(want, it.histogram()), "sample " + i + ": want " + want + " got " + it.histogram());
      again.append(it.timestamp(), it.histogram());
    }
    assertFalse(it.next());
    assertFalse(it.next());
    assertArrayEquals(c.data(), again.toChunk().data());
    return c;
  }

  static final int[] HEADERS = {HistogramEncoder.UNKNOWN_COUNTER_RESET, HistogramEncoder.COUNTER_RESET,
      HistogramEncoder.NOT_COUNTER_RESET, HistogramEncoder.GAUGE_TYPE};

  @Test
  void randomChunksRoundTrip() throws Exception {
    for (int seed = 0; seed < 400; seed++) {
      Random r = new Random(seed);
      boolean floats = r.nextBoolean();
      Histogram layout = new Histogram();
      HistogramGen.layout(r, layout, floats);
      int n = 1 + r.nextInt(r.nextBoolean() ? 5 : 150);
      long[] ts = new long[n];
      List<Histogram> hs = new ArrayList<>();
      long t = HistogramGen.anyLong(r);
      long step = r.nextInt(3) == 0 ? HistogramGen.anyLong(r) : 15000;
      boolean staleTail = r.nextInt(4) == 0;
      for (int i = 0; i < n; i++) {
        ts[i] = t;
        t += r.nextInt(5) == 0 ? HistogramGen.anyLong(r) : step;
        Histogram h = layout.copy();
        if (r.nextBoolean()) {
          HistogramGen.values(r, h);
        } else {
          if (i == 0) {
            HistogramGen.values(r, layout);
            h = layout.copy();
          }
          HistogramGen.grow(r, layout);
          h = layout.copy();
        }
        if (staleTail && i >= n / 2) {
          h.setStale(floats);
        }
        hs.add(h);
      }
      roundTrip(floats, HEADERS[r.nextInt(4)], ts, hs);
    }
  }

  @Test
  void customBucketHistogramsOfPrometheus3RoundTrip() throws Exception {
    double[] bounds = {0.001, 0.25, 1, 2.5, 33554.43, 33554.431, -1, 1e9, 0.1 + 0.2, Double.POSITIVE_INFINITY, 0};
    for (int seed = 0; seed < 100; seed++) {
      Random r = new Random(seed);
      boolean floats = r.nextBoolean();
      Histogram h = new Histogram();
      h.clear(floats);
      h.schema = Histogram.CUSTOM_BUCKETS_SCHEMA;
      int nb = r.nextInt(6);
      for (int i = 0; i < nb; i++) {
        h.addCustomValue(r.nextBoolean() ? bounds[r.nextInt(bounds.length)] : r.nextInt(100000) / 1000.0);
      }
      h.addPosSpan(r.nextInt(3), 1 + r.nextInt(4));
      h.sizeBuckets();
      int n = 1 + r.nextInt(10);
      long[] ts = new long[n];
      List<Histogram> hs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ts[i] = i * 1000L;
        HistogramGen.values(r, h);
        hs.add(h.copy());
      }
      roundTrip(floats, HEADERS[r.nextInt(4)], ts, hs);
    }
    // Bytes worked out by hand from Prometheus 3's format: count 1, header 0; threshold byte 0; schema -53 as
    // '1110'+9 bits; no spans '0' '0'; one bound '10'+'001'; 0.25 as 251 = '1110'+9 bits; t '0'; three zero
    // doubles.
    HistogramEncoder e = new HistogramEncoder(true);
    Histogram h = new Histogram();
    h.clear(true);
    h.schema = Histogram.CUSTOM_BUCKETS_SCHEMA;
    h.addCustomValue(0.25);
    e.append(0, h);
    assertEquals("00010000ee591e7d80000000000000000000000000000000000000000000000000",
        java.util.HexFormat.of().formatHex(e.toChunk().data()));
  }

  @Test
  void staleMarkerFirstAndOnly() throws Exception {
    for (boolean floats : new boolean[] {false, true}) {
      Histogram s = new Histogram();
      s.setStale(floats);
      Chunk c = roundTrip(floats, 0, new long[] {5, 10, 20}, List.of(s, s, s));
      // Layout of a stale marker is empty: zero threshold byte 0, schema 0, no spans.
      assertEquals(0, c.data()[3]);
    }
  }

  @Test
  void integerStaleMarkerAfterLiveSamplesKeepsTheChunkReadable() throws Exception {
    Random r = new Random(7);
    Histogram h = new Histogram();
    HistogramGen.layout(r, h, false);
    HistogramGen.values(r, h);
    List<Histogram> hs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      HistogramGen.grow(r, h);
      hs.add(h.copy());
    }
    Histogram s = new Histogram();
    s.setStale(false);
    hs.add(s);
    hs.add(s);
    roundTrip(false, 0, new long[] {1, 2, 3, 4, 5, 6, 9}, hs);
  }

  @Test
  void zeroThresholdEncodingsMatchPrometheusSizes() throws Exception {
    // One byte for 0 and powers of two 2^-243..2^10, nine bytes otherwise (histogram_meta.go putZeroThreshold).
    double[] oneByte = {0, 0x1p-128, 0x1p-243, 0x1p10, 0.5, 1};
    double[] nineBytes = {0x1p-244, 0x1p11, 0.001, 3, 1e-310, Double.NaN, -0.5};
    for (double zt : oneByte) {
      assertEquals(1, layoutBytes(zt), "threshold " + zt);
    }
    for (double zt : nineBytes) {
      assertEquals(9, layoutBytes(zt), "threshold " + zt);
    }
    // The default threshold 2^-128 is the byte 116.
    HistogramEncoder e = new HistogramEncoder(false);
    Histogram h = new Histogram();
    h.clear(false);
    h.zeroThreshold = 0x1p-128;
    e.append(0, h);
    assertEquals(116, e.toChunk().data()[3] & 0xff);
  }

  private static int layoutBytes(double zt) throws CorruptDataException {
    Histogram h = new Histogram();
    h.clear(true);
    h.zeroThreshold = zt;
    HistogramEncoder e = new HistogramEncoder(true);
    e.append(0, h);
    Chunk c = e.toChunk();
    HistogramIterator it = new HistogramIterator("c", c.encoding(), c.data());
    assertTrue(it.next());
    assertEquals(Double.doubleToRawLongBits(zt), Double.doubleToRawLongBits(it.histogram().zeroThreshold));
    // Layout: threshold, then schema '0', two span counts '0' '0'; t '0'; then 3 raw doubles.
    return c.data().length - 3 - 24 - 1;
  }

  @Test
  void appendableFollowsThePrometheusHead() {
    Histogram base = new Histogram();
    base.clear(false);
    base.schema = 1;
    base.zeroThreshold = 0x1p-128;
    base.addPosSpan(0, 2);
    base.addPosSpan(2, 1);
    base.sizeBuckets();
    base.posDeltas[0] = 3;
    base.posDeltas[1] = 1;
    base.posDeltas[2] = -2;
    base.count = 12;
    base.zeroCount = 2;
    for (boolean floats : new boolean[] {false, true}) {
      Histogram b = toKind(base, floats);
      HistogramEncoder e = new HistogramEncoder(floats);
      e.append(1, b);
      assertEquals(HistogramEncoder.APPEND, e.appendable(b));
      Histogram x = b.copy();
      if (floats) {
        x.floatCount = 11;
      } else {
        x.count = 11;
      }
      assertEquals(HistogramEncoder.NEW_CHUNK_COUNTER_RESET, e.appendable(x), "count went down");
      x = b.copy();
      x.schema = 2;
      assertEquals(HistogramEncoder.NEW_CHUNK, e.appendable(x), "schema changed");
      x = b.copy();
      x.zeroThreshold = 0.001;
      assertEquals(HistogramEncoder.NEW_CHUNK, e.appendable(x), "threshold changed");
      x = b.copy();
      if (floats) {
        x.floatZeroCount = 1;
      } else {
        x.zeroCount = 1;
      }
      assertEquals(HistogramEncoder.NEW_CHUNK_COUNTER_RESET, e.appendable(x), "zero count went down");
      x = b.copy();
      if (floats) {
        x.posCounts[2] = 0.5;
      } else {
        x.posDeltas[2] = -3;
      }
      assertEquals(HistogramEncoder.NEW_CHUNK_COUNTER_RESET, e.appendable(x), "a bucket went down");
      // Bucket index 3 (the third bucket) disappears.
      x = b.copy();
      x.posSpanCount = 0;
      x.addPosSpan(0, 2);
      x.sizeBuckets();
      assertEquals(HistogramEncoder.NEW_CHUNK_COUNTER_RESET, e.appendable(x), "a bucket disappeared");
      // New buckets at indices 2 and 3 (between the spans) and 5 (after them).
      Histogram wider = wider(b);
      assertEquals(HistogramEncoder.RECODE, e.appendable(wider));
      Histogram stale = new Histogram();
      stale.setStale(floats);
      assertEquals(HistogramEncoder.APPEND, e.appendable(stale));
      e.append(2, stale);
      assertEquals(HistogramEncoder.NEW_CHUNK, e.appendable(b), "live sample after a stale marker");
      assertEquals(HistogramEncoder.APPEND, e.appendable(stale));
      HistogramEncoder g = new HistogramEncoder(floats);
      g.setCounterResetHeader(HistogramEncoder.GAUGE_TYPE);
      g.append(1, b);
      assertEquals(HistogramEncoder.NEW_CHUNK, g.appendable(b), "gauge chunk");
    }
  }

  /** b with buckets at indices 0,1,2,3,4,5 (b has 0,1,4). */
  static Histogram wider(Histogram b) {
    Histogram w = b.copy();
    w.posSpanCount = 0;
    w.addPosSpan(0, 6);
    w.sizeBuckets();
    double[] abs = {b.posBucket(0), b.posBucket(1) + 1, 1, 0, b.posBucket(2), 2};
    long prev = 0;
    for (int i = 0; i < 6; i++) {
      w.posCounts[i] = abs[i];
      w.posDeltas[i] = (long) abs[i] - prev;
      prev = (long) abs[i];
    }
    if (b.isFloat) {
      w.floatCount = b.floatCount + 4;
    } else {
      w.count = b.count + 4;
    }
    return w;
  }

  static Histogram toKind(Histogram intH, boolean floats) {
    Histogram h = intH.copy();
    if (floats) {
      h.isFloat = true;
      h.floatCount = intH.count;
      h.floatZeroCount = intH.zeroCount;
      for (int i = 0; i < h.posBucketCount; i++) {
        h.posCounts[i] = intH.posBucket(i);
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        h.negCounts[i] = intH.negBucket(i);
      }
    }
    return h;
  }

  @Test
  void recodeMovesEarlierSamplesIntoTheWiderLayout() throws Exception {
    Random r = new Random(3);
    for (int seed = 0; seed < 200; seed++) {
      r.setSeed(seed);
      boolean floats = r.nextBoolean();
      Histogram h = new Histogram();
      HistogramGen.layout(r, h, floats);
      HistogramGen.values(r, h);
      for (int i = 0; i < h.posBucketCount; i++) {
        h.posDeltas[i] = r.nextInt(5);
        h.posCounts[i] = r.nextInt(5);
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        h.negDeltas[i] = r.nextInt(5);
        h.negCounts[i] = r.nextInt(5);
      }
      HistogramEncoder e = new HistogramEncoder(floats);
      int header = HEADERS[r.nextInt(3)];
      e.setCounterResetHeader(header);
      List<Histogram> before = new ArrayList<>();
      int n = 1 + r.nextInt(20);
      for (int i = 0; i < n; i++) {
        e.append(i * 1000L, h);
        before.add(h.copy());
        HistogramGen.grow(r, h);
      }
      // Widen: one more bucket before, inside a gap or after every span (positive side).
      Histogram w = h.copy();
      w.posSpanCount = 0;
      long lo = h.posSpanCount == 0 ? 0 : h.posSpanOffsets[0] - 1 - r.nextInt(3);
      Spans.BucketIterator it = new Spans.BucketIterator(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount);
      long hi = lo;
      while (it.next()) {
        hi = it.index();
      }
      hi += 1 + r.nextInt(3);
      w.addPosSpan((int) lo, (int) (hi - lo + 1));
      w.sizeBuckets();
      java.util.TreeMap<Long, Double> abs = HistogramGen.absolute(h);
      long prev = 0;
      for (int i = 0; i < w.posBucketCount; i++) {
        double c = abs.getOrDefault(lo + i, 0.0) + (lo + i == hi ? 1 : 0);
        w.posCounts[i] = c;
        w.posDeltas[i] = (long) c - prev;
        prev = (long) c;
      }
      if (floats) {
        w.floatCount = h.floatCount + 1;
      } else {
        w.count = h.count + 1;
      }
      w.sum = h.sum;
      int decision = e.appendable(w);
      if (decision != HistogramEncoder.RECODE) {
        continue; // e.g. random values that went down; covered elsewhere
      }
      e.recode(w);
      assertEquals(header, e.counterResetHeader());
      e.append(n * 1000L, w);
      Chunk c = e.toChunk();
      HistogramIterator di = new HistogramIterator("c", c.encoding(), c.data());
      for (int i = 0; i < n; i++) {
        assertTrue(di.next());
        assertEquals(i * 1000L, di.timestamp());
        Histogram got = di.histogram();
        assertEquals(w.posSpanCount, got.posSpanCount);
        assertEquals(w.posSpanOffsets[0], got.posSpanOffsets[0]);
        assertEquals(HistogramGen.absolute(before.get(i)), HistogramGen.absolute(got), "seed " + seed + " sample " + i);
      }
      assertTrue(di.next());
      assertFalse(di.next());
    }
  }

  @Test
  void appendRefusesHistogramsThatDoNotFitTheLayout() {
    Histogram a = new Histogram();
    a.clear(false);
    a.addPosSpan(0, 2);
    a.sizeBuckets();
    HistogramEncoder e = new HistogramEncoder(false);
    e.append(0, a);
    Histogram b = a.copy();
    b.posSpanCount = 0;
    b.addPosSpan(0, 3);
    b.sizeBuckets();
    assertThrows(IllegalArgumentException.class, () -> e.append(1, b));
    Histogram f = a.copy();
    f.isFloat = true;
    assertThrows(IllegalArgumentException.class, () -> e.append(1, f));
  }
}
