package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.store.CorruptDataException;

/**
 * Per-window averages of an AggrChunk, sum / count, as Thanos's {@code AverageChunkIterator} serves
 * {@code avg_over_time} and plain queries on downsampled data. The two aggregates must have the same
 * timestamps; a mismatch is reported as corrupt data.
 */
public final class AverageIterator implements SampleIterator {
  private final String where;
  private final SampleIterator count;
  private final SampleIterator sum;
  private long t;
  private double v;

  public AverageIterator(AggrChunk chunk) throws CorruptDataException {
    this.where = chunk.where();
    this.count = chunk.iterator(AggrType.COUNT);
    this.sum = chunk.iterator(AggrType.SUM);
  }

  @Override
  public boolean next() throws CorruptDataException {
    boolean c = count.next();
    boolean s = sum.next();
    if (c != s) {
      throw new CorruptDataException(where, 0, "sum and count aggregates have different sample counts");
    }
    if (!c) {
      return false;
    }
    if (count.timestamp() != sum.timestamp()) {
      throw new CorruptDataException(where, 0, "sum and count timestamps not aligned: "
          + sum.timestamp() + " vs " + count.timestamp());
    }
    t = count.timestamp();
    v = sum.value() / count.value();
    return true;
  }

  @Override
  public long timestamp() {
    return t;
  }

  @Override
  public double value() {
    return v;
  }
}
