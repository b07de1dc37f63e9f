package io.tsdbcompactor.acceptance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recomputes Thanos's 5m aggregates from raw samples, independently of the downsample package, and compares them
 * with {@code tools block dump} of a downsampled block.
 *
 * <p>Raw samples come from {@code promtool tsdb dump}. The downsampled dump has, per output chunk,
 * {@code counter_first=V T}, then one window line {@code count= sum= min= max= counter= T}, then
 * {@code counter_last=V T}. Thanos stamps a window with its last millisecond, except the last window of a chunk,
 * stamped with that chunk's last sample time; either way T lies in the window, so the window is {@code T / res}.
 * NaN samples are left out of every aggregate; the counter aggregate is the reset-corrected running sum over the
 * chunk, starting at the chunk's first raw value.
 */
final class AggregateCheck {
  /** Raw samples of one series in time order. */
  static final class Series {
    long[] t = new long[64];
    double[] v = new double[64];
    int n;

    void add(long ts, double val) {
      if (n == t.length) {
        t = Arrays.copyOf(t, n * 2);
        v = Arrays.copyOf(v, n * 2);
      }
      t[n] = ts;
      v[n++] = val;
    }
  }

  private AggregateCheck() {}

  static double parseGo(String s) {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        return Double.parseDouble(s);
    }
  }

  /** Parses a promtool dump (series grouped, time-ordered) into label text -> samples. */
  static Map<String, Series> parseRaw(String dump) throws IOException {
    Map<String, Series> out = new LinkedHashMap<>();
    BufferedReader r = new BufferedReader(new StringReader(dump));
    String line;
    while ((line = r.readLine()) != null) {
      int b = line.lastIndexOf('}');
      String[] rest = line.substring(b + 2).split(" ");
      out.computeIfAbsent(line.substring(0, b + 1), k -> new Series()).add(Long.parseLong(rest[1]), parseGo(rest[0]));
    }
    return out;
  }

  private static boolean same(double a, double b) {
    return Double.compare(a, b) == 0 || (Double.isNaN(a) && Double.isNaN(b));
  }

  /**
   * Compares; returns a list of problems (empty when everything matches). Every non-NaN raw sample in
   * [minTime, maxTime) must be covered by exactly one window.
   */
  static List<String> compare(Map<String, Series> raw, String aggrDump, long res, long minTime, long maxTime)
      throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, int[]> pos = new HashMap<>(); // series -> next raw index
    Map<String, double[]> state = new HashMap<>(); // counter, last
    Map<String, long[]> lastWindow = new HashMap<>(); // windows never split across chunks
    BufferedReader r = new BufferedReader(new StringReader(aggrDump));
    String line;
    int lines = 0;
    while ((line = r.readLine()) != null && problems.size() < 20) {
      lines++;
      int b = line.lastIndexOf('}');
      String lbl = line.substring(0, b + 1);
      String[] tok = line.substring(b + 2).split(" ");
      long ts = Long.parseLong(tok[tok.length - 1]);
      Series s = raw.get(lbl);
      if (s == null) {
        problems.add("series not in raw input: " + lbl);
        continue;
      }
      int[] p = pos.computeIfAbsent(lbl, k -> new int[] {skip(s, 0, minTime)});
      double[] st = state.computeIfAbsent(lbl, k -> new double[2]);
      if (tok[0].startsWith("counter_first=")) {
        p[0] = skipNaN(s, p[0]);
        if (p[0] >= s.n || s.t[p[0]] != ts || !same(s.v[p[0]], parseGo(tok[0].substring(14)))) {
          problems.add(lbl + " " + line.substring(b + 2) + ": chunk's first raw sample is "
              + (p[0] < s.n ? s.v[p[0]] + " " + s.t[p[0]] : "none"));
        }
        st[0] = Double.NaN; // marks "no sample yet in this chunk"
        st[1] = Double.NaN;
        continue;
      }
      if (tok[0].startsWith("counter_last=")) {
        int last = p[0] - 1;
        while (last >= 0 && Double.isNaN(s.v[last])) {
          last--;
        }
        if (last < 0 || !same(s.v[last], parseGo(tok[0].substring(13)))) {
          problems.add(lbl + " " + line.substring(b + 2) + ": chunk's last raw sample is "
              + (last >= 0 ? s.v[last] + " " + s.t[last] : "none"));
        }
        continue;
      }
      long window = Math.floorDiv(ts, res);
      long[] prev = lastWindow.computeIfAbsent(lbl, k -> new long[] {Long.MIN_VALUE});
      if (window <= prev[0]) {
        problems.add(lbl + " " + line.substring(b + 2) + ": window " + window * res + " printed twice or out of order");
      }
      prev[0] = window;
      long count = 0;
      double sum = 0;
      double min = Double.MAX_VALUE;
      double max = -Double.MAX_VALUE;
      while (p[0] < s.n && s.t[p[0]] < maxTime && Math.floorDiv(s.t[p[0]], res) == window && s.t[p[0]] <= ts) {
        double v = s.v[p[0]++];
        if (Double.isNaN(v)) {
          continue;
        }
        if (Double.isNaN(st[1])) { // the chunk's first sample
          st[0] = v;
        } else if (v < st[1]) {
          st[0] += v;
        } else {
          st[0] += v - st[1];
        }
        st[1] = v;
        count++;
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      double[] want = {count, sum, min, max, st[0]};
      String[] names = {"count=", "sum=", "min=", "max=", "counter="};
      for (int i = 0; i < tok.length - 1; i++) {
        int k = Arrays.asList(names).indexOf(tok[i].substring(0, tok[i].indexOf('=') + 1));
        if (k < 0 || !same(want[k], parseGo(tok[i].substring(names[k].length())))) {
          problems.add(lbl + " " + line.substring(b + 2) + ": expected count=" + count + " sum=" + sum + " min="
              + min + " max=" + max + " counter=" + st[0]);
          break;
        }
      }
      if (tok.length != 6) {
        problems.add(lbl + " " + line.substring(b + 2) + ": expected all five aggregates");
      }
    }
    if (lines == 0) {
      problems.add("empty aggregate dump");
    }
    for (Map.Entry<String, Series> e : raw.entrySet()) {
      Series s = e.getValue();
      int from = skip(s, 0, minTime);
      int to = skip(s, from, maxTime);
      int[] p = pos.get(e.getKey());
      boolean anyReal = false;
      for (int i = from; i < to; i++) {
        anyReal |= !Double.isNaN(s.v[i]);
      }
      if (anyReal && (p == null || skipNaN(s, p[0]) < to) && problems.size() < 40) {
        problems.add(e.getKey() + ": raw samples not covered by any window, from "
            + (p == null ? "the start" : Long.toString(s.t[skipNaN(s, p[0])])));
      }
    }
    return problems;
  }

  private static int skip(Series s, int from, long t) {
    int i = from;
    while (i < s.n && s.t[i] < t) {
      i++;
    }
    return i;
  }

  private static int skipNaN(Series s, int from) {
    int i = from;
    while (i < s.n && Double.isNaN(s.v[i])) {
      i++;
    }
    return i;
  }

  /**
   * For blocks downsampled from 5m blocks (1h): per series and window, the count, min and max equal those of the
   * raw samples (NaN left out) of that window, the sum equals theirs up to rounding (the 1h sum adds 5m sums);
   * every raw sample in [minTime, maxTime) is in some window. Thanos aggregates 5m chunks in runs along input
   * chunk boundaries, so a window may be split over two consecutive output chunks (the first part stamped with
   * its last 5m timestamp); its parts are added up. Within one chunk a window appears once.
   */
  static List<String> compareCoarse(Map<String, Series> raw, String aggrDump, long res, long minTime, long maxTime)
      throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, Map<Long, double[]>> want = new HashMap<>(); // series -> window -> count, sum, min, max
    for (Map.Entry<String, Series> e : raw.entrySet()) {
      Series s = e.getValue();
      Map<Long, double[]> w = new HashMap<>();
      for (int i = 0; i < s.n; i++) {
        if (s.t[i] >= minTime && s.t[i] < maxTime && !Double.isNaN(s.v[i])) {
          add(w.computeIfAbsent(Math.floorDiv(s.t[i], res), k -> empty()), 1, s.v[i], s.v[i], s.v[i]);
        }
      }
      if (!w.isEmpty()) {
        want.put(e.getKey(), w);
      }
    }
    Map<String, Map<Long, double[]>> got = new HashMap<>();
    Map<String, long[]> last = new HashMap<>(); // series -> last window, and 1 if a chunk started since
    BufferedReader r = new BufferedReader(new StringReader(aggrDump));
    String line;
    while ((line = r.readLine()) != null && problems.size() < 20) {
      int b = line.lastIndexOf('}');
      String lbl = line.substring(0, b + 1);
      String[] tok = line.substring(b + 2).split(" ");
      long[] prev = last.computeIfAbsent(lbl, k -> new long[] {Long.MIN_VALUE, 1});
      if (tok[0].startsWith("counter_first=")) {
        prev[1] = 1;
        continue;
      }
      if (!tok[0].startsWith("count=")) {
        continue;
      }
      long window = Math.floorDiv(Long.parseLong(tok[tok.length - 1]), res);
      if (window < prev[0] || (window == prev[0] && prev[1] == 0)) {
        problems.add(lbl + " " + line.substring(b + 2) + ": window out of order or repeated within a chunk");
      }
      prev[0] = window;
      prev[1] = 0;
      add(got.computeIfAbsent(lbl, k -> new HashMap<>()).computeIfAbsent(window, k -> empty()),
          parseGo(tok[0].substring(6)), parseGo(tok[1].substring(4)), parseGo(tok[2].substring(4)),
          parseGo(tok[3].substring(4)));
    }
    for (Map.Entry<String, Map<Long, double[]>> e : want.entrySet()) {
      Map<Long, double[]> g = got.getOrDefault(e.getKey(), Map.of());
      for (Map.Entry<Long, double[]> w : e.getValue().entrySet()) {
        double[] a = w.getValue();
        double[] h = g.get(w.getKey());
        boolean ok = h != null && same(h[0], a[0]) && same(h[2], a[2]) && same(h[3], a[3])
            && (same(h[1], a[1]) || Math.abs(h[1] - a[1]) <= 1e-9 * Math.max(1, Math.abs(a[1])));
        if (!ok && problems.size() < 40) {
          problems.add(e.getKey() + " window " + w.getKey() * res + ": got " + (h == null ? "nothing"
              : "count=" + h[0] + " sum=" + h[1] + " min=" + h[2] + " max=" + h[3]) + ", raw samples give count="
              + a[0] + " sum=" + a[1] + " min=" + a[2] + " max=" + a[3]);
        }
      }
      if (g.size() > e.getValue().size() && problems.size() < 40) {
        problems.add(e.getKey() + ": windows without raw samples");
      }
    }
    for (String lbl : got.keySet()) {
      if (!want.containsKey(lbl)) {
        problems.add(lbl + ": not in the raw input");
      }
    }
    return problems;
  }

  private static double[] empty() {
    return new double[] {0, 0, Double.MAX_VALUE, -Double.MAX_VALUE};
  }

  private static void add(double[] a, double count, double sum, double min, double max) {
    a[0] += count;
    a[1] += sum;
    a[2] = Math.min(a[2], min);
    a[3] = Math.max(a[3], max);
  }
}
