package io.tsdbcompactor.chunk;

/** Comparing decoded histograms in codec tests. */
final class HistogramBits {
  private HistogramBits() {}

  /** Bit-exact equality of every field of {@code h} and {@code o} that is meaningful for the kind (raw double bits). */
  static boolean sameBits(Histogram h, Histogram o) {
    if (h.isFloat != o.isFloat || h.counterResetHint != o.counterResetHint || h.schema != o.schema
        || Double.doubleToRawLongBits(h.zeroThreshold) != Double.doubleToRawLongBits(o.zeroThreshold)
        || Double.doubleToRawLongBits(h.sum) != Double.doubleToRawLongBits(o.sum)
        || h.posSpanCount != o.posSpanCount || h.negSpanCount != o.negSpanCount
        || h.posBucketCount != o.posBucketCount || h.negBucketCount != o.negBucketCount || !h.sameCustomValues(o)) {
      return false;
    }
    if (h.isFloat) {
      if (Double.doubleToRawLongBits(h.floatCount) != Double.doubleToRawLongBits(o.floatCount)
          || Double.doubleToRawLongBits(h.floatZeroCount) != Double.doubleToRawLongBits(o.floatZeroCount)) {
        return false;
      }
    } else if (h.count != o.count || h.zeroCount != o.zeroCount) {
      return false;
    }
    for (int i = 0; i < h.posSpanCount; i++) {
      if (h.posSpanOffsets[i] != o.posSpanOffsets[i] || h.posSpanLengths[i] != o.posSpanLengths[i]) {
        return false;
      }
    }
    for (int i = 0; i < h.negSpanCount; i++) {
      if (h.negSpanOffsets[i] != o.negSpanOffsets[i] || h.negSpanLengths[i] != o.negSpanLengths[i]) {
        return false;
      }
    }
    for (int i = 0; i < h.posBucketCount; i++) {
      if (h.isFloat ? Double.doubleToRawLongBits(h.posCounts[i]) != Double.doubleToRawLongBits(o.posCounts[i])
          : h.posDeltas[i] != o.posDeltas[i]) {
        return false;
      }
    }
    for (int i = 0; i < h.negBucketCount; i++) {
      if (h.isFloat ? Double.doubleToRawLongBits(h.negCounts[i]) != Double.doubleToRawLongBits(o.negCounts[i])
          : h.negDeltas[i] != o.negDeltas[i]) {
        return false;
      }
    }
    return true;
  }
}
