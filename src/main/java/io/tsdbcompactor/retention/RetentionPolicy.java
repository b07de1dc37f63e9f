package io.tsdbcompactor.retention;

import io.tsdbcompactor.model.PromDuration;
import java.time.Duration;

/**
 * How long blocks of each resolution are kept, as {@code --retention.resolution-raw|5m|1h} say; a zero
 * duration keeps blocks of that resolution forever (Thanos's default for all three).
 */
public record RetentionPolicy(Duration raw, Duration fiveMinutes, Duration oneHour) {
  public static final long RES_RAW = 0;
  public static final long RES_5M = 300_000;
  public static final long RES_1H = 3_600_000;

  public static final RetentionPolicy KEEP_FOREVER = new RetentionPolicy(Duration.ZERO, Duration.ZERO, Duration.ZERO);

  public RetentionPolicy {
    for (Duration d : new Duration[] {raw, fiveMinutes, oneHour}) {
      if (d == null || d.isNegative()) {
        throw new IllegalArgumentException("retention must be zero (keep forever) or positive, got " + d);
      }
    }
  }

  /** The retention for blocks of {@code resolution} ms; zero (keep forever) for a resolution Thanos does not know. */
  public Duration forResolution(long resolution) {
    if (resolution == RES_RAW) {
      return raw;
    } else if (resolution == RES_5M) {
      return fiveMinutes;
    } else if (resolution == RES_1H) {
      return oneHour;
    }
    return Duration.ZERO;
  }

  /**
   * Whether a block of {@code resolution} ending at {@code maxTime} (exclusive ms) has passed its retention at
   * {@code nowMillis}. As Thanos does, the block's end is truncated to whole seconds and the block expires only
   * strictly after end + retention, so a block goes only once all of it is older than the retention.
   */
  public boolean expired(long resolution, long maxTime, long nowMillis) {
    Duration keep = forResolution(resolution);
    if (keep.isZero()) {
      return false;
    }
    long endSeconds = Math.floorDiv(maxTime, 1000L);
    return nowMillis > endSeconds * 1000L + keep.toMillis();
  }

  /** The text Thanos writes as the deletion mark's details, e.g. {@code block exceeding retention of 12w6d}. */
  public String deletionDetails(long resolution) {
    return "block exceeding retention of " + PromDuration.format(forResolution(resolution));
  }

  @Override
  public String toString() {
    return "raw=" + PromDuration.format(raw) + " 5m=" + PromDuration.format(fiveMinutes) + " 1h=" + PromDuration.format(oneHour);
  }
}
