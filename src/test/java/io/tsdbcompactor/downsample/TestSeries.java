package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: samples written as "t:v t:v ...", as Thanos's test tables list them. */
final class TestSeries {
  static final double STALE = Double.longBitsToDouble(0x7ff0000000000002L);
  static final double NAN = Double.longBitsToDouble(0x7ff8000000000001L);

  private TestSeries() {}

  /** Parses "20:1 40:2 101:Stale 120:NaN" into parallel arrays. */
  static Samples parse(String s) {
    String[] parts = s.trim().isEmpty() ? new String[0] : s.trim().split("\\s+");
    Samples out = new Samples(parts.length);
    for (String p : parts) {
      int c = p.indexOf(':');
      long t = Long.parseLong(p.substring(0, c));
      String v = p.substring(c + 1);
      double d = v.equals("Stale") ? STALE : v.equals("NaN") ? NAN : Double.parseDouble(v);
      out.add(t, d);
    }
    return out;
  }

  /** Renders samples the way the tables write them; integral values without a fraction. */
  static String render(SampleIterator it) throws CorruptDataException {
    StringBuilder sb = new StringBuilder();
    while (it.next()) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(it.timestamp()).append(':').append(fmt(it.value()));
    }
    return sb.toString();
  }

  static String fmt(double v) {
    if (SeriesDownsampler.isStaleNaN(v)) {
      return "Stale";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  static Chunk xor(String samples) {
    Samples s = parse(samples);
    XorEncoder e = new XorEncoder();
    for (int i = 0; i < s.n; i++) {
      e.append(s.t[i], s.v[i]);
    }
    return e.toChunk();
  }

  /** An AggrChunk built from per-aggregate sample lists (null = absent), with its time span over all of them. */
  static ChunkMeta aggr(String count, String sum, String min, String max, String counter) {
    String[] all = {count, sum, min, max, counter};
    Chunk[] subs = new Chunk[5];
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    for (int i = 0; i < 5; i++) {
      if (all[i] == null) {
        continue;
      }
      subs[i] = xor(all[i]);
      Samples s = parse(all[i]);
      for (int j = 0; j < s.n; j++) {
        minT = Math.min(minT, s.t[j]);
        maxT = Math.max(maxT, s.t[j]);
      }
    }
    return new ChunkMeta(minT, maxT, 0, AggrChunk.encode(subs));
  }

  static String aggregate(ChunkMeta c, AggrType type) throws CorruptDataException {
    return render(AggrChunk.parse("test", c.chunk).iterator(type));
  }

  static List<AggrChunk> parsed(List<ChunkMeta> chunks) throws CorruptDataException {
    List<AggrChunk> out = new ArrayList<>();
    for (ChunkMeta c : chunks) {
      out.add(AggrChunk.parse("test", c.chunk));
    }
    return out;
  }

  static final class Samples implements SampleIterator {
    long[] t;
    double[] v;
    int n;
    private int pos = -1;

    Samples(int cap) {
      t = new long[Math.max(cap, 1)];
      v = new double[Math.max(cap, 1)];
    }

    void add(long ts, double val) {
      if (n == t.length) {
        t = java.util.Arrays.copyOf(t, n * 2);
        v = java.util.Arrays.copyOf(v, n * 2);
      }
      t[n] = ts;
      v[n] = val;
      n++;
    }

    @Override
    public boolean next() {
      if (pos + 1 >= n) {
        pos = n;
        return false;
      }
      pos++;
      return true;
    }

    @Override
    public long timestamp() {
      return t[pos];
    }

    @Override
    public double value() {
      return v[pos];
    }
  }
}
