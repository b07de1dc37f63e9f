package io.tsdbcompactor.chunk;

import java.util.Random;
import java.util.TreeMap;

/** Random native histograms for the codec tests: layouts, values of every magnitude, odd floats. */
final class HistogramGen {
  private HistogramGen() {}

  static final double[] THRESHOLDS = {0, 0x1p-128, 0x1p-10, 0.001, 0x1p10, 0x1p11, 0x1p-243, 0x1p-244, 1e-310, 3.5};

  /** A random long from a random magnitude class, so every varbit width is hit. */
  static long anyLong(Random r) {
    switch (r.nextInt(10)) {
      case 0: return 0;
      case 1: return r.nextInt(9) - 4;
      case 2: return r.nextInt(65) - 32;
      case 3: return r.nextInt(513) - 256;
      case 4: return r.nextInt(4097) - 2048;
      case 5: return r.nextInt(262145) - 131072;
      case 6: return r.nextInt(1 << 26) - (1 << 25);
      case 7: return r.nextLong() >> 8;
      case 8: return r.nextBoolean() ? Long.MIN_VALUE + r.nextInt(3) : Long.MAX_VALUE - r.nextInt(3);
      default: return r.nextLong();
    }
  }

  static double anyDouble(Random r) {
    switch (r.nextInt(12)) {
      case 0: return Double.NaN;
      case 1: return -0.0;
      case 2: return Double.POSITIVE_INFINITY;
      case 3: return Double.MIN_VALUE;
      case 4: return Double.longBitsToDouble(0x7ff8000000000123L); // NaN with a payload
      case 5: return r.nextInt(100);
      case 6: return r.nextInt(100) * 0.25;
      default: return r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10);
    }
  }

  /** A random layout (schema, threshold, spans) with zero values in {@code h}. */
  static void layout(Random r, Histogram h, boolean floats) {
    h.clear(floats);
    h.schema = r.nextInt(13) - 4;
    h.zeroThreshold = THRESHOLDS[r.nextInt(THRESHOLDS.length)];
    int ps = r.nextInt(4);
    for (int i = 0; i < ps; i++) {
      h.addPosSpan(i == 0 ? r.nextInt(21) - 10 : r.nextInt(4), 1 + r.nextInt(5));
    }
    int ns = r.nextInt(3);
    for (int i = 0; i < ns; i++) {
      h.addNegSpan(i == 0 ? r.nextInt(21) - 10 : r.nextInt(4), 1 + r.nextInt(5));
    }
    h.sizeBuckets();
  }

  /** Fills the values of {@code h} (layout kept) at random. */
  static void values(Random r, Histogram h) {
    h.sum = anyDouble(r);
    if (h.isFloat) {
      h.floatCount = anyDouble(r);
      h.floatZeroCount = anyDouble(r);
      for (int i = 0; i < h.posBucketCount; i++) {
        h.posCounts[i] = anyDouble(r);
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        h.negCounts[i] = anyDouble(r);
      }
    } else {
      h.count = anyLong(r);
      h.zeroCount = anyLong(r);
      for (int i = 0; i < h.posBucketCount; i++) {
        h.posDeltas[i] = anyLong(r);
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        h.negDeltas[i] = anyLong(r);
      }
    }
  }

  /** Realistic counter values: counts only grow, by small steps, from the previous histogram. */
  static void grow(Random r, Histogram h) {
    h.sum += r.nextInt(1000) * 0.125;
    if (h.isFloat) {
      h.floatZeroCount += r.nextInt(3) * 0.5;
      double total = h.floatZeroCount;
      for (int i = 0; i < h.posBucketCount; i++) {
        h.posCounts[i] += r.nextInt(4) * 0.25;
        total += h.posCounts[i];
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        h.negCounts[i] += r.nextInt(4) * 0.25;
        total += h.negCounts[i];
      }
      h.floatCount = total;
    } else {
      h.zeroCount += r.nextInt(3);
      long total = h.zeroCount;
      long prevOld = 0;
      long prevNew = 0;
      for (int i = 0; i < h.posBucketCount; i++) {
        long abs = prevOld + h.posDeltas[i];
        prevOld = abs;
        abs += r.nextInt(4);
        h.posDeltas[i] = abs - prevNew;
        prevNew = abs;
        total += abs;
      }
      prevOld = 0;
      prevNew = 0;
      for (int i = 0; i < h.negBucketCount; i++) {
        long abs = prevOld + h.negDeltas[i];
        prevOld = abs;
        abs += r.nextInt(4);
        h.negDeltas[i] = abs - prevNew;
        prevNew = abs;
        total += abs;
      }
      h.count = total;
    }
  }

  /** Bucket index -> absolute count (positive indices as is, negative side keyed as ~index). */
  static TreeMap<Long, Double> absolute(Histogram h) {
    TreeMap<Long, Double> m = new TreeMap<>();
    Spans.BucketIterator it = new Spans.BucketIterator(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount);
    for (int i = 0; i < h.posBucketCount && it.next(); i++) {
      double c = h.posBucket(i);
      if (c != 0) {
        m.put(it.index(), c);
      }
    }
    it = new Spans.BucketIterator(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount);
    for (int i = 0; i < h.negBucketCount && it.next(); i++) {
      double c = h.negBucket(i);
      if (c != 0) {
        m.put(~it.index() - (1L << 40), c);
      }
    }
    return m;
  }
}
