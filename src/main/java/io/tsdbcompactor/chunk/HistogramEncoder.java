package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;

/**
 * Encodes native histograms into a histogram chunk (encoding 2, integer counts) or a float-histogram chunk
 * (encoding 3) byte-for-byte as Prometheus 2.42's {@code HistogramAppender} / {@code FloatHistogramAppender}
 * ({@code tsdb/chunkenc/histogram.go}, {@code float_histogram.go}, {@code histogram_meta.go}, {@code varbit.go})
 * do, including the head's decisions when a sample does not fit the chunk ({@link #appendable}, {@link #recode}).
 *
 * <h2>Format</h2>
 * <pre>
 *   2 bytes   big-endian sample count
 *   1 byte    counter-reset header in the top two bits: 0b10 counter reset, 0b01 not a counter reset,
 *             0b11 gauge histogram, 0b00 unknown; the low six bits are zero
 *   bit stream, most significant bit first (see {@link BitWriter} for the trailing-byte rule):
 *   layout, once, with the first sample:
 *     zero threshold: one byte 0 (threshold 0); one byte e+243 for a threshold 0.5*2^e with -242 &lt;= e &lt;= 11
 *                     (so 2^-128 is 116); else one byte 255 and the 64 IEEE-754 bits
 *     schema: varbit int
 *     positive spans, then negative spans: varbit uint span count, then per span varbit uint length and
 *                     varbit int offset (first span: index of its first bucket; later: gap to the previous span)
 *     custom bounds, only for schema -53 (Prometheus 3's custom-bucket histograms, read and written as
 *                     Prometheus 3 does; 2.42 never writes them): varbit uint count, then per bound varbit uint
 *                     1000*v+1 for multiples of 0.001 in [0, 33554.43], else a 0 bit and the 64 IEEE-754 bits
 *   sample 0:  t varbit int; integer: count and zero count varbit uint, sum 64 raw bits, each bucket's delta
 *              (count minus the previous bucket's count, first against 0) varbit int, positive then negative;
 *              float: count, zero count, sum and every bucket's absolute count as 64 raw bits each
 *   sample n:  t as delta-of-delta varbit int (sample 1: the delta itself, the previous delta being 0);
 *              integer: count and zero count as delta-of-delta varbit int, sum XOR-coded, then per bucket the
 *              delta-of-delta of its delta value, varbit int;
 *              float: count, zero count, sum XOR-coded (each its own leading/trailing window), then every
 *              bucket XOR-coded against its previous value in its own window.
 *              A stale marker (sum = stale NaN) writes the sum and nothing after it; an integer stale marker
 *              writes count and zero count dods as 0 (and the appender then holds count 0, as Prometheus's does).
 *   varbit int (signed, Prometheus's putVarbitInt), prefix then value bits:
 *     '0' 0 | '10'+3 (-3..4) | '110'+6 (-31..32) | '1110'+9 (-255..256) | '11110'+12 (-2047..2048)
 *     | '111110'+18 (-131071..131072) | '1111110'+25 (-16777215..16777216)
 *     | '11111110'+56 (-(2^55-1)..2^55) | '11111111'+64 anything; read back "above 2^(n-1) means negative"
 *   varbit uint: the same prefixes, value ranges 0..7, ..63, ..511, ..4095, ..2^18-1, ..2^25-1, ..2^56-1, rest
 *   XOR-coding: {@link XorValueCoder}, one stream (previous value and window) per field
 * </pre>
 * Every sample in a chunk has the chunk's layout: its bucket arrays must match the layout's bucket counts
 * (Prometheus would panic or write garbage otherwise; we throw {@link IllegalArgumentException}). When a sample
 * has more buckets the chunk must first be recoded with {@link #recode} ({@link #appendable} says when), as the
 * head does. At most 65535 samples fit the 2-byte count.
 *
 * <p>Reusable: {@link #reset(boolean)} after {@link #toChunk()}.
 */
public final class HistogramEncoder {
  /** Counter-reset header values (the whole third byte). */
  public static final int UNKNOWN_COUNTER_RESET = 0x00;
  public static final int COUNTER_RESET = 0x80;
  public static final int NOT_COUNTER_RESET = 0x40;
  public static final int GAUGE_TYPE = 0xC0;

