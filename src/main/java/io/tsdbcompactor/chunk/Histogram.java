package io.tsdbcompactor.chunk;

import java.util.Arrays;

/**
 * One native histogram sample, integer or float, as Prometheus 2.42's {@code model/histogram.Histogram} and
 * {@code FloatHistogram} hold it: a mutable, reusable holder of primitive arrays (iterators refill one instance
 * per sample; no per-sample allocation).
 *
 * <ul>
 *   <li>Layout: {@link #schema}, {@link #zeroThreshold}, positive and negative spans as parallel arrays of
 *       (offset, length) pairs; the first span's offset is the index of its first bucket, later offsets are the
 *       gap to the previous span. Bucket index i at schema s has upper bound 2^(i * 2^-s).
 *   <li>Integer histograms ({@link #isFloat} false): {@link #count}, {@link #zeroCount} (unsigned 64-bit in
 *       Prometheus, held in a long) and the buckets as deltas, each bucket's count minus the previous bucket's
 *       (the first against 0), in {@link #posDeltas} / {@link #negDeltas}.
 *   <li>Float histograms: {@link #floatCount}, {@link #floatZeroCount} and absolute bucket counts in
 *       {@link #posCounts} / {@link #negCounts}.
 *   <li>{@link #sum} for both; a stale marker is a histogram whose sum has the stale-NaN bits
 *       {@code 0x7ff0000000000002} (then nothing else counts: Prometheus reads it back with an empty layout).
 *   <li>{@link #counterResetHint}: Prometheus's {@code CounterResetHint}: {@link #UNKNOWN}, {@link #COUNTER_RESET},
 *       {@link #NOT_COUNTER_RESET}, {@link #GAUGE}; derived from the chunk header when decoding.
 * </ul>
 */
public final class Histogram {
  public static final int UNKNOWN = 0;
  public static final int COUNTER_RESET = 1;
  public static final int NOT_COUNTER_RESET = 2;
  public static final int GAUGE = 3;

  /** Prometheus 3's schema for native histograms with custom buckets (NHCB): bounds in {@link #customValues}. */
  public static final int CUSTOM_BUCKETS_SCHEMA = -53;

  /** Raw bits of Prometheus's stale marker NaN ({@code value.StaleNaN}). */

  public boolean isFloat;
  public int counterResetHint;
  public int schema;
  public double zeroThreshold;
  public long count;
  public long zeroCount;
  public double floatCount;
  public double floatZeroCount;
  public double sum;

  /** Custom bucket upper bounds, only with {@link #CUSTOM_BUCKETS_SCHEMA} (Prometheus 3 chunks). */
  public int customCount;
  public double[] customValues = new double[0];

  public int posSpanCount;
  public int[] posSpanOffsets = new int[4];
  public int[] posSpanLengths = new int[4];
  public int negSpanCount;
  public int[] negSpanOffsets = new int[4];
  public int[] negSpanLengths = new int[4];

  /** Number of positive (negative) buckets: the sum of the span lengths, fixed when the layout is set. */
  public int posBucketCount;
  public int negBucketCount;
  public long[] posDeltas = new long[8];
  public long[] negDeltas = new long[8];
  public double[] posCounts = new double[8];
  public double[] negCounts = new double[8];

  public Histogram() {}

  public boolean isStale() {
    return Double.doubleToRawLongBits(sum) == StaleNaN.BITS;
  }

  /** Empties the histogram to Prometheus's reading of a stale marker: everything zero but the sum. */
  public void setStale(boolean floatKind) {
    clear(floatKind);
    sum = Double.longBitsToDouble(StaleNaN.BITS);
  }

  /** Resets every field to zero / empty. */
  public void clear(boolean floatKind) {
    isFloat = floatKind;
    counterResetHint = UNKNOWN;
    schema = 0;
    zeroThreshold = 0;
    count = 0;
    zeroCount = 0;
    floatCount = 0;
    floatZeroCount = 0;
    sum = 0;
    posSpanCount = 0;
    negSpanCount = 0;
    posBucketCount = 0;
    negBucketCount = 0;
    customCount = 0;
  }

  public void addCustomValue(double v) {
    if (customCount == customValues.length) {
      customValues = Arrays.copyOf(customValues, Math.max(4, customCount * 2));
    }
    customValues[customCount++] = v;
  }

  /** Same custom bounds, bit for bit (Prometheus compares them with ==; stored bounds are never NaN). */
  public boolean sameCustomValues(Histogram o) {
    if (customCount != o.customCount) {
      return false;
    }
    for (int i = 0; i < customCount; i++) {
      if (Double.doubleToRawLongBits(customValues[i]) != Double.doubleToRawLongBits(o.customValues[i])) {
        return false;
      }
    }
    return true;
  }

  /** Appends a positive span; grows the arrays as needed. */
  public void addPosSpan(int offset, int length) {
    if (posSpanCount == posSpanOffsets.length) {
      posSpanOffsets = Arrays.copyOf(posSpanOffsets, posSpanCount * 2);
      posSpanLengths = Arrays.copyOf(posSpanLengths, posSpanCount * 2);
    }
    posSpanOffsets[posSpanCount] = offset;
    posSpanLengths[posSpanCount++] = length;
  }

