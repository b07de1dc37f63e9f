package io.tsdbcompactor.chunk;

import java.util.Arrays;

/**
 * Float-histogram arithmetic as Prometheus's {@code model/histogram.FloatHistogram} defines it ({@code Add},
 * {@code Sub}, {@code CopyToSchema}, {@code DetectReset}), on {@link Histogram} holders of float kind
 * ({@link Histogram#isFloat}; {@link #toFloat} converts integer ones first).
 *
 * <p>Semantics:
 * <ul>
 *   <li>Bucket i at schema s covers (2^((i-1)/2^s), 2^(i/2^s)]; reducing to schema t &lt; s maps it to bucket
 *       {@code ((i-1) >> (s-t)) + 1}, whose range contains it, and adds counts that land together.
 *   <li>{@link #add} and {@link #sub} work bucket by bucket over the union of both layouts (a bucket missing
 *       from one side counts 0); count, zero count and sum are added (subtracted). Both operands must have the
 *       same schema (callers reduce first, as Thanos does). When the zero thresholds differ the result takes
 *       the larger and the other side's buckets whose upper bound is at or below it fold into the zero bucket;
 *       Prometheus additionally moves a threshold that falls inside a populated bucket to that bucket's upper
 *       bound, which is not done here.
 *   <li>The result layout has one span per run of consecutive bucket indices (Prometheus may keep empty
 *       buckets inside spans; the counts read back are the same).
 *   <li>{@link #detectReset}: a reset when the hint says so ({@code COUNTER_RESET} true, {@code NOT_COUNTER_RESET}
 *       false), else when the count fell, the schema rose, the zero threshold fell (or rose: treated as a reset
 *       here, see above), the zero count fell, or any bucket holds less than in the previous histogram (a
 *       bucket missing from the current one holds 0).
 * </ul>
 *
 * <p>An instance owns scratch arrays reused by every call (no per-call allocation once grown). Not
 * thread-safe.
 */
public final class HistogramMath {
  private int[] ai = new int[32];
  private double[] ac = new double[32];
  private int[] bi = new int[32];
  private double[] bc = new double[32];
  private int[] ri = new int[64];
  private double[] rc = new double[64];

  /** Makes {@code dst} the float form of {@code src} (absolute bucket counts); {@code dst} may be {@code src}. */
  public static void toFloat(Histogram src, Histogram dst) {
    if (dst != src) {
      dst.copyFrom(src);
    }
    if (src.isFloat) {
      return;
    }
    dst.isFloat = true;
    dst.floatCount = unsigned(dst.count);
    dst.floatZeroCount = unsigned(dst.zeroCount);
    long c = 0;
    for (int i = 0; i < dst.posBucketCount; i++) {
      c += dst.posDeltas[i];
      dst.posCounts[i] = c;
    }
    c = 0;
    for (int i = 0; i < dst.negBucketCount; i++) {
      c += dst.negDeltas[i];
      dst.negCounts[i] = c;
    }
  }

  private static double unsigned(long v) {
    return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
  }

  /** Reduces a float histogram to the lower {@code schema} in place (Prometheus's CopyToSchema). */
  public void reduceSchema(Histogram h, int schema) {
    if (schema > h.schema) {
      throw new IllegalArgumentException("cannot raise schema " + h.schema + " to " + schema);
    }
    if (schema == h.schema) {
      return;
    }
    int shift = h.schema - schema;
    for (int side = 0; side < 2; side++) {
      int n = expand(h, side == 0, true);
      int m = 0;
      for (int k = 0; k < n; k++) {
        int idx = ((ai[k] - 1) >> shift) + 1;
        if (m > 0 && ri[m - 1] == idx) {
          rc[m - 1] += ac[k];
        } else {
          growResult(m + 1);
          ri[m] = idx;
          rc[m] = ac[k];
          m++;
        }
      }
      store(h, side == 0, m);
    }
    h.schema = schema;
  }

  /** {@code acc += o}: both float, same schema. */
  public void add(Histogram acc, Histogram o) {
    combine(acc, o, 1.0);
  }

  /** {@code acc -= o}: both float, same schema. */
  public void sub(Histogram acc, Histogram o) {
    combine(acc, o, -1.0);
  }