  /** {@link #appendable} results. */
  public static final int APPEND = 0;
  /** Appendable after {@link #recode}: the sample has buckets the chunk's layout lacks. */
  public static final int RECODE = 1;
  /** A new chunk is needed; not a counter reset (schema or zero threshold changed, a stale marker before). */
  public static final int NEW_CHUNK = 2;
  /** A new chunk is needed because of a counter reset (or buckets that disappeared). */
  public static final int NEW_CHUNK_COUNTER_RESET = 3;

  /** {@link #compactorPlan}: append the widened histogram, the chunk keeps its layout. */
  public static final int WIDEN = 4;
  /** {@link #compactorPlan}: recode the chunk to the union layout, then append the widened histogram. */
  public static final int RECODE_AND_WIDEN = 5;

  public static final int MAX_SAMPLES = 0xFFFF;

  private final BitWriter out = new BitWriter(3, 128);
  private boolean floats;
  private int num;
  private int header;
  private long minTime;

  // Appender state, as Prometheus keeps it.
  private final Histogram layout = new Histogram();
  private long t;
  private long tDelta;
  private long cnt;
  private long zCnt;
  private long cntDelta;
  private long zCntDelta;
  private long[] pBuckets = new long[8];
  private long[] nBuckets = new long[8];
  private long[] pBucketsDelta = new long[8];
  private long[] nBucketsDelta = new long[8];
  private long sumBits;
  /** XOR-coded streams: [0] sum, [1] count, [2] zero count (float chunks), then the buckets (float chunks). */
  private XorValueCoder[] windows = XorValueCoder.array(16);
  private final Histogram stale = new Histogram();
  private final HistogramIterator recodeIt = new HistogramIterator();

  /** An encoder for integer histograms ({@code floatHistograms} false) or float histograms. */
  public HistogramEncoder(boolean floatHistograms) {
    reset(floatHistograms);
  }

  public void reset(boolean floatHistograms) {
    out.reset();
    floats = floatHistograms;
    num = 0;
    header = UNKNOWN_COUNTER_RESET;
    layout.clear(floatHistograms);
    t = tDelta = cnt = zCnt = cntDelta = zCntDelta = 0;
    sumBits = 0;
  }

  public boolean isFloat() {
    return floats;
  }

  public int encoding() {
    return floats ? ChunkEncoding.FLOAT_HISTOGRAM : ChunkEncoding.HISTOGRAM;
  }

  /** Sets the chunk's counter-reset header (one of the four constants). */
  public void setCounterResetHeader(int h) {
    if (h != UNKNOWN_COUNTER_RESET && h != COUNTER_RESET && h != NOT_COUNTER_RESET && h != GAUGE_TYPE) {
      throw new IllegalArgumentException("invalid counter reset header 0x" + Integer.toHexString(h));
    }
    header = h;
  }

  public int counterResetHeader() {
    return header;
  }

  public int numSamples() {
    return num;
  }

  /** Timestamp of the first sample; undefined while empty. */
  public long minTime() {
    return minTime;
  }

  /** Timestamp of the last sample; undefined while empty. */
  public long maxTime() {
    return t;
  }

  /** Size of the chunk data so far, the 3-byte header included. */
  public int sizeBytes() {
    return out.length();
  }