  public void addNegSpan(int offset, int length) {
    if (negSpanCount == negSpanOffsets.length) {
      negSpanOffsets = Arrays.copyOf(negSpanOffsets, negSpanCount * 2);
      negSpanLengths = Arrays.copyOf(negSpanLengths, negSpanCount * 2);
    }
    negSpanOffsets[negSpanCount] = offset;
    negSpanLengths[negSpanCount++] = length;
  }

  /** Sets the bucket counts to the span lengths' sums and makes room for the values. */
  public void sizeBuckets() {
    posBucketCount = spanTotal(posSpanLengths, posSpanCount);
    negBucketCount = spanTotal(negSpanLengths, negSpanCount);
    if (posDeltas.length < posBucketCount) {
      posDeltas = new long[posBucketCount];
      posCounts = new double[posBucketCount];
    }
    if (negDeltas.length < negBucketCount) {
      negDeltas = new long[negBucketCount];
      negCounts = new double[negBucketCount];
    }
  }

  static int spanTotal(int[] lengths, int n) {
    long total = 0;
    for (int i = 0; i < n; i++) {
      total += lengths[i] & 0xFFFFFFFFL;
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("spans hold " + total + " buckets");
    }
    return (int) total;
  }

  /** Absolute count of positive bucket i: the running sum of the deltas (integer) or the count (float). */
  public double posBucket(int i) {
    if (isFloat) {
      return posCounts[i];
    }
    long c = 0;
    for (int j = 0; j <= i; j++) {
      c += posDeltas[j];
    }
    return c;
  }

  public double negBucket(int i) {
    if (isFloat) {
      return negCounts[i];
    }
    long c = 0;
    for (int j = 0; j <= i; j++) {
      c += negDeltas[j];
    }
    return c;
  }

  /** A deep copy (arrays trimmed to use). */
  public Histogram copy() {
    Histogram h = new Histogram();
    h.copyFrom(this);
    return h;
  }

  /** Makes this a deep copy of {@code o}, reusing this instance's arrays where large enough. */
  public void copyFrom(Histogram o) {
    isFloat = o.isFloat;
    counterResetHint = o.counterResetHint;
    schema = o.schema;
    zeroThreshold = o.zeroThreshold;
    count = o.count;
    zeroCount = o.zeroCount;
    floatCount = o.floatCount;
    floatZeroCount = o.floatZeroCount;
    sum = o.sum;
    posSpanCount = 0;
    negSpanCount = 0;
    customCount = 0;
    for (int i = 0; i < o.customCount; i++) {
      addCustomValue(o.customValues[i]);
    }
    for (int i = 0; i < o.posSpanCount; i++) {
      addPosSpan(o.posSpanOffsets[i], o.posSpanLengths[i]);
    }
    for (int i = 0; i < o.negSpanCount; i++) {
      addNegSpan(o.negSpanOffsets[i], o.negSpanLengths[i]);
    }
    posBucketCount = o.posBucketCount;
    negBucketCount = o.negBucketCount;
    if (posDeltas.length < posBucketCount) {
      posDeltas = new long[posBucketCount];
      posCounts = new double[posBucketCount];
    }
    if (negDeltas.length < negBucketCount) {
      negDeltas = new long[negBucketCount];
      negCounts = new double[negBucketCount];
    }
    System.arraycopy(o.posDeltas, 0, posDeltas, 0, posBucketCount);
    System.arraycopy(o.negDeltas, 0, negDeltas, 0, negBucketCount);
    System.arraycopy(o.posCounts, 0, posCounts, 0, posBucketCount);
    System.arraycopy(o.negCounts, 0, negCounts, 0, negBucketCount);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(isFloat ? "FloatHistogram{" : "Histogram{");
    b.append("hint=").append(counterResetHint).append(" schema=").append(schema).append(" zt=")
        .append(zeroThreshold).append(" count=").append(isFloat ? Double.toString(floatCount)
            : Long.toUnsignedString(count))
        .append(" zero=").append(isFloat ? Double.toString(floatZeroCount) : Long.toUnsignedString(zeroCount))
        .append(" sum=").append(sum);
    if (customCount > 0) {
      b.append(" custom=").append(Arrays.toString(Arrays.copyOf(customValues, customCount)));
    }
    b.append(" pos=");
    spans(b, posSpanOffsets, posSpanLengths, posSpanCount);
    b.append(isFloat ? Arrays.toString(Arrays.copyOf(posCounts, posBucketCount))
        : Arrays.toString(Arrays.copyOf(posDeltas, posBucketCount)));
    b.append(" neg=");
    spans(b, negSpanOffsets, negSpanLengths, negSpanCount);
    b.append(isFloat ? Arrays.toString(Arrays.copyOf(negCounts, negBucketCount))
        : Arrays.toString(Arrays.copyOf(negDeltas, negBucketCount)));
    return b.append('}').toString();
  }

  private static void spans(StringBuilder b, int[] off, int[] len, int n) {
    for (int i = 0; i < n; i++) {
      b.append('[').append(off[i]).append(':').append(Integer.toUnsignedString(len[i])).append(']');
    }
  }
}