  private void combine(Histogram acc, Histogram o, double sign) {
    if (!acc.isFloat || !o.isFloat) {
      throw new IllegalArgumentException("histogram arithmetic needs float histograms");
    }
    if (acc.schema != o.schema) {
      throw new IllegalArgumentException("schemas differ: " + acc.schema + " and " + o.schema);
    }
    if (acc.schema == Histogram.CUSTOM_BUCKETS_SCHEMA || o.schema == Histogram.CUSTOM_BUCKETS_SCHEMA) {
      throw new IllegalArgumentException("custom-bucket histograms are not supported");
    }
    double zt = Math.max(acc.zeroThreshold, o.zeroThreshold);
    double accZero = acc.floatZeroCount;
    double oZero = o.floatZeroCount;
    for (int side = 0; side < 2; side++) {
      boolean pos = side == 0;
      int na = expand(acc, pos, true);
      int nb = expand(o, pos, false);
      // Buckets entirely inside a widened zero bucket move into it (both sides: |bound| <= zt).
      if (zt > acc.zeroThreshold) {
        int keep = 0;
        for (int k = 0; k < na; k++) {
          if (upperBound(ai[k], acc.schema) <= zt) {
            accZero += ac[k];
          } else {
            ai[keep] = ai[k];
            ac[keep++] = ac[k];
          }
        }
        na = keep;
      }
      if (zt > o.zeroThreshold) {
        int keep = 0;
        for (int k = 0; k < nb; k++) {
          if (upperBound(bi[k], o.schema) <= zt) {
            oZero += bc[k];
          } else {
            bi[keep] = bi[k];
            bc[keep++] = bc[k];
          }
        }
        nb = keep;
      }
      growResult(na + nb);
      int x = 0;
      int y = 0;
      int m = 0;
      while (x < na || y < nb) {
        if (y >= nb || (x < na && ai[x] < bi[y])) {
          ri[m] = ai[x];
          rc[m++] = ac[x++];
        } else if (x >= na || bi[y] < ai[x]) {
          ri[m] = bi[y];
          rc[m++] = sign * bc[y++];
        } else {
          ri[m] = ai[x];
          rc[m++] = ac[x++] + sign * bc[y++];
        }
      }
      store(acc, pos, m);
    }
    acc.zeroThreshold = zt;
    acc.floatZeroCount = accZero + sign * oZero;
    acc.floatCount += sign * o.floatCount;
    acc.sum += sign * o.sum;
  }

  /** Upper bound of bucket {@code idx} at {@code schema}: 2^(idx * 2^-schema). */
  static double upperBound(int idx, int schema) {
    return Math.pow(2, idx * Math.pow(2, -schema));
  }

