package io.tsdbcompactor.model;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import picocli.CommandLine;

/**
 * The value of {@code --min-time} and {@code --max-time} as Thanos reads it (its {@code TimeOrDurationValue}):
 * an RFC 3339 time ({@code 2024-01-01T00:00:00Z}), or a Prometheus duration relative to now, with an optional
 * leading minus ({@code -2w} is two weeks ago, {@code 1d} a day ahead). A relative value is resolved against
 * the clock each time it is used, so a {@code --wait} process moves its window along.
 */
public final class TimeOrDuration {
  private final Instant time;
  private final Duration offset;
  private final String text;

  private TimeOrDuration(Instant time, Duration offset, String text) {
    this.time = time;
    this.offset = offset;
    this.text = text;
  }

  /** Parses a flag value; {@link IllegalArgumentException} naming the text when it is neither form. */
  public static TimeOrDuration parse(String text) {
    try {
      return new TimeOrDuration(OffsetDateTime.parse(text).toInstant(), null, text);
    } catch (DateTimeParseException notATime) {
      // a relative duration, then
    }
    boolean minus = text.startsWith("-");
    try {
      Duration d = PromDuration.parse(minus ? text.substring(1) : text);
      return new TimeOrDuration(null, minus ? d.negated() : d, text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is neither an RFC 3339 time (2024-01-31T00:00:00Z) nor a "
          + "duration relative to now (-2w, -36h)");
    }
  }

  /** The time in Unix milliseconds: the fixed time, or now plus the offset. */
  public long millis(Clock clock) {
    return time != null ? time.toEpochMilli() : clock.millis() + offset.toMillis();
  }

  /** Whether the value is relative to now. */
  public boolean relative() {
    return time == null;
  }

  @Override
  public String toString() {
    return text;
  }

  /** picocli converter. */
  public static final class Converter implements CommandLine.ITypeConverter<TimeOrDuration> {
    @Override
    public TimeOrDuration convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
