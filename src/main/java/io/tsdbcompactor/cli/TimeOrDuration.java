package io.tsdbcompactor.cli;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Thanos's time flags ({@code --min-time}, {@code --max-time}): an RFC 3339 time, or a duration relative to now
 * such as {@code -1d} or {@code 2h45m} (units ms, s, m, h, d, w, y as Prometheus's durations; y = 365d). The
 * relative form is resolved against the command's clock when the command runs.
 */
record TimeOrDuration(Instant absolute, long relativeMillis) {
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w|y)");

  static TimeOrDuration parse(String text) {
    String s = text.strip();
    try {
      return new TimeOrDuration(Instant.parse(s), 0);
    } catch (DateTimeParseException notAbsolute) {
      boolean negative = s.startsWith("-");
      String d = negative ? s.substring(1) : s;
      Matcher m = PART.matcher(d);
      long millis = 0;
      int at = 0;
      while (at < d.length() && m.find(at) && m.start() == at) {
        long n = Long.parseLong(m.group(1));
        millis += n * switch (m.group(2)) {
          case "ms" -> 1L;
          case "s" -> 1_000L;
          case "m" -> 60_000L;
          case "h" -> 3_600_000L;
          case "d" -> 86_400_000L;
          case "w" -> 7 * 86_400_000L;
          default -> 365 * 86_400_000L;
        };
        at = m.end();
      }
      if (d.isEmpty() || at != d.length()) {
        throw new IllegalArgumentException("'" + text + "' is neither an RFC 3339 time nor a duration like -1d or 2h45m");
      }
      return new TimeOrDuration(null, negative ? -millis : millis);
    }
  }

  long toEpochMillis(Clock clock) {
    return absolute != null ? absolute.toEpochMilli() : clock.millis() + relativeMillis;
  }

  /** picocli converter. */
  static final class Converter implements picocli.CommandLine.ITypeConverter<TimeOrDuration> {
    @Override
    public TimeOrDuration convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