  /** Appends one sample, as Prometheus's {@code AppendHistogram} / {@code AppendFloatHistogram}. */
  public void append(long ts, Histogram hIn) {
    if (hIn.isFloat != floats) {
      throw new IllegalArgumentException("a " + (hIn.isFloat ? "float" : "integer") + " histogram cannot go into a "
          + ChunkEncoding.name(encoding()) + " chunk");
    }
    if (num == MAX_SAMPLES) {
      throw new IllegalStateException("a histogram chunk holds at most " + MAX_SAMPLES + " samples");
    }
    Histogram h = hIn;
    if (h.isStale()) {
      // Prometheus appends Histogram{Sum: StaleNaN}: no buckets, an empty layout if it is the first sample.
      stale.setStale(floats);
      h = stale;
    } else if (num > 0 && (h.posBucketCount != layout.posBucketCount
        || h.negBucketCount != layout.negBucketCount)) {
      throw new IllegalArgumentException("histogram with " + h.posBucketCount + "+" + h.negBucketCount
          + " buckets does not fit the chunk layout of " + layout.posBucketCount + "+" + layout.negBucketCount
          + " buckets; recode first");
    }
    if (num == 0) {
      appendFirst(ts, h);
      minTime = ts;
    } else if (floats) {
      long d = ts - t;
      putVarbitInt(d - tDelta);
      windows[1].write(out, Double.doubleToRawLongBits(h.floatCount));
      windows[2].write(out, Double.doubleToRawLongBits(h.floatZeroCount));
      windows[0].write(out, Double.doubleToRawLongBits(h.sum));
      for (int i = 0; i < h.posBucketCount; i++) {
        windows[3 + i].write(out, Double.doubleToRawLongBits(h.posCounts[i]));
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        windows[3 + layout.posBucketCount + i].write(out, Double.doubleToRawLongBits(h.negCounts[i]));
      }
      tDelta = d;
    } else {
      long d = ts - t;
      long cd = h.count - cnt;
      long zd = h.zeroCount - zCnt;
      putVarbitInt(d - tDelta);
      if (h == stale) {
        putVarbitInt(0);
        putVarbitInt(0);
      } else {
        putVarbitInt(cd - cntDelta);
        putVarbitInt(zd - zCntDelta);
      }
      windows[0].write(out, Double.doubleToRawLongBits(h.sum));
      for (int i = 0; i < h.posBucketCount; i++) {
        long delta = h.posDeltas[i] - pBuckets[i];
        putVarbitInt(delta - pBucketsDelta[i]);
        pBucketsDelta[i] = delta;
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        long delta = h.negDeltas[i] - nBuckets[i];
        putVarbitInt(delta - nBucketsDelta[i]);
        nBucketsDelta[i] = delta;
      }
      tDelta = d;
      cntDelta = cd;
      zCntDelta = zd;
    }
    t = ts;
    cnt = h.count;
    zCnt = h.zeroCount;
    if (!floats) {
      System.arraycopy(h.posDeltas, 0, pBuckets, 0, h.posBucketCount);
      System.arraycopy(h.negDeltas, 0, nBuckets, 0, h.negBucketCount);
    }
    sumBits = Double.doubleToRawLongBits(h.sum);
    num++;
  }

  private void appendFirst(long ts, Histogram h) {
    layout.clear(floats);
    layout.schema = h.schema;
    layout.zeroThreshold = h.zeroThreshold;
    for (int i = 0; i < h.customCount; i++) {
      layout.addCustomValue(h.customValues[i]);
    }
    for (int i = 0; i < h.posSpanCount; i++) {
      layout.addPosSpan(h.posSpanOffsets[i], h.posSpanLengths[i]);
    }
    for (int i = 0; i < h.negSpanCount; i++) {
      layout.addNegSpan(h.negSpanOffsets[i], h.negSpanLengths[i]);
    }
    layout.sizeBuckets();
    if (h.posBucketCount != layout.posBucketCount || h.negBucketCount != layout.negBucketCount) {
      throw new IllegalArgumentException("histogram has " + h.posBucketCount + "+" + h.negBucketCount
          + " buckets but its spans hold " + layout.posBucketCount + "+" + layout.negBucketCount);
    }
    putZeroThreshold(h.zeroThreshold);
    putVarbitInt(h.schema);
    putSpans(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount);
    putSpans(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount);
    if (h.schema == Histogram.CUSTOM_BUCKETS_SCHEMA) {
      putVarbitUint(h.customCount);
      for (int i = 0; i < h.customCount; i++) {
        putCustomBound(h.customValues[i]);
      }
    }
    int nb = layout.posBucketCount + layout.negBucketCount;
    if (pBuckets.length < nb) {
      pBuckets = new long[nb];
      nBuckets = new long[nb];
      pBucketsDelta = new long[nb];
      nBucketsDelta = new long[nb];
    }
    if (windows.length < 3 + nb) {
      windows = XorValueCoder.array(3 + nb);
    }
    for (int i = 0; i < nb; i++) {
      pBucketsDelta[i] = 0;
      nBucketsDelta[i] = 0;
    }
    putVarbitInt(ts);
    if (floats) {
      windows[1].writeFirst(out, Double.doubleToRawLongBits(h.floatCount));
      windows[2].writeFirst(out, Double.doubleToRawLongBits(h.floatZeroCount));
      windows[0].writeFirst(out, Double.doubleToRawLongBits(h.sum));
      for (int i = 0; i < h.posBucketCount; i++) {
        windows[3 + i].writeFirst(out, Double.doubleToRawLongBits(h.posCounts[i]));
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        windows[3 + layout.posBucketCount + i].writeFirst(out, Double.doubleToRawLongBits(h.negCounts[i]));
      }
    } else {
      putVarbitUint(h.count);
      putVarbitUint(h.zeroCount);
      windows[0].writeFirst(out, Double.doubleToRawLongBits(h.sum));
      for (int i = 0; i < h.posBucketCount; i++) {
        putVarbitInt(h.posDeltas[i]);
      }
      for (int i = 0; i < h.negBucketCount; i++) {
        putVarbitInt(h.negDeltas[i]);
      }
    }
  }

