package io.tsdbcompactor.bucket;

import java.time.Duration;

/** Durations as Thanos's flags and configs write them: parsing "48h", "30m", "1h30m", "2d"; Go's String(). */
public final class GoDuration {
  private GoDuration() {}

  /** Parses Prometheus duration syntax (units y, w, d, h, m, s, ms, combined largest first; "0" is zero). */
  public static Duration parse(String s) {
    return YamlTree.parseDuration(s.trim(), "duration '" + s + "'");
  }

  /** Go's time.Duration.String() for a whole number of milliseconds: "0s", "1.5s", "5m0s", "2h0m0s". */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    if (ms < 0) {
      sb.append('-');
      ms = -ms;
    }
    if (ms < 1000) {
      return sb.append(ms).append("ms").toString();
    }
    long h = ms / 3_600_000;
    long m = ms / 60_000 % 60;
    long s = ms / 1000 % 60;
    long frac = ms % 1000;
    if (h > 0) {
      sb.append(h).append('h');
    }
    if (h > 0 || m > 0) {
      sb.append(m).append('m');
    }
    sb.append(s);
    if (frac > 0) {
      String f = String.format("%03d", frac);
      while (f.endsWith("0")) {
        f = f.substring(0, f.length() - 1);
      }
      sb.append('.').append(f);
    }
    return sb.append('s').toString();
  }
}
