package io.tsdbcompactor.downsample;

import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.ChunkSampleDecoder;
import io.tsdbcompactor.block.GoFormat;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.Histogram;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;

/**
 * Text form of downsampled data, for {@code tools block dump} on blocks whose resolution is not 0.
 *
 * <h2>Format (stable)</h2>
 * Series in index (label) order, chunks in index order; per AggrChunk:
 *
 * <pre>
 * {labels} counter_first=V T                                  the chunk's first raw counter value
 * {labels} count=N sum=S min=A max=B counter=C T              one line per window, T = window timestamp
 * ...
 * {labels} counter_last=V T                                   the chunk's last raw counter value
 * </pre>
 *
 * Labels are printed as promtool prints them ({@code {__name__="up", job="x"}}), values as Go's {@code %g}
 * (promtool's number format), timestamps in milliseconds. A window line lists the aggregates present at T in
 * the order count, sum, min, max, counter; absent aggregates are left out. The counter aggregate's first sample
 * and its final sample (the repeated last timestamp) are the raw values Thanos keeps so rate() is exact across
 * chunks; they get their own lines. A native-histogram AggrChunk has no min, max or raw counter values: it
 * prints one line per window, {@code count=N sum=H counter=H T}, each histogram H as Prometheus's
 * {@code FloatHistogram.String()} prints it, for example
 * {@code {count:3, sum:4.5, [-1,-0.5):1, [-0.001,0.001]:1, (0.5,1]:1}} ({@link #appendHistogram}).
 * Example, Thanos's test vector V1:
 *
 * <pre>
 * {__name__="a"} counter_first=1 20
 * {__name__="a"} count=4 sum=7 min=1 max=3 counter=4 99
 * {__name__="a"} count=3 sum=17 min=2 max=10 counter=13 199
 * {__name__="a"} count=1 sum=1 min=1 max=1 counter=14 250
 * {__name__="a"} counter_last=1 250
 * </pre>
 */
public final class AggrChunkDump {
  private static final int N = AggrType.values().length;

  private AggrChunkDump() {}

  /** Appends the lines of one AggrChunk of the series {@code labels}. */
  public static void appendChunk(StringBuilder out, Labels labels, Chunk chunk, String nameForErrors)
      throws CorruptDataException {
    AggrChunk a = AggrChunk.parse(nameForErrors, chunk);
    String prefix = GoFormat.labelsString(labels) + " ";
    if (a.isHistogram()) {
      appendHistogramChunk(out, prefix, a);
      return;
    }
    // A dump is not a hot path: decode each aggregate of the chunk into arrays, then merge by timestamp.
    long[][] ts = new long[N][];
    double[][] vs = new double[N][];
    int[] len = new int[N];
    for (AggrType type : AggrType.values()) {
      int i = type.ordinal();
      ts[i] = new long[16];
      vs[i] = new double[16];
      SampleIterator it = a.iterator(type);
      while (it.next()) {
        if (len[i] == ts[i].length) {
          ts[i] = java.util.Arrays.copyOf(ts[i], len[i] * 2);
          vs[i] = java.util.Arrays.copyOf(vs[i], len[i] * 2);
        }
        ts[i][len[i]] = it.timestamp();
        vs[i][len[i]] = it.value();
        len[i]++;
      }
    }
    int[] pos = new int[N];
    int[] end = len.clone();
    int c = AggrType.COUNTER.ordinal();
    // The counter's first and last samples are the raw values, not windows.
    if (len[c] > 0) {
      rawLine(out, prefix, "counter_first=", vs[c][0], ts[c][0]);
      pos[c] = 1;
      if (len[c] > 1) {
        end[c] = len[c] - 1;
      }
    }
    while (true) {
      long min = Long.MAX_VALUE;
      for (int i = 0; i < N; i++) {
        if (pos[i] < end[i] && ts[i][pos[i]] < min) {
          min = ts[i][pos[i]];
        }
      }
      if (min == Long.MAX_VALUE) {
        break;
      }
      out.append(prefix);
      boolean first = true;
      for (int i = 0; i < N; i++) {
        if (pos[i] < end[i] && ts[i][pos[i]] == min) {
          out.append(first ? "" : " ").append(AggrType.of(i).label()).append('=');
          GoFormat.appendFloat(out, vs[i][pos[i]]);
          pos[i]++;
          first = false;
        }
      }
      out.append(' ').append(min).append('\n');
    }
    if (len[c] > 1) {
      rawLine(out, prefix, "counter_last=", vs[c][len[c] - 1], ts[c][len[c] - 1]);
    }
  }

  /** Window lines of a native-histogram AggrChunk; its three aggregates share the window timestamps. */
  private static void appendHistogramChunk(StringBuilder out, String prefix, AggrChunk a) throws CorruptDataException {
    SampleIterator count = a.iterator(AggrType.COUNT);
    HistogramIterator sum = a.histogramIterator(AggrType.SUM);
    HistogramIterator counter = a.histogramIterator(AggrType.COUNTER);
    boolean moreSum = sum.next();
    boolean moreCounter = counter.next();
    boolean moreCount = count.next();
    while (moreCount || moreSum || moreCounter) {
      long t = Long.MAX_VALUE;
      if (moreCount) {
        t = count.timestamp();
      }
      if (moreSum) {
        t = Math.min(t, sum.timestamp());
      }
      if (moreCounter) {
        t = Math.min(t, counter.timestamp());
      }
      out.append(prefix);
      String sep = "";
      if (moreCount && count.timestamp() == t) {
        out.append("count=");
        GoFormat.appendFloat(out, count.value());
        sep = " ";
        moreCount = count.next();
      }
      if (moreSum && sum.timestamp() == t) {
        out.append(sep).append("sum=");
        appendHistogram(out, sum.histogram());
        sep = " ";
        moreSum = sum.next();
      }
      if (moreCounter && counter.timestamp() == t) {
        out.append(sep).append("counter=");
        appendHistogram(out, counter.histogram());
        moreCounter = counter.next();
      }
      out.append(' ').append(t).append('\n');
    }
  }