  // ---- the head's decision: Prometheus's Appendable (counter histograms) ----

  /**
   * Whether {@code h} can be appended to this (non-empty) chunk, as Prometheus 2.42's {@code Appendable} decides
   * for counter histograms: {@link #APPEND}, {@link #RECODE} (new buckets: {@link #recode} first),
   * {@link #NEW_CHUNK} or {@link #NEW_CHUNK_COUNTER_RESET}.
   */
  public int appendable(Histogram h) {
    if (num > 0 && header == GAUGE_TYPE) {
      return NEW_CHUNK;
    }
    if (h.isStale()) {
      return APPEND;
    }
    if (sumBits == StaleNaN.BITS) {
      return NEW_CHUNK;
    }
    if (floats ? h.floatCount < Double.longBitsToDouble(windows[1].bits()) : Long.compareUnsigned(h.count, cnt) < 0) {
      return NEW_CHUNK_COUNTER_RESET;
    }
    if (h.schema != layout.schema || h.zeroThreshold != layout.zeroThreshold || !h.sameCustomValues(layout)) {
      return NEW_CHUNK;
    }
    if (floats ? h.floatZeroCount < Double.longBitsToDouble(windows[2].bits())
        : Long.compareUnsigned(h.zeroCount, zCnt) < 0) {
      return NEW_CHUNK_COUNTER_RESET;
    }
    int pIns = Spans.forwardInserts(layout.posSpanOffsets, layout.posSpanLengths, layout.posSpanCount,
        h.posSpanOffsets, h.posSpanLengths, h.posSpanCount);
    if (pIns < 0) {
      return NEW_CHUNK_COUNTER_RESET;
    }
    int nIns = Spans.forwardInserts(layout.negSpanOffsets, layout.negSpanLengths, layout.negSpanCount,
        h.negSpanOffsets, h.negSpanLengths, h.negSpanCount);
    if (nIns < 0) {
      return NEW_CHUNK_COUNTER_RESET;
    }
    if (bucketDecreased(true, h) || bucketDecreased(false, h)) {
      return NEW_CHUNK_COUNTER_RESET;
    }
    return pIns > 0 || nIns > 0 ? RECODE : APPEND;
  }

