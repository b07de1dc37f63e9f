package io.tsdbcompactor.chunk;

/**
 * Prometheus's staleness marker: a NaN with a payload of its own ({@code value.StaleNaN} in
 * <a href="https://github.com/prometheus/prometheus/blob/main/model/value/value.go">model/value/value.go</a>),
 * written when a series disappears. Chunks carry raw IEEE bits, so it survives encoding only if values are never
 * canonicalised; for histograms it is the sum that carries it.
 */
public final class StaleNaN {
  public static final long BITS = 0x7ff0000000000002L;

  private StaleNaN() {}

  public static boolean is(double v) {
    return Double.doubleToRawLongBits(v) == BITS;
  }
}
