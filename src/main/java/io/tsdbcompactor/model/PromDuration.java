package io.tsdbcompactor.model;

import java.time.Duration;

/**
 * Prometheus's {@code model.Duration} syntax, which every duration flag of {@code thanos compact} takes:
 * one or more {@code <integer><unit>} terms with units {@code y w d h m s ms} in that order, each at most
 * once ({@code 1h30m}, {@code 3d}, {@code 2w}); {@code y} is 365 days, {@code w} 7 days. A lone {@code 0}
 * is zero. No fractions, no signs, no spaces. Formatting is the inverse: largest units first, {@code 0s} for
 * zero, so {@code parse(format(d)) == d}.
 */
public final class PromDuration {
  private static final String[] UNITS = {"y", "w", "d", "h", "m", "s", "ms"};
  private static final long[] UNIT_MS = {
    365L * 24 * 3600 * 1000, 7L * 24 * 3600 * 1000, 24L * 3600 * 1000, 3600L * 1000, 60L * 1000, 1000L, 1L
  };

  private PromDuration() {}

  /** Parses a duration; {@link IllegalArgumentException} naming the text when it is not one. */
  public static Duration parse(String text) {
    return Duration.ofMillis(parseMillis(text));
  }

  /** Parses a duration into milliseconds. */
  public static long parseMillis(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty duration string");
    }
    if (text.equals("0")) {
      return 0;
    }
    long total = 0;
    int pos = 0;
    int nextUnit = 0; // units must appear in descending order, each once
    while (pos < text.length()) {
      int start = pos;
      while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
        pos++;
      }
      if (pos == start) {
        throw invalid(text);
      }
      String digits = text.substring(start, pos);
      int unitStart = pos;
      while (pos < text.length() && Character.isLetter(text.charAt(pos))) {
        pos++;
      }
      String unit = text.substring(unitStart, pos);
      // "m" followed by "s" is the unit "ms", never minutes then seconds without digits.
      int u = -1;
      for (int i = nextUnit; i < UNITS.length; i++) {
        if (UNITS[i].equals(unit)) {
          u = i;
          break;
        }
      }
      if (u < 0) {
        throw invalid(text);
      }
      nextUnit = u + 1;
      long n;
      try {
        n = Long.parseLong(digits);
        total = Math.addExact(total, Math.multiplyExact(n, UNIT_MS[u]));
      } catch (NumberFormatException | ArithmeticException e) {
        throw new IllegalArgumentException("duration out of range: \"" + text + "\"");
      }
    }
    return total;
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "not a valid duration string: \"" + text + "\" (expected e.g. 30m, 48h, 3d, 2w, 1y or 1h30m)");
  }

  /** Formats as Prometheus does: {@code 0s}, {@code 3d}, {@code 1h30m}, {@code 1y2w}. */
  public static String format(Duration d) {
    return formatMillis(d.toMillis());
  }

  public static String formatMillis(long ms) {
    if (ms == 0) {
      return "0s";
    }
    if (ms < 0) {
      return "-" + formatMillis(-ms);
    }
    StringBuilder sb = new StringBuilder();
    long rest = ms;
    for (int i = 0; i < UNITS.length; i++) {
      long n = rest / UNIT_MS[i];
      if (n > 0) {
        sb.append(n).append(UNITS[i]);
        rest -= n * UNIT_MS[i];
      }
    }
    return sb.toString();
  }
}
