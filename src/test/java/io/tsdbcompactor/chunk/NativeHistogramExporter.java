package io.tsdbcompactor.chunk;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only scrape target for {@code testdata/make-histogram-testdata.sh}: serves native histograms in the
 * protobuf exposition format ({@code application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 * encoding=delimited}) so that a real Prometheus 2.42 ({@code --enable-feature=native-histograms}) writes
 * histogram and float-histogram chunks we can test the codecs against.
 *
 * <p>The messages are hand-encoded (no protobuf library in the build), field numbers from
 * {@code io/prometheus/client/metrics.proto}: MetricFamily{name=1, help=2, type=3, metric=4},
 * Metric{label=1, histogram=7}, LabelPair{name=1, value=2}, Histogram{sample_count=1, sample_sum=2,
 * sample_count_float=4, schema=5 (sint32), zero_threshold=6, zero_count=7, zero_count_float=8,
 * negative_span=9, negative_delta=10 (sint64), negative_count=11, positive_span=12, positive_delta=13,
 * positive_count=14}, BucketSpan{offset=1 (sint32), length=2}. Each family is length-delimited (uvarint).
 *
 * <p>The series evolve with the scrape number n so that every chunk-level event happens in the head: new
 * buckets appearing (recoding), a counter reset (a chunk with the CounterReset header), a schema change (a new
 * chunk), a gauge histogram whose buckets come and go, a float histogram, and a series that vanishes (stale
 * marker) and comes back. Usage: {@code NativeHistogramExporter <port-file>}: binds 127.0.0.1 on a free port,
 * writes the port to the file, serves {@code /metrics} and {@code /scrapes} (the number of scrapes served).
 * With a second argument {@code stable} it serves {@link #scrapeStable} instead.
 */
public final class NativeHistogramExporter {
  private final AtomicInteger scrapes = new AtomicInteger();
  private final Random rnd = new Random(42);
  private final TreeMap<Integer, Long> growPos = new TreeMap<>();
  private final TreeMap<Integer, Long> negPos = new TreeMap<>();
  private final TreeMap<Integer, Long> negNeg = new TreeMap<>();
  private final TreeMap<Integer, Double> floatPos = new TreeMap<>();
  private final TreeMap<Integer, Double> floatNeg = new TreeMap<>();
  private final TreeMap<Integer, Long> vanishPos = new TreeMap<>();
  private long growCount;
  private double growSum;
  private long growZero;
  private long negCount;
  private double negSum;
  private long negZero;
  private double floatCount;
  private double floatSum;
  private double floatZero;
  private long vanishCount;
  private double vanishSum;

  /** Fixed bucket layouts for every series (see {@link #scrapeStable}). */
  private boolean stable;

  public static void main(String[] args) throws IOException {
    NativeHistogramExporter e = new NativeHistogramExporter();
    e.stable = args.length > 1 && args[1].equals("stable");
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/metrics", ex -> {
      byte[] body;
      synchronized (e) {
        int n = e.scrapes.getAndIncrement();
        body = e.stable ? e.scrapeStable(n) : e.scrape(n);
      }
      ex.getResponseHeaders().set("Content-Type",
          "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    });
    server.createContext("/scrapes", ex -> {
      byte[] body = Integer.toString(e.scrapes.get()).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    });
    server.start();
    Path portFile = Path.of(args[0]);
    Files.writeString(portFile, Integer.toString(server.getAddress().getPort()));
  }

  /** Advances every series by one scrape and encodes the families. */
  byte[] scrape(int n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    // Counter histogram, schema 3, default zero threshold 2^-128: buckets appear over time; reset at 70.
    if (n == 70) {
      growPos.clear();
      growCount = 0;
      growSum = 0;
      growZero = 0;
    }
    int obs = 1 + rnd.nextInt(4);
    for (int i = 0; i < obs; i++) {
      double v = Math.exp(rnd.nextGaussian() * (0.3 + n / 60.0));
      int idx = (int) Math.ceil(Math.log(v) / Math.log(2) * 8);
      growPos.merge(idx, 1L, Long::sum);
      growCount++;
      growSum += v;
    }
    if (n % 9 == 0) {
      growZero++;
      growCount++;
    }
    writeFamily(out, "test_hist_growing", "Counter histogram whose buckets grow.", 4,
        intHistogram("kind", "growing", growCount, growSum, 3, 0x1p-128, growZero, growPos, new TreeMap<>()));

    // Counter histogram with negative buckets and a non-power-of-two zero threshold; schema 0 -> -1 at 50.
    int schema = n < 50 ? 0 : -1;
    if (n == 50) {
      // Same observations at half the resolution: no counter reset, only the schema changes.
      rebucket(negPos);
      rebucket(negNeg);
    }
    for (int i = 0; i < 3; i++) {
      double v = rnd.nextGaussian() * 20;
      if (Math.abs(v) <= 0.001) {
        negZero++;
      } else {
        int idx = bucketIndex(Math.abs(v), schema);
        (v > 0 ? negPos : negNeg).merge(idx, 1L, Long::sum);
      }
      negCount++;
      negSum += v;
    }
    writeFamily(out, "test_hist_neg", "Counter histogram with negative observations.", 4,
        intHistogram("kind", "neg", negCount, negSum, schema, 0.001, negZero, negPos, negNeg));

    // Gauge histogram: a fresh random shape every scrape, buckets come and go.
    TreeMap<Integer, Long> gPos = new TreeMap<>();
    int gn = 1 + rnd.nextInt(6);
    long gCount = 0;
    double gSum = 0;
    for (int i = 0; i < gn; i++) {
      int idx = rnd.nextInt(8) - 2;
      long c = 1 + rnd.nextInt(5);
      gPos.merge(idx, c, Long::sum);
      gCount += c;
      gSum += c * Math.pow(2, idx - 0.5);
    }
    writeFamily(out, "test_hist_gauge", "Gauge histogram.", 5,
        intHistogram("kind", "gauge", gCount, gSum, 0, 0x1p-10, 0, gPos, new TreeMap<>()));

    // Float counter histogram (sample_count_float set), schema 1, fractional counts.
    for (int i = 0; i < 2; i++) {
      double v = Math.exp(rnd.nextGaussian());
      double w = 0.25 + rnd.nextInt(8) * 0.125;
      int idx = bucketIndex(v, 1);
      (rnd.nextInt(5) == 0 ? floatNeg : floatPos).merge(idx, w, Double::sum);
      floatCount += w;
      floatSum += v * w;
    }
    if (n % 7 == 0) {
      floatZero += 0.5;
      floatCount += 0.5;
    }
    writeFamily(out, "test_fhist", "Float counter histogram.", 4,
        floatHistogram("kind", "float", floatCount, floatSum, 1, 0x1p-8, floatZero, floatPos, floatNeg));

    // A series that vanishes for scrapes 30..44 (Prometheus writes a stale marker) and comes back.
    if (n < 30 || n >= 45) {
      int idx = rnd.nextInt(3);
      vanishPos.merge(idx, 1L, Long::sum);
      vanishCount++;
      vanishSum += Math.pow(2, idx);
      writeFamily(out, "test_hist_vanish", "Histogram that disappears for a while.", 4,
          intHistogram("kind", "vanish", vanishCount, vanishSum, 0, 0x1p-128, 0, vanishPos, new TreeMap<>()));
    }
    return out.toByteArray();
  }

  private static void rebucket(TreeMap<Integer, Long> m) {
    TreeMap<Integer, Long> half = new TreeMap<>();
    m.forEach((k, v) -> half.merge(Math.floorDiv(k + 1, 2), v, Long::sum));
    m.clear();
    m.putAll(half);
  }

  private final long[] stableInt = new long[7];
  private final double[] stableFloat = new double[5];
  private long stableZero;

  /**
   * Series whose bucket layout never changes (every bucket exposed from the first scrape on, zeros included), for
   * two Prometheus replicas whose blocks Prometheus itself then compacts vertically: 2.42's compactor appends
   * merged histograms without checking their layout, so only equal layouts give it a well-defined result. The
   * integer histogram has a counter reset at scrape 100.
   */
  byte[] scrapeStable(int n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (n == 100) {
      java.util.Arrays.fill(stableInt, 0);
      stableZero = 0;
    }
    for (int i = 0; i < stableInt.length; i++) {
      stableInt[i] += rnd.nextInt(3);
    }
    stableZero += rnd.nextInt(2);
    TreeMap<Integer, Long> pos = new TreeMap<>();
    long count = stableZero;
    double sum = 0;
    int[] idx = {-3, -2, -1, 0, 3, 4, 5};
    for (int i = 0; i < idx.length; i++) {
      pos.put(idx[i], stableInt[i]);
      count += stableInt[i];
      sum += stableInt[i] * Math.pow(2, idx[i] / 4.0);
    }
    writeFamily(out, "test_stable_int", "Counter histogram with a fixed layout.", 4,
        intHistogram("kind", "int", count, sum, 2, 0x1p-128, stableZero, pos, new TreeMap<>()));
    TreeMap<Integer, Double> fpos = new TreeMap<>();
    TreeMap<Integer, Double> fneg = new TreeMap<>();
    double fcount = 0;
    for (int i = 0; i < stableFloat.length; i++) {
      stableFloat[i] += rnd.nextInt(4) * 0.25;
      fcount += stableFloat[i];
    }
    fpos.put(1, stableFloat[0]);
    fpos.put(2, stableFloat[1]);
    fpos.put(6, stableFloat[2]);
    fneg.put(0, stableFloat[3]);
    fneg.put(1, stableFloat[4]);
    writeFamily(out, "test_stable_float", "Float counter histogram with a fixed layout.", 4,
        floatHistogram("kind", "float", fcount + 0.125 * (n + 1), fcount * 1.5, 0, 0.01, 0.125 * (n + 1), fpos,
            fneg));
    return out.toByteArray();
  }

  /** Prometheus's bucket index for a positive value: upper bound 2^(idx * 2^-schema) inclusive. */
  static int bucketIndex(double v, int schema) {
    return (int) Math.ceil(Math.log(v) / Math.log(2) * Math.pow(2, schema));
  }

  private static void writeFamily(ByteArrayOutputStream out, String name, String help, int type, byte[] metric) {
    ByteArrayOutputStream mf = new ByteArrayOutputStream();
    string(mf, 1, name);
    string(mf, 2, help);
    tag(mf, 3, 0);
    uvarint(mf, type);
    bytes(mf, 4, metric);
    byte[] b = mf.toByteArray();
    uvarint(out, b.length);
    out.writeBytes(b);
  }

  private static byte[] intHistogram(String label, String value, long count, double sum, int schema, double zt,
      long zeroCount, TreeMap<Integer, Long> pos, TreeMap<Integer, Long> neg) {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    tag(h, 1, 0);
    uvarint(h, count);
    dbl(h, 2, sum);
    tag(h, 5, 0);
    uvarint(h, zigzag(schema));
    dbl(h, 6, zt);
    tag(h, 7, 0);
    uvarint(h, zeroCount);
    spansAndDeltas(h, 9, 10, neg);
    spansAndDeltas(h, 12, 13, pos);
    return metric(label, value, h.toByteArray());
  }

  private static byte[] floatHistogram(String label, String value, double count, double sum, int schema,
      double zt, double zeroCount, TreeMap<Integer, Double> pos, TreeMap<Integer, Double> neg) {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    dbl(h, 2, sum);
    dbl(h, 4, count);
    tag(h, 5, 0);
    uvarint(h, zigzag(schema));
    dbl(h, 6, zt);
    dbl(h, 8, zeroCount);
    spansAndCounts(h, 9, 11, neg);
    spansAndCounts(h, 12, 14, pos);
    return metric(label, value, h.toByteArray());
  }

  private static byte[] metric(String label, String value, byte[] histogram) {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    ByteArrayOutputStream lp = new ByteArrayOutputStream();
    string(lp, 1, label);
    string(lp, 2, value);
    bytes(m, 1, lp.toByteArray());
    bytes(m, 7, histogram);
    return m.toByteArray();
  }

  /** Spans over the sorted indices (a gap of one or two empty buckets is filled with zeros, as client_golang does). */
  private static void spansAndDeltas(ByteArrayOutputStream h, int spanField, int deltaField,
      TreeMap<Integer, Long> buckets) {
    if (buckets.isEmpty()) {
      return;
    }
    ByteArrayOutputStream deltas = new ByteArrayOutputStream();
    long prev = 0;
    int spanStart = 0;
    int spanLen = 0;
    int last = 0;
    boolean first = true;
    for (Map.Entry<Integer, Long> e : buckets.entrySet()) {
      int idx = e.getKey();
      if (!first && idx - last <= 3) {
        for (int fill = last + 1; fill < idx; fill++) {
          uvarint(deltas, zigzag(-prev));
          prev = 0;
          spanLen++;
        }
      } else {
        if (!first) {
          span(h, spanField, spanStart, spanLen);
          spanStart = idx - last - 1;
        } else {
          spanStart = idx;
        }
        spanLen = 0;
      }
      uvarint(deltas, zigzag(e.getValue() - prev));
      prev = e.getValue();
      spanLen++;
      last = idx;
      first = false;
    }
    span(h, spanField, spanStart, spanLen);
    bytes(h, deltaField, deltas.toByteArray());
  }

  private static void spansAndCounts(ByteArrayOutputStream h, int spanField, int countField,
      TreeMap<Integer, Double> buckets) {
    if (buckets.isEmpty()) {
      return;
    }
    ByteArrayOutputStream counts = new ByteArrayOutputStream();
    int spanStart = 0;
    int spanLen = 0;
    int last = 0;
    boolean first = true;
    for (Map.Entry<Integer, Double> e : buckets.entrySet()) {
      int idx = e.getKey();
      if (!first && idx - last <= 3) {
        for (int fill = last + 1; fill < idx; fill++) {
          rawDouble(counts, 0);
          spanLen++;
        }
      } else {
        if (!first) {
          span(h, spanField, spanStart, spanLen);
          spanStart = idx - last - 1;
        } else {
          spanStart = idx;
        }
        spanLen = 0;
      }
      rawDouble(counts, e.getValue());
      spanLen++;
      last = idx;
      first = false;
    }
    span(h, spanField, spanStart, spanLen);
    bytes(h, countField, counts.toByteArray());
  }

  private static void span(ByteArrayOutputStream h, int field, int offset, int length) {
    ByteArrayOutputStream s = new ByteArrayOutputStream();
    tag(s, 1, 0);
    uvarint(s, zigzag(offset));
    tag(s, 2, 0);
    uvarint(s, length);
    bytes(h, field, s.toByteArray());
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static void tag(ByteArrayOutputStream o, int field, int wireType) {
    uvarint(o, ((long) field << 3) | wireType);
  }

  private static void uvarint(ByteArrayOutputStream o, long v) {
    while ((v & ~0x7FL) != 0) {
      o.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    o.write((int) v);
  }

  private static void dbl(ByteArrayOutputStream o, int field, double v) {
    tag(o, field, 1);
    rawDouble(o, v);
  }

  private static void rawDouble(ByteArrayOutputStream o, double v) {
    long b = Double.doubleToRawLongBits(v);
    for (int i = 0; i < 8; i++) {
      o.write((int) (b >>> (8 * i)));
    }
  }

  private static void string(ByteArrayOutputStream o, int field, String s) {
    bytes(o, field, s.getBytes(StandardCharsets.UTF_8));
  }

  private static void bytes(ByteArrayOutputStream o, int field, byte[] b) {
    tag(o, field, 2);
    uvarint(o, b.length);
    o.writeBytes(b);
  }
}