  /**
   * How the compactor puts {@code h} into this (non-empty) chunk when it re-encodes merged samples. Prometheus
   * 2.42's compactor ({@code storage.seriesToChunkEncoder}) appends every histogram without asking, which is
   * well-defined only when {@code h} has exactly the chunk's buckets: then this returns {@link #APPEND} (counter
   * decreases included, as 2.42 keeps them in the chunk). Where 2.42 would crash (more buckets) or write a chunk
   * that decodes to other values (fewer or other buckets), bucket sets are reconciled losslessly, as the head does
   * for gauge histograms (an absent bucket holds zero): {@link #RECODE} (recode the chunk to {@code h}'s spans,
   * then append {@code h}), {@link #WIDEN} (append {@code target}: {@code h} in the chunk's spans) or
   * {@link #RECODE_AND_WIDEN} (recode the chunk to {@code target}'s spans, the union, then append
   * {@code target}). Another schema or zero threshold, or a live sample after a stale marker, gives
   * {@link #NEW_CHUNK}.
   */
  public int compactorPlan(Histogram h, Histogram target) {
    if (h.isStale()) {
      return APPEND;
    }
    if (sumBits == StaleNaN.BITS || h.schema != layout.schema
        || Double.doubleToRawLongBits(h.zeroThreshold) != Double.doubleToRawLongBits(layout.zeroThreshold)
        || !h.sameCustomValues(layout)) {
      return NEW_CHUNK;
    }
    if (sameSpans(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount, layout.posSpanOffsets, layout.posSpanLengths,
        layout.posSpanCount) && sameSpans(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount,
        layout.negSpanOffsets, layout.negSpanLengths, layout.negSpanCount)) {
      return APPEND; // the common case, without walking bucket indices
    }
    int pUp = Spans.forwardInserts(layout.posSpanOffsets, layout.posSpanLengths, layout.posSpanCount,
        h.posSpanOffsets, h.posSpanLengths, h.posSpanCount);
    int pDown = Spans.forwardInserts(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount,
        layout.posSpanOffsets, layout.posSpanLengths, layout.posSpanCount);
    int nUp = Spans.forwardInserts(layout.negSpanOffsets, layout.negSpanLengths, layout.negSpanCount,
        h.negSpanOffsets, h.negSpanLengths, h.negSpanCount);
    int nDown = Spans.forwardInserts(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount,
        layout.negSpanOffsets, layout.negSpanLengths, layout.negSpanCount);
    boolean recode = pDown != 0 || nDown != 0; // the chunk lacks buckets of h
    boolean widen = pUp != 0 || nUp != 0; // h lacks buckets of the chunk
    if (!recode && !widen) {
      return APPEND;
    }
    if (!widen) {
      return RECODE;
    }
    target.copyFrom(h);
    target.posSpanCount = 0;
    target.negSpanCount = 0;
    // Per side: h's spans where they cover the chunk's, the chunk's where they cover h's, else the union.
    if (pUp >= 0) {
      copySpans(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount, target, true);
    } else if (pDown >= 0) {
      copySpans(layout.posSpanOffsets, layout.posSpanLengths, layout.posSpanCount, target, true);
    } else {
      Spans.union(layout.posSpanOffsets, layout.posSpanLengths, layout.posSpanCount,
          h.posSpanOffsets, h.posSpanLengths, h.posSpanCount, target, true);
    }
    if (nUp >= 0) {
      copySpans(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount, target, false);
    } else if (nDown >= 0) {
      copySpans(layout.negSpanOffsets, layout.negSpanLengths, layout.negSpanCount, target, false);
    } else {
      Spans.union(layout.negSpanOffsets, layout.negSpanLengths, layout.negSpanCount,
          h.negSpanOffsets, h.negSpanLengths, h.negSpanCount, target, false);
    }
    target.sizeBuckets();
    Spans.remap(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount, h.posDeltas, h.posCounts, h.posBucketCount,
        target.posSpanOffsets, target.posSpanLengths, target.posSpanCount, target.posDeltas, target.posCounts,
        target.posBucketCount, floats);
    Spans.remap(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount, h.negDeltas, h.negCounts, h.negBucketCount,
        target.negSpanOffsets, target.negSpanLengths, target.negSpanCount, target.negDeltas, target.negCounts,
        target.negBucketCount, floats);
    return recode ? RECODE_AND_WIDEN : WIDEN;
  }

  private static boolean sameSpans(int[] aOff, int[] aLen, int an, int[] bOff, int[] bLen, int bn) {
    if (an != bn) {
      return false;
    }
    for (int i = 0; i < an; i++) {
      if (aOff[i] != bOff[i] || aLen[i] != bLen[i]) {
        return false;
      }
    }
    return true;
  }

  private static void copySpans(int[] off, int[] len, int n, Histogram target, boolean positive) {
    for (int i = 0; i < n; i++) {
      if (positive) {
        target.addPosSpan(off[i], len[i]);
      } else {
        target.addNegSpan(off[i], len[i]);
      }
    }
  }

