package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.model.TimeOrDuration;
import java.time.Clock;

/**
 * {@code --min-time} and {@code --max-time}: the compactor only sees blocks that touch this window, as Thanos's
 * time-partition filter keeps a block iff {@code maxTime >= min && minTime <= max}. Thanos's defaults (year 0
 * to the end of year 9999) keep everything.
 */
public record TimeWindow(TimeOrDuration min, TimeOrDuration max) {
  public static final String DEFAULT_MIN = "0000-01-01T00:00:00Z";
  public static final String DEFAULT_MAX = "9999-12-31T23:59:59Z";
  public static final TimeWindow ALL =
      new TimeWindow(TimeOrDuration.parse(DEFAULT_MIN), TimeOrDuration.parse(DEFAULT_MAX));

  /** Whether the block is inside the window at the clock's time (relative bounds move with it). */
  public boolean keeps(BlockMeta m, Clock clock) {
    return m.maxTime >= min.millis(clock) && m.minTime <= max.millis(clock);
  }
}