  /**
   * Prometheus's {@code cur.DetectReset(prev)}. {@code cur} may have a higher schema than {@code prev} (then it
   * is a reset unless the hint says otherwise); buckets are compared at equal schemas.
   */
  public boolean detectReset(Histogram cur, Histogram prev) {
    if (cur.counterResetHint == Histogram.COUNTER_RESET) {
      return true;
    }
    if (cur.counterResetHint == Histogram.NOT_COUNTER_RESET) {
      return false;
    }
    if (cur.floatCount < prev.floatCount) {
      return true;
    }
    if (cur.schema > prev.schema) {
      return true;
    }
    if (cur.zeroThreshold != prev.zeroThreshold) {
      return true;
    }
    if (cur.floatZeroCount < prev.floatZeroCount) {
      return true;
    }
    if (cur.schema < prev.schema) {
      // Prometheus compares prev's buckets mapped down to cur's schema.
      Histogram p = prev.copy();
      reduceSchema(p, cur.schema);
      prev = p;
    }
    for (int side = 0; side < 2; side++) {
      boolean pos = side == 0;
      int na = expand(cur, pos, true);
      int nb = expand(prev, pos, false);
      int x = 0;
      for (int y = 0; y < nb; y++) {
        while (x < na && ai[x] < bi[y]) {
          x++;
        }
        double c = x < na && ai[x] == bi[y] ? ac[x] : 0;
        if (c < bc[y]) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Widens {@code h} (float) to the layout of {@code layout}, which must hold every bucket index of {@code h}
   * at the same schema: buckets it lacks become 0. Used to give every sample of one chunk the same layout.
   */
  public void widenTo(Histogram h, Histogram layout) {
    for (int side = 0; side < 2; side++) {
      boolean pos = side == 0;
      int na = expand(h, pos, true);
      int nb = expand(layout, pos, false);
      growResult(nb);
      int x = 0;
      for (int y = 0; y < nb; y++) {
        ri[y] = bi[y];
        if (x < na && ai[x] == bi[y]) {
          rc[y] = ac[x++];
        } else {
          rc[y] = 0;
        }
      }
      if (x != na) {
        throw new IllegalArgumentException("layout lacks buckets of " + h);
      }
      store(h, pos, nb);
    }
  }

  /** Makes {@code acc}'s layout the union of its own and {@code o}'s (counts of new buckets 0). */
  public void unionLayout(Histogram acc, Histogram o) {
    double count = acc.floatCount;
    double zero = acc.floatZeroCount;
    double sum = acc.sum;
    double zt = acc.zeroThreshold;
    for (int side = 0; side < 2; side++) {
      boolean pos = side == 0;
      int na = expand(acc, pos, true);
      int nb = expand(o, pos, false);
      growResult(na + nb);
      int x = 0;
      int y = 0;
      int m = 0;
      while (x < na || y < nb) {
        if (y >= nb || (x < na && ai[x] < bi[y])) {
          ri[m] = ai[x];
          rc[m++] = ac[x++];
        } else if (x >= na || bi[y] < ai[x]) {
          ri[m] = bi[y++];
          rc[m++] = 0;
        } else {
          ri[m] = ai[x];
          rc[m++] = ac[x++];
          y++;
        }
      }
      store(acc, pos, m);
    }
    acc.floatCount = count;
    acc.floatZeroCount = zero;
    acc.sum = sum;
    acc.zeroThreshold = zt;
  }

  /** Expands one side's spans into absolute indices and counts, into the a- (first) or b-scratch arrays. */
  private int expand(Histogram h, boolean positive, boolean first) {
    int spans = positive ? h.posSpanCount : h.negSpanCount;
    int[] off = positive ? h.posSpanOffsets : h.negSpanOffsets;
    int[] len = positive ? h.posSpanLengths : h.negSpanLengths;
    double[] counts = positive ? h.posCounts : h.negCounts;
    int n = positive ? h.posBucketCount : h.negBucketCount;
    if (first) {
      if (ai.length < n) {
        ai = new int[n * 2];
        ac = new double[n * 2];
      }
    } else if (bi.length < n) {
      bi = new int[n * 2];
      bc = new double[n * 2];
    }
    int[] idx = first ? ai : bi;
    double[] cnt = first ? ac : bc;
    int k = 0;
    int at = 0;
    for (int s = 0; s < spans; s++) {
      at += off[s];
      for (int j = 0; j < len[s]; j++) {
        idx[k] = at;
        cnt[k] = counts[k];
        k++;
        at++;
      }
    }
    return k;
  }

  private void growResult(int n) {
    if (ri.length < n) {
      ri = Arrays.copyOf(ri, Math.max(n, ri.length * 2));
      rc = Arrays.copyOf(rc, Math.max(n, rc.length * 2));
    }
  }

  /** Replaces one side of {@code h} with the m result buckets (ri, rc), spans rebuilt. */
  private void store(Histogram h, boolean positive, int m) {
    if (positive) {
      h.posSpanCount = 0;
    } else {
      h.negSpanCount = 0;
    }
    int prevEnd = 0;
    int s = 0;
    while (s < m) {
      int e = s + 1;
      while (e < m && ri[e] == ri[e - 1] + 1) {
        e++;
      }
      int offset = s == 0 ? ri[s] : ri[s] - prevEnd;
      if (positive) {
        h.addPosSpan(offset, e - s);
      } else {
        h.addNegSpan(offset, e - s);
      }
      prevEnd = ri[e - 1] + 1;
      s = e;
    }
    if (positive) {
      h.posBucketCount = m;
      if (h.posCounts.length < m) {
        h.posCounts = new double[m];
        h.posDeltas = new long[m];
      }
      System.arraycopy(rc, 0, h.posCounts, 0, m);
    } else {
      h.negBucketCount = m;
      if (h.negCounts.length < m) {
        h.negCounts = new double[m];
        h.negDeltas = new long[m];
      }
      System.arraycopy(rc, 0, h.negCounts, 0, m);
    }
  }
}
