package io.tsdbcompactor.job;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test's "now": starts at a fixed instant and moves one second on at every reading, so marks written in a run
 * are past a zero delete delay at its end; {@link #set} moves it to a later run's start. Shared by the run and by
 * a bucket that dates its objects, so both see the same time.
 */
public final class TickingClock extends Clock {
  private final AtomicLong millis;

  public TickingClock(long startMillis) {
    this.millis = new AtomicLong(startMillis);
  }

  /** The next reading is one second after {@code startMillis}. */
  public void set(long startMillis) {
    millis.set(startMillis);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.addAndGet(1000));
  }
}
