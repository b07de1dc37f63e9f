package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.List;

/**
 * Thanos's {@code ApplyCounterResetsSeriesIterator}: turns the counter aggregates of consecutive chunks (or raw
 * counter chunks) into one monotonically increasing series whose differences are the true increases, which is
 * what rate() and increase() need from downsampled data.
 *
 * <p>Each counter aggregate starts with the chunk's first raw value and ends with its last raw value repeated
 * at the timestamp of the final window. A sample at the same timestamp as the previous one is therefore not
 * emitted: it only records the true last raw value, against which the next chunk's first value is compared to
 * detect a reset that happened between the chunks. Rules, per sample:
 *
 * <ul>
 *   <li>NaN values (including stale markers) are skipped;
 *   <li>the first sample starts the total at its value;
 *   <li>a later timestamp adds {@code v - last} to the total, or {@code v} when {@code v < last} (a reset);
 *   <li>an equal timestamp only replaces {@code last}; an earlier one is ignored.
 * </ul>
 *
 * {@link #lastRawValue()} is the last raw value seen, which the 5m → 1h downsampler stores at the end of its
 * counter aggregate.
 */
public final class CounterResetIterator implements SampleIterator {
  private final SampleIterator[] chunks;
  private int i;
  private boolean started;
  private long lastT;
  private double lastV;
  private double totalV;

  public CounterResetIterator(List<? extends SampleIterator> chunks) {
    this.chunks = chunks.toArray(new SampleIterator[0]);
  }

  public CounterResetIterator(SampleIterator... chunks) {
    this.chunks = chunks.clone();
  }

  @Override
  public boolean next() throws CorruptDataException {
    while (i < chunks.length) {
      SampleIterator it = chunks[i];
      if (!it.next()) {
        // Moving on to the next chunk; the timestamp rules below keep the series from going back in time,
        // which is what Thanos's Seek(lastT + 1) achieves.
        i++;
        continue;
      }
      long t = it.timestamp();
      double v = it.value();
      if (Double.isNaN(v)) {
        continue;
      }
      if (!started) {
        started = true;
        lastT = t;
        lastV = v;
        totalV = v;
        return true;
      }
      if (t > lastT) {
        totalV += v >= lastV ? v - lastV : v;
        lastT = t;
        lastV = v;
        return true;
      }
      if (t == lastT) {
        lastV = v;
      }
    }
    return false;
  }

  @Override
  public long timestamp() {
    return lastT;
  }

  /** The reset-corrected running total. */
  @Override
  public double value() {
    return totalV;
  }

  /** The last raw counter value seen (not reset-corrected). */
  public double lastRawValue() {
    return lastV;
  }
}
