package io.tsdbcompactor.chunk;

/**
 * Bucket-span arithmetic of Prometheus 2.42's {@code histogram_meta.go}: walking the bucket indices a span list
 * covers, finding the buckets a new layout adds ({@code expandSpansForward}), and moving bucket values into a
 * wider layout ({@code insert}).
 */
final class Spans {
  private Spans() {}

  /**
   * Prometheus's {@code bucketIterator}: the bucket indices covered by spans, in order. Keeps its quirk for
   * zero-length spans (such a span's offset still moves the index, one less than a normal span's would).
   */
  static final class BucketIterator {
    private final int[] offsets;
    private final int[] lengths;
    private final int n;
    private int span;
    private long bucket = -1;
    private long idx = -1;

    BucketIterator(int[] offsets, int[] lengths, int n) {
      this.offsets = offsets;
      this.lengths = lengths;
      this.n = n;
      if (n > 0) {
        idx += offsets[0];
      }
    }

    boolean next() {
      if (span >= n) {
        return false;
      }
      if (bucket < (lengths[span] & 0xFFFFFFFFL) - 1) {
        bucket++;
        idx++;
        return true;
      }
      while (span < n - 1) {
        span++;
        idx += offsets[span] + 1L;
        bucket = 0;
        if (lengths[span] == 0) {
          idx--;
          continue;
        }
        return true;
      }
      return false;
    }

    long index() {
      return idx;
    }
  }

  /**
   * How many buckets layout b adds to layout a, or -1 when b lacks a bucket of a (Prometheus's
   * {@code expandSpansForward} returning not ok, which its appender treats as a counter reset).
   */
  static int forwardInserts(int[] aOff, int[] aLen, int an, int[] bOff, int[] bLen, int bn) {
    BucketIterator ai = new BucketIterator(aOff, aLen, an);
    BucketIterator bi = new BucketIterator(bOff, bLen, bn);
    int inserts = 0;
    boolean aOk = ai.next();
    boolean bOk = bi.next();
    while (true) {
      if (aOk && bOk) {
        if (ai.index() == bi.index()) {
          aOk = ai.next();
          bOk = bi.next();
        } else if (ai.index() < bi.index()) {
          return -1;
        } else {
          inserts++;
          bOk = bi.next();
        }
      } else if (aOk) {
        return -1;
      } else if (bOk) {
        inserts++;
        bOk = bi.next();
      } else {
        return inserts;
      }
    }
  }

  /**
   * Writes the values of buckets laid out by the old spans into the positions the new spans give the same
   * bucket indices, zero for buckets only the new layout has: Prometheus's {@code insert}. Integer values are
   * deltas (converted through absolute counts, which gives the same wrapping results as Prometheus's in-place
   * delta fix-up), float values absolute counts.
   */
  static void remap(int[] oOff, int[] oLen, int on, long[] oDeltas, double[] oCounts, int oCount,
      int[] nOff, int[] nLen, int nn, long[] outDeltas, double[] outCounts, int nCount, boolean floats) {
    BucketIterator oi = new BucketIterator(oOff, oLen, on);
    BucketIterator ni = new BucketIterator(nOff, nLen, nn);
    boolean oOk = oi.next();
    int op = 0;
    long oldAbs = 0;
    long prevAbs = 0;
    for (int p = 0; p < nCount && ni.next(); p++) {
      long abs = 0;
      double f = 0;
      while (oOk && op < oCount && oi.index() < ni.index()) {
        // An old bucket the new layout lacks; cannot happen after forwardInserts said yes.
        oldAbs += oDeltas[op];
        op++;
        oOk = oi.next();
      }
      if (oOk && op < oCount && oi.index() == ni.index()) {
        if (floats) {
          f = oCounts[op];
        } else {
          oldAbs += oDeltas[op];
          abs = oldAbs;
        }
        op++;
        oOk = oi.next();
      }
      if (floats) {
        outCounts[p] = f;
      } else {
        outDeltas[p] = abs - prevAbs;
        prevAbs = abs;
      }
    }
  }

  /**
   * The union of two layouts' bucket indices as spans, built as Prometheus's {@code expandSpansBothWays} builds
   * its merged spans (adjacent buckets extend a span; a gap starts a new one), appended to {@code target}.
   */
  static void union(int[] aOff, int[] aLen, int an, int[] bOff, int[] bLen, int bn, Histogram target,
      boolean positive) {
    BucketIterator ai = new BucketIterator(aOff, aLen, an);
    BucketIterator bi = new BucketIterator(bOff, bLen, bn);
    boolean aOk = ai.next();
    boolean bOk = bi.next();
    long last = 0;
    int spans = 0;
    int curOff = 0;
    int curLen = 0;
    while (aOk || bOk) {
      long b;
      if (aOk && bOk && ai.index() == bi.index()) {
        b = ai.index();
        aOk = ai.next();
        bOk = bi.next();
      } else if (aOk && (!bOk || ai.index() < bi.index())) {
        b = ai.index();
        aOk = ai.next();
      } else {
        b = bi.index();
        bOk = bi.next();
      }
      long offset = b - last - 1;
      if (offset == 0 && spans > 0) {
        curLen++;
      } else {
        if (spans > 0) {
          add(target, positive, curOff, curLen);
        }
        if (spans == 0) {
          offset++;
        }
        curOff = (int) offset;
        curLen = 1;
        spans++;
      }
      last = b;
    }
    if (spans > 0) {
      add(target, positive, curOff, curLen);
    }
  }

  private static void add(Histogram h, boolean positive, int off, int len) {
    if (positive) {
      h.addPosSpan(off, len);
    } else {
      h.addNegSpan(off, len);
    }
  }
}
