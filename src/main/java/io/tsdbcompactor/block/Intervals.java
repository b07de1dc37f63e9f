package io.tsdbcompactor.block;

import java.util.Arrays;

/**
 * Deletion intervals as a flat array of closed [min, max] pairs, ascending and disjoint, with touching
 * intervals merged: the normal form Prometheus's {@code tombstones.Intervals.Add} keeps.
 */
final class Intervals {
  private Intervals() {}

  /** Adds [min, max] to the normalised pairs {@code in}; returns a new array. */
  static long[] add(long[] in, long min, long max) {
    int n = in.length / 2;
    long[] out = new long[in.length + 2];
    int o = 0;
    int i = 0;
    // Intervals ending before min - 1 stay as they are.
    while (i < n && min != Long.MIN_VALUE && in[2 * i + 1] < min - 1) {
      out[o++] = in[2 * i];
      out[o++] = in[2 * i + 1];
      i++;
    }
    long lo = min;
    long hi = max;
    // Intervals starting at or before max + 1 merge with the new one.
    while (i < n && (max == Long.MAX_VALUE || in[2 * i] <= max + 1)) {
      lo = Math.min(lo, in[2 * i]);
      hi = Math.max(hi, in[2 * i + 1]);
      i++;
    }
    out[o++] = lo;
    out[o++] = hi;
    while (i < n) {
      out[o++] = in[2 * i];
      out[o++] = in[2 * i + 1];
      i++;
    }
    return o == out.length ? out : Arrays.copyOf(out, o);
  }
}
