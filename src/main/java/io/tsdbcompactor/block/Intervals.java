package io.tsdbcompactor.block;

import java.util.Arrays;

/**
 * Deletion intervals as a flat array of closed [min, max] pairs, updated exactly as Prometheus 2.42's
 * {@code tombstones.Intervals.Add} updates its slice. For ordinary intervals that keeps them ascending,
 * disjoint and with touching intervals merged. For the open-ended intervals a query adds to trim chunks to its
 * range ([MinInt64, minT - 1] and [maxT + 1, MaxInt64]), 2.42 computes {@code Mint - 1} and {@code Maxt + 1}
 * with int64 wrap-around, so those intervals are appended or inserted without merging and the list can end up
 * out of order; the deleted-samples iterator then keeps samples it would otherwise trim, and promtool prints
 * them. Java's long arithmetic wraps the same way, and the binary searches below are Go's
 * {@code sort.Search}, so the result matches 2.42 in those cases too.
 */
final class Intervals {
  private Intervals() {}

  /** Adds [min, max] to {@code in} as 2.42's Intervals.Add does; returns a new array. */
  static long[] add(long[] in, long min, long max) {
    int n = in.length / 2;
    if (n == 0) {
      return new long[] {min, max};
    }
    long minMinus1 = min - 1;
    int mini = search(n, i -> in[2 * i + 1] >= minMinus1);
    if (mini == n) {
      long[] out = Arrays.copyOf(in, in.length + 2);
      out[in.length] = min;
      out[in.length + 1] = max;
      return out;
    }
    long maxPlus1 = max + 1;
    int from = mini;
    int maxi = search(n - mini, i -> in[2 * (from + i)] > maxPlus1);
    if (maxi == 0) {
      long[] out = new long[in.length + 2];
      System.arraycopy(in, 0, out, 0, 2 * mini);
      out[2 * mini] = min;
      out[2 * mini + 1] = max;
      System.arraycopy(in, 2 * mini, out, 2 * mini + 2, in.length - 2 * mini);
      return out;
    }
    long lo = in[2 * mini];
    if (min < lo) {
      lo = min;
    }
    long hi = in[2 * (maxi + mini - 1) + 1];
    if (max > hi) {
      hi = max;
    }
    // Keep in[:mini], the merged interval, then in[maxi+mini:].
    int tail = n - (maxi + mini);
    long[] out = new long[2 * (mini + 1 + tail)];
    System.arraycopy(in, 0, out, 0, 2 * mini);
    out[2 * mini] = lo;
    out[2 * mini + 1] = hi;
    System.arraycopy(in, 2 * (maxi + mini), out, 2 * mini + 2, 2 * tail);
    return out;
  }

  private interface IntPredicate {
    boolean test(int i);
  }

  /** Go's sort.Search: the smallest index in [0, n) where f is true (assuming f monotone), or n. */
  private static int search(int n, IntPredicate f) {
    int i = 0;
    int j = n;
    while (i < j) {
      int h = (i + j) >>> 1;
      if (!f.test(h)) {
        i = h + 1;
      } else {
        j = h;
      }
    }
    return i;
  }
}
