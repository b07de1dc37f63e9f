package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;

/**
 * A forward-only cursor over float samples in timestamp order, the boundary between chunk codecs, merges,
 * deduplication and downsampling. Primitive on purpose: no boxing, no per-sample allocation.
 *
 * <p>Usage: {@code while (it.next()) { use(it.timestamp(), it.value()); }}. {@link #timestamp()} and
 * {@link #value()} are only defined after {@code next()} returned true, and stay valid until the following call
 * to {@code next()}. Values are raw IEEE-754 doubles: NaN payloads (Prometheus's stale marker
 * {@code 0x7ff0000000000002}) survive; compare them with {@link Double#doubleToRawLongBits}.
 */
public interface SampleIterator {

  /** Advances to the next sample; false once the samples are exhausted (and on every later call). */
  boolean next() throws CorruptDataException;

  /** Timestamp of the current sample, milliseconds since the epoch. */
  long timestamp();

  /** Value of the current sample. */
  double value();
}