  /** Prometheus's counterResetInAnyBucket: a bucket present in both layouts holds less in {@code h}. */
  private boolean bucketDecreased(boolean positive, Histogram h) {
    int oldSpans = positive ? layout.posSpanCount : layout.negSpanCount;
    int oldBuckets = positive ? layout.posBucketCount : layout.negBucketCount;
    if (oldSpans == 0 || oldBuckets == 0) {
      return false;
    }
    Spans.BucketIterator oi = new Spans.BucketIterator(positive ? layout.posSpanOffsets : layout.negSpanOffsets,
        positive ? layout.posSpanLengths : layout.negSpanLengths, oldSpans);
    Spans.BucketIterator ni = new Spans.BucketIterator(positive ? h.posSpanOffsets : h.negSpanOffsets,
        positive ? h.posSpanLengths : h.negSpanLengths, positive ? h.posSpanCount : h.negSpanCount);
    int off = positive ? 0 : layout.posBucketCount;
    boolean nHas = ni.next();
    int nPos = 0;
    long newAcc = 0;
    if (nHas && !floats) {
      newAcc = positive ? h.posDeltas[0] : h.negDeltas[0];
    }
    int oPos = 0;
    long oldAcc = 0;
    while (oi.next()) {
      long idx = oi.index();
      if (!floats) {
        oldAcc += positive ? pBuckets[oPos] : nBuckets[oPos];
      }
      while (nHas && ni.index() < idx) {
        nHas = ni.next();
        if (nHas) {
          nPos++;
          if (!floats) {
            newAcc += positive ? h.posDeltas[nPos] : h.negDeltas[nPos];
          }
        }
      }
      if (!nHas) {
        return false;
      }
      if (ni.index() == idx) {
        boolean less = floats
            ? (positive ? h.posCounts[nPos] : h.negCounts[nPos])
                < Double.longBitsToDouble(windows[3 + off + oPos].bits())
            : newAcc < oldAcc;
        if (less) {
          return true;
        }
      }
      oPos++;
    }
    return false;
  }

  /**
   * Re-encodes the chunk so that its layout becomes {@code h}'s spans (a superset of the current buckets, as
   * {@link #appendable} returned {@link #RECODE}), as Prometheus's {@code Recode}: every sample is decoded and
   * appended again with zero counts in the new buckets; the counter-reset header is kept.
   */
  public void recode(Histogram h) {
    Chunk old = toChunk();
    int keepHeader = header;
    Histogram target = h.copy();
    reset(floats);
    header = keepHeader;
    recodeIt.reset("recode", old.encoding(), old.data());
    Histogram mapped = new Histogram();
    try {
      while (recodeIt.next()) {
        Histogram o = recodeIt.histogram();
        if (o.isStale()) {
          append(recodeIt.timestamp(), o);
          continue;
        }
        mapped.copyFrom(o);
        mapped.posSpanCount = 0;
        mapped.negSpanCount = 0;
        for (int i = 0; i < target.posSpanCount; i++) {
          mapped.addPosSpan(target.posSpanOffsets[i], target.posSpanLengths[i]);
        }
        for (int i = 0; i < target.negSpanCount; i++) {
          mapped.addNegSpan(target.negSpanOffsets[i], target.negSpanLengths[i]);
        }
        mapped.sizeBuckets();
        Spans.remap(o.posSpanOffsets, o.posSpanLengths, o.posSpanCount, o.posDeltas, o.posCounts, o.posBucketCount,
            target.posSpanOffsets, target.posSpanLengths, target.posSpanCount, mapped.posDeltas, mapped.posCounts,
            mapped.posBucketCount, floats);
        Spans.remap(o.negSpanOffsets, o.negSpanLengths, o.negSpanCount, o.negDeltas, o.negCounts, o.negBucketCount,
            target.negSpanOffsets, target.negSpanLengths, target.negSpanCount, mapped.negDeltas, mapped.negCounts,
            mapped.negBucketCount, floats);
        append(recodeIt.timestamp(), mapped);
      }
    } catch (CorruptDataException e) {
      throw new IllegalStateException("re-reading our own chunk failed", e);
    }
  }

  // ---- bit-level writers ----

