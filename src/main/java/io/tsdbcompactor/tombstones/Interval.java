package io.tsdbcompactor.tombstones;

/** A deleted time range of a series, both ends inclusive (milliseconds), as Prometheus's tombstones hold it. */
public record Interval(long minT, long maxT) {

  public Interval {
    if (maxT < minT) {
      throw new IllegalArgumentException("interval max " + maxT + " before min " + minT);
    }
  }

  public boolean contains(long t) {
    return t >= minT && t <= maxT;
  }
}
