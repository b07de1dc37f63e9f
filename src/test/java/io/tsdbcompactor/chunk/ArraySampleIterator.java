package io.tsdbcompactor.chunk;

/** Test source: samples from parallel arrays. */
final class ArraySampleIterator implements SampleIterator {
  private final long[] ts;
  private final double[] vs;
  private int i = -1;

  ArraySampleIterator(long[] ts, double[] vs) {
    this.ts = ts;
    this.vs = vs;
  }

  @Override
  public boolean next() {
    if (i + 1 >= ts.length) {
      i = ts.length;
      return false;
    }
    i++;
    return true;
  }

  @Override
  public long timestamp() {
    return ts[i];
  }

  @Override
  public double value() {
    return vs[i];
  }
}