  private void putZeroThreshold(double threshold) {
    if (threshold == 0) {
      out.writeByte(0);
      return;
    }
    // Go's math.Frexp: threshold = frac * 2^exp with frac in [0.5, 1).
    int exp = Math.getExponent(threshold);
    boolean powerOfTwo = !Double.isNaN(threshold) && !Double.isInfinite(threshold) && threshold > 0
        && exp >= Double.MIN_EXPONENT && Double.doubleToRawLongBits(threshold) == Double.doubleToRawLongBits(
            Math.scalb(1.0, exp));
    int goExp = exp + 1; // frac 0.5 at Go exponent exp+1
    if (!powerOfTwo || goExp < -242 || goExp > 11) {
      out.writeByte(255);
      out.writeBits(Double.doubleToRawLongBits(threshold), 64);
      return;
    }
    out.writeByte(goExp + 243);
  }

  /** Prometheus 3's putCustomBound: multiples of 0.001 up to 33554.430 as varbit uint 1000*v+1, else raw. */
  private void putCustomBound(double f) {
    double tf = f * 1000;
    if (tf < 0 || tf > 33554430 || !wholeWhenMultiplied(f)) {
      out.writeBit(false);
      out.writeBits(Double.doubleToRawLongBits(f), 64);
      return;
    }
    putVarbitUint(Math.round(tf) + 1);
  }

  private static boolean wholeWhenMultiplied(double in) {
    long i = Math.round(in * 1000);
    return in == (double) i / 1000;
  }

  private void putSpans(int[] offsets, int[] lengths, int n) {
    putVarbitUint(n);
    for (int i = 0; i < n; i++) {
      putVarbitUint(lengths[i] & 0xFFFFFFFFL);
      putVarbitInt(offsets[i]);
    }
  }

  private void putVarbitInt(long val) {
    if (val == 0) {
      out.writeBit(false);
    } else if (val >= -3 && val <= 4) {
      out.writeBits(0b10, 2);
      out.writeBits(val, 3);
    } else if (val >= -31 && val <= 32) {
      out.writeBits(0b110, 3);
      out.writeBits(val, 6);
    } else if (val >= -255 && val <= 256) {
      out.writeBits(0b1110, 4);
      out.writeBits(val, 9);
    } else if (val >= -2047 && val <= 2048) {
      out.writeBits(0b11110, 5);
      out.writeBits(val, 12);
    } else if (val >= -131071 && val <= 131072) {
      out.writeBits(0b111110, 6);
      out.writeBits(val, 18);
    } else if (val >= -16777215 && val <= 16777216) {
      out.writeBits(0b1111110, 7);
      out.writeBits(val, 25);
    } else if (val >= -(1L << 55) + 1 && val <= 1L << 55) {
      out.writeBits(0b11111110, 8);
      out.writeBits(val, 56);
    } else {
      out.writeBits(0b11111111, 8);
      out.writeBits(val, 64);
    }
  }

  private void putVarbitUint(long val) {
    int lz = Long.numberOfLeadingZeros(val);
    if (val == 0) {
      out.writeBit(false);
    } else if (lz >= 64 - 3) {
      out.writeBits(0b10, 2);
      out.writeBits(val, 3);
    } else if (lz >= 64 - 6) {
      out.writeBits(0b110, 3);
      out.writeBits(val, 6);
    } else if (lz >= 64 - 9) {
      out.writeBits(0b1110, 4);
      out.writeBits(val, 9);
    } else if (lz >= 64 - 12) {
      out.writeBits(0b11110, 5);
      out.writeBits(val, 12);
    } else if (lz >= 64 - 18) {
      out.writeBits(0b111110, 6);
      out.writeBits(val, 18);
    } else if (lz >= 64 - 25) {
      out.writeBits(0b1111110, 7);
      out.writeBits(val, 25);
    } else if (lz >= 64 - 56) {
      out.writeBits(0b11111110, 8);
      out.writeBits(val, 56);
    } else {
      out.writeBits(0b11111111, 8);
      out.writeBits(val, 64);
    }
  }

  /** A chunk holding a copy of the bytes written so far; the encoder can keep appending or be reset. */
  public Chunk toChunk() {
    out.setHeaderByte(0, num >>> 8);
    out.setHeaderByte(1, num);
    out.setHeaderByte(2, header);
    return new Chunk(encoding(), out.toByteArray());
  }

  /** {@link #toChunk()} with its time range, ref 0. */
  public ChunkMeta toChunkMeta() {
    return new ChunkMeta(minTime, t, 0, toChunk());
  }
}
