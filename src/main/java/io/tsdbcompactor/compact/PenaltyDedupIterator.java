package io.tsdbcompactor.compact;

import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.store.CorruptDataException;

/**
 * Thanos's penalty deduplication of two replicas of one series ({@code dedupSeriesIterator}, pkg/dedup/iter.go;
 * docs/thanos-compactor.md §4.7), for replicas that scrape the same target at slightly different times.
 *
 * <p>At each step both replicas are advanced to at least {@code lastT + 1 + penalty}; the one with the smaller
 * timestamp is taken (ties go to the first). The replica not taken gets a penalty of twice the gap since the last
 * emitted sample ({@value #INITIAL_PENALTY} ms before anything was emitted), so its near-duplicates are skipped
 * instead of doubling the sample rate; the one taken has its penalty cleared. When one replica runs out the
 * other continues alone. No counter adjustment: compaction uses Thanos's no-op adjuster.
 *
 * <p>More than two replicas chain: {@code dedup(dedup(r0, r1), r2)}, as Thanos folds them.
 */
public final class PenaltyDedupIterator implements SampleIterator {
  static final long INITIAL_PENALTY = 5000;

  private final Cursor a;
  private final Cursor b;
  private long lastT = Long.MIN_VALUE;
  private long penA;
  private long penB;
  private long t;
  private double v;

  public PenaltyDedupIterator(SampleIterator a, SampleIterator b) throws CorruptDataException {
    this.a = new Cursor(a);
    this.b = new Cursor(b);
  }

  /** Folds any number of replicas, first to last. */
  public static SampleIterator of(SampleIterator... replicas) throws CorruptDataException {
    SampleIterator it = replicas[0];
    for (int i = 1; i < replicas.length; i++) {
      it = new PenaltyDedupIterator(it, replicas[i]);
    }
    return it;
  }

  @Override
  public boolean next() throws CorruptDataException {
    if (a.ok) {
      a.seek(lastT + 1 + penA);
    }
    if (b.ok) {
      b.seek(lastT + 1 + penB);
    }
    if (!a.ok) {
      if (!b.ok) {
        return false;
      }
      take(b);
      penB = 0;
      return true;
    }
    if (!b.ok) {
      take(a);
      penA = 0;
      return true;
    }
    if (a.t <= b.t) {
      penB = lastT != Long.MIN_VALUE ? 2 * (a.t - lastT) : INITIAL_PENALTY;
      penA = 0;
      take(a);
    } else {
      penA = lastT != Long.MIN_VALUE ? 2 * (b.t - lastT) : INITIAL_PENALTY;
      penB = 0;
      take(b);
    }
    return true;
  }

  private void take(Cursor c) {
    lastT = c.t;
    t = c.t;
    v = c.v;
  }

  @Override
  public long timestamp() {
    return t;
  }

  @Override
  public double value() {
    return v;
  }

  /** One replica with its current sample, positioned at its first sample up front (as Thanos starts). */
  private static final class Cursor {
    final SampleIterator it;
    boolean ok;
    long t;
    double v;

    Cursor(SampleIterator it) throws CorruptDataException {
      this.it = it;
      advance();
    }

    void advance() throws CorruptDataException {
      ok = it.next();
      if (ok) {
        t = it.timestamp();
        v = it.value();
      }
    }

    /** Moves to the first sample at or after {@code target}; stays put if already there. */
    void seek(long target) throws CorruptDataException {
      while (ok && t < target) {
        advance();
      }
    }
  }
}