  /**
   * A histogram as Prometheus's {@code FloatHistogram.String()} prints it: {@code {count:C, sum:S, buckets...}},
   * negative buckets from the most negative as {@code [-upper,-lower):n}, the zero bucket as
   * {@code [-zt,zt]:n} when it holds anything, positive buckets as {@code (lower,upper]:n}; empty buckets are left
   * out; numbers in Go's {@code %g}.
   */
  static void appendHistogram(StringBuilder out, Histogram h) {
    out.append("{count:");
    GoFormat.appendFloat(out, h.isFloat ? h.floatCount : (double) h.count);
    out.append(", sum:");
    GoFormat.appendFloat(out, h.sum);
    int[] idx = indices(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount, h.negBucketCount);
    for (int k = idx.length - 1; k >= 0; k--) {
      double c = h.negBucket(k);
      if (c != 0) {
        out.append(", [-");
        GoFormat.appendFloat(out, bound(idx[k], h.schema));
        out.append(",-");
        GoFormat.appendFloat(out, bound(idx[k] - 1, h.schema));
        out.append("):");
        GoFormat.appendFloat(out, c);
      }
    }
    double zero = h.isFloat ? h.floatZeroCount : (double) h.zeroCount;
    if (zero != 0) {
      out.append(", [-");
      GoFormat.appendFloat(out, h.zeroThreshold);
      out.append(',');
      GoFormat.appendFloat(out, h.zeroThreshold);
      out.append("]:");
      GoFormat.appendFloat(out, zero);
    }
    idx = indices(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount, h.posBucketCount);
    for (int k = 0; k < idx.length; k++) {
      double c = h.posBucket(k);
      if (c != 0) {
        out.append(", (");
        GoFormat.appendFloat(out, bound(idx[k] - 1, h.schema));
        out.append(',');
        GoFormat.appendFloat(out, bound(idx[k], h.schema));
        out.append("]:");
        GoFormat.appendFloat(out, c);
      }
    }
    out.append('}');
  }

  private static int[] indices(int[] off, int[] len, int spans, int buckets) {
    int[] idx = new int[buckets];
    int k = 0;
    int at = 0;
    for (int s = 0; s < spans; s++) {
      at += off[s];
      for (int j = 0; j < len[s]; j++) {
        idx[k++] = at++;
      }
    }
    return idx;
  }

  private static double bound(int idx, int schema) {
    return Math.pow(2, idx * Math.pow(2, -schema));
  }

  private static void rawLine(StringBuilder out, String prefix, String key, double v, long t) {
    out.append(prefix).append(key);
    GoFormat.appendFloat(out, v);
    out.append(' ').append(t).append('\n');
  }

  /** The lines of one AggrChunk as a string. */
  public static String format(Labels labels, Chunk chunk, String nameForErrors) throws CorruptDataException {
    StringBuilder sb = new StringBuilder();
    appendChunk(sb, labels, chunk, nameForErrors);
    return sb.toString();
  }

  /**
   * Dumps every series of a downsampled block in this format to {@code out}, chunks whose windows fall in
   * [minT, maxT] only. Memory: one series' chunks at a time.
   */
  public static void dump(BlockReader block, long minT, long maxT, Appendable out) throws IOException {
    BlockReader.Series s = block.series();
    StringBuilder sb = new StringBuilder(4096);
    while (s.next()) {
      for (ChunkMeta m : s.chunkMetas()) {
        if (m.maxTime < minT || m.minTime > maxT) {
          continue;
        }
        Chunk c = block.readChunk(m.ref);
        String where = block.name() + "/" + ChunkRef.segmentFileName(ChunkRef.segmentIndex(m.ref)) + " ref "
            + ChunkRef.toString(m.ref);
        if (c.encoding() != ChunkEncoding.AGGR) {
          throw new CorruptDataException(where, 0, "expected an aggregate chunk (0xff) in a downsampled block,"
              + " found encoding " + ChunkEncoding.name(c.encoding()));
        }
        appendChunk(sb, s.labels(), c, where);
      }
      out.append(sb);
      sb.setLength(0);
    }
  }

  /**
   * A decoder for {@code BlockDumper.withDecoder(0xff, ...)}: the samples of one aggregate, so the promtool
   * format ({@code {labels} VALUE TIMESTAMP}) can print e.g. the averages or counts of a downsampled block.
   */
  public static ChunkSampleDecoder decoder(AggrType type) {
    return (name, chunk) -> AggrChunk.parse(name, chunk).iterator(type);
  }

  /** A decoder yielding per-window averages (sum / count), what Thanos serves for plain queries. */
  public static ChunkSampleDecoder averageDecoder() {
    return (name, chunk) -> new AverageIterator(AggrChunk.parse(name, chunk));
  }
}
