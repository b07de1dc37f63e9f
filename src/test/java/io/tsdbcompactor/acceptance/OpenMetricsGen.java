package io.tsdbcompactor.acceptance;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Seeded OpenMetrics data for the acceptance tests, written independently of the project's code.
 *
 * <p>One {@link Import} is a set of series sampled over a time span, written as one OpenMetrics file per
 * {@code fileSpan} window so that {@code promtool tsdb create-blocks-from openmetrics} (which re-reads its whole
 * input once per 2h block) stays linear. A series' values depend only on (seed, series index, sample number),
 * so two imports with the same seed carry identical samples where they overlap in time.
 *
 * <p>Families: {@code http_requests_total} counters (with occasional resets), {@code node_temperature_celsius}
 * gauges (with NaN, +Inf and -Inf now and then), {@code job:queue_depth:max} integer gauges (recording-rule
 * style name). Label values include unicode, a quote, a backslash, a newline and a non-breaking space.
 */
public final class OpenMetricsGen {
  static final long H = 3_600_000L;
  static final long D = 24 * H;

  private static final String[] CITIES = {
    "Zürich", "東京", "São Paulo", "Ñandú\u00a0sur", "emoji-🙂", "quote\"d", "back\\slash", "new\nline", "plain"};
  private static final String[] METHODS = {"GET", "POST", "PUT"};
  private static final String[] CODES = {"200", "404", "500"};

  /**
   * One import: series {@code [firstSeries, firstSeries + numSeries)} sampled every {@code stepMs} (with up to
   * {@code jitterMs} of scrape jitter) over {@code [fromMs, toMs)}, leaving out {@code [gapFrom, gapTo)};
   * timestamps shifted by {@code offsetMs}.
   */
  public record Import(long seed, int firstSeries, int numSeries, long fromMs, long toMs, long gapFrom, long gapTo,
      long stepMs, long jitterMs, long offsetMs) {
    Import withoutGap() {
      return new Import(seed, firstSeries, numSeries, fromMs, toMs, 0, 0, stepMs, jitterMs, offsetMs);
    }
  }

  private OpenMetricsGen() {}

  /** Series {@code i}'s name and labels in OpenMetrics syntax, plus its kind (0 counter, 1 gauge, 2 int gauge). */
  static int kind(int i) {
    return i % 5 == 0 ? 1 : i % 7 == 1 ? 2 : 0;
  }

  static String seriesText(int i) {
    String inst = "host-" + (i / 9) + ":9100";
    String city = escape(CITIES[i % CITIES.length]);
    switch (kind(i)) {
      case 1:
        return "node_temperature_celsius{instance=\"" + inst + "\",sensor=\"" + city + "\"}";
      case 2:
        return "job:queue_depth:max{job=\"queue\",shard=\"" + i + "\",site=\"" + city + "\"}";
      default:
        return "http_requests_total{code=\"" + CODES[i % 3] + "\",handler=\"/" + city + "\",instance=\"" + inst
            + "\",method=\"" + METHODS[(i / 3) % 3] + "\"}";
    }
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** The sample stream of one series: deterministic in (seed, index). */
  private static final class SeriesState {
    final String text;
    final int kind;
    final SplittableRandom rnd;
    final long step;
    final long jitter;
    long k; // sample number
    double value;

    SeriesState(long seed, int index, long step, long jitter) {
      this.text = seriesText(index);
      this.kind = kind(index);
      this.rnd = new SplittableRandom(seed * 1_000_003L + index);
      this.step = step;
      this.jitter = jitter;
      this.value = kind == 1 ? 20 + rnd.nextInt(10) : rnd.nextInt(1000);
    }

    /** Timestamp of sample k (relative to the import's aligned origin). */
    long time(long origin) {
      return origin + k * step + (jitter > 0 ? Math.floorMod(k * 7919L + text.hashCode(), jitter) : 0);
    }

    /** Advances to the next sample's value; returns its text. */
    String nextValue() {
      k++;
      switch (kind) {
        case 1: {
          double r = rnd.nextDouble();
          value += rnd.nextDouble() - 0.5;
          if (r < 0.002) {
            return "NaN";
          } else if (r < 0.003) {
            return "+Inf";
          } else if (r < 0.004) {
            return "-Inf";
          }
          return String.format(Locale.ROOT, "%.2f", value);
        }
        case 2:
          value = rnd.nextInt(50);
          return Long.toString((long) value);
        default:
          if (rnd.nextDouble() < 0.003) {
            value = rnd.nextInt(5); // counter reset
          } else {
            value += rnd.nextInt(20);
          }
          return Long.toString((long) value);
      }
    }
  }

  /**
   * Writes the import as files {@code <dir>/<prefix>-NNN.om}, one per {@code fileSpan} window (aligned to the
   * epoch) holding samples; returns them.
   */
  public static List<Path> write(Import im, Path dir, String prefix, long fileSpan) throws IOException {
    Files.createDirectories(dir);
    long origin = Math.floorDiv(im.fromMs, im.stepMs) * im.stepMs; // all imports of one seed share phase
    origin = Math.floorMod(origin, D) == 0 ? origin : origin - Math.floorMod(origin, D);
    List<SeriesState> states = new ArrayList<>();
    for (int i = 0; i < im.numSeries; i++) {
      states.add(new SeriesState(im.seed, im.firstSeries + i, im.stepMs, im.jitterMs));
    }
    List<Path> files = new ArrayList<>();
    long w0 = Math.floorDiv(im.fromMs, fileSpan) * fileSpan;
    int n = 0;
    for (long w = w0; w < im.toMs; w += fileSpan) {
      long wEnd = w + fileSpan;
      Path f = dir.resolve(String.format(Locale.ROOT, "%s-%03d.om", prefix, n++));
      boolean any = false;
      try (BufferedWriter out = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
        int lastKind = -1;
        // Families must be contiguous in OpenMetrics: write kind by kind.
        for (int kind = 0; kind < 3; kind++) {
          for (SeriesState s : states) {
            if (s.kind != kind) {
              continue;
            }
            while (true) {
              long t = s.time(origin) + im.offsetMs;
              if (t >= wEnd || t >= im.toMs) {
                break;
              }
              String v = s.nextValue();
              if (t < im.fromMs || (t >= im.gapFrom && t < im.gapTo)) {
                continue;
              }
              if (lastKind != kind) {
                out.write(kind == 1 ? "# TYPE node_temperature_celsius gauge\n"
                    : kind == 2 ? "# TYPE job:queue_depth:max gauge\n" : "# TYPE http_requests counter\n");
                lastKind = kind;
              }
              out.write(s.text);
              out.write(' ');
              out.write(v);
              out.write(' ');
              out.write(Long.toString(t / 1000));
              out.write('.');
              out.write(String.format(Locale.ROOT, "%03d", t % 1000));
              out.write('\n');
              any = true;
            }
          }
        }
        out.write("# EOF\n");
      }
      if (any) {
        files.add(f);
      } else {
        Files.delete(f);
      }
    }
    return files;
  }
}
