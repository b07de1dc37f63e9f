package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.Histogram;
import io.tsdbcompactor.chunk.HistogramEncoder;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.HistogramMath;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.Arrays;
import java.util.List;

/**
 * The native-histogram half of {@link SeriesDownsampler}: Thanos's {@code downsampleHistogramBatch},
 * {@code histogramAggregator} and {@code downsampleHistogramAggrBatch} (docs/thanos-compactor.md §5.8).
 *
 * <h2>Histogram AggrChunk</h2>
 * count: XOR, the number of raw histograms per window (5m → 1h: the sum of the input counts); sum: a float
 * histogram chunk (encoding 3) of each window's sum, header gauge; min, max: absent; counter: a float histogram
 * chunk of the reset-corrected running counter at each window, header gauge when the samples are gauge
 * histograms, unknown otherwise. Unlike the float counter, no first or last raw sample is stored. Samples of
 * one sub-chunk are written with the union of their layouts (missing buckets as 0), so no sample is ever cut
 * into another chunk; Thanos's appender recodes the same way for these monotonic counters and gauge sums.
 * Windows of one sub-chunk with different zero thresholds are all widened to the largest (buckets inside it
 * fold into the zero bucket), since a chunk holds one threshold.
 *
 * <h2>Aggregation</h2>
 * Per output chunk the smallest schema of its input is the working schema; finer histograms are reduced to it.
 * The counter starts as the first histogram; then each histogram adds itself when it is a counter reset
 * (detected on the histogram before its schema was reduced, so a schema finer than the working one counts as a
 * reset unless its hint says otherwise, a Thanos quirk kept on purpose) and its difference to the previous one
 * otherwise; gauge histograms never reset. The window sum adds the (reduced) histograms.
 *
 * <p>Custom-bucket histograms (schema -53) are not supported (Thanos panics on them): {@link #addRaw} refuses
 * a chunk holding one, and the caller leaves that chunk out.
 */
final class HistogramDownsampler {
  /**
   * The most raw histograms of one run held at once (each holds its spans and buckets: a few MiB in all); a longer
   * run is read twice ({@link #downsampleRaw}).
   */
  static final int MAX_BUFFERED_HISTOGRAMS = 1 << 12;

  private final HistogramMath math = new HistogramMath();

  // Input buffer: one series run (raw) or the samples of one aggregate of one output chunk.
  private long[] ts = new long[256];
  private Histogram[] hs = new Histogram[256];
  private int n;

  // Aggregator state.
  private final Histogram counter = new Histogram();
  private final Histogram sum = new Histogram();
  private final Histogram previous = new Histogram();
  private final Histogram reduced = new Histogram();
  private final Histogram delta = new Histogram();
  private long total;
  private long count;
  private int schema;

  // Per-window output.
  private long[] wt = new long[64];
  private long[] wc = new long[64];
  private Histogram[] counterOut = new Histogram[64];
  private Histogram[] sumOut = new Histogram[64];
  private int w;

  private final Histogram layout = new Histogram();
  private final Histogram widenZero = new Histogram();
  private final HistogramEncoder encoder = new HistogramEncoder(true);
  private final HistogramIterator iterator = new HistogramIterator();

  void reset() {
    n = 0;
  }

  /**
   * Downsamples a run of raw histogram chunks of one series and returns how many of them were left out for holding
   * custom-bucket histograms. A run that fits the buffer ({@code buffered}) is added chunk by chunk and flushed; a
   * longer one is read twice, as {@code SeriesDownsampler.downsampleRaw} reads a long float run: first to count the
   * histograms kept, their first and last time and the chunks left out, then to aggregate one output chunk's batch
   * at a time.
   */
  int downsampleRaw(SeriesDownsampler.RawRun run, boolean buffered, long resolution, List<ChunkMeta> out)
      throws CorruptDataException {
    n = 0;
    int leftOut = 0;
    if (buffered) {
      for (int i = 0; i < run.size(); i++) {
        if (!addRaw(run.histograms(i))) {
          leftOut++;
        }
      }
      flushRaw(resolution, out);
      return leftOut;
    }
    boolean[] customBuckets = new boolean[run.size()];
    long count = 0;
    long first = 0;
    long last = 0;
    for (int i = 0; i < run.size(); i++) {
      HistogramIterator it = run.histograms(i);
      long chunkCount = 0;
      long chunkFirst = 0;
      chunkLastT = 0;
      while (it.next()) {
        int kept = expand(it.timestamp(), it.histogram());
        if (kept == CUSTOM_BUCKETS) {
          customBuckets[i] = true;
          leftOut++;
          break;
        }
        if (kept == KEEP && chunkCount++ == 0) {
          chunkFirst = chunkLastT;
        }
      }
      if (!customBuckets[i] && chunkCount > 0) {
        if (count == 0) {
          first = chunkFirst;
        }
        count += chunkCount;
        last = chunkLastT;
      }
    }
    if (count == 0) {
      return leftOut;
    }
    int numChunks = Resolution.targetChunkCount(first, last, Resolution.ASSUMED_RAW_INTERVAL, resolution, count);
    Resolution.RawBatchCut cut = new Resolution.RawBatchCut(Resolution.batchSize(count, numChunks), resolution);
    for (int i = 0; i < run.size(); i++) {
      if (customBuckets[i]) {
        continue;
      }
      HistogramIterator it = run.histograms(i);
      chunkLastT = 0;
      while (it.next()) {
        long t = it.timestamp();
        if (expand(t, it.histogram()) != KEEP) {
          continue;
        }
        if (cut.startsBatch(t)) {
          addBatch(0, n, resolution, out);
          n = 0;
        }
        push(t, it.histogram());
      }
    }
    addBatch(0, n, resolution, out);
    n = 0;
    return leftOut;
  }

  /**
   * Adds one raw histogram chunk: stale markers dropped, samples going back in time within the chunk dropped,
   * integer histograms converted to float. Returns false (and adds nothing) when the chunk holds a
   * custom-bucket histogram.
   */
  boolean addRaw(HistogramIterator it) throws CorruptDataException {
    int start = n;
    chunkLastT = 0;
    while (it.next()) {
      long t = it.timestamp();
      int kept = expand(t, it.histogram());
      if (kept == CUSTOM_BUCKETS) {
        n = start;
        return false;
      }
      if (kept == KEEP) {
        push(t, it.histogram());
      }
    }
    return true;
  }

  private static final int DROP = 0;
  private static final int KEEP = 1;
  private static final int CUSTOM_BUCKETS = 2;
  /** Per-input-chunk time tracker of the raw expansion, as for float chunks. */
  private long chunkLastT;

  /**
   * What the raw expansion does with the chunk's next histogram (see {@link #addRaw}): {@link #DROP} a stale marker
   * or one going back in time, refuse the chunk for a custom-bucket one ({@link #CUSTOM_BUCKETS}), else
   * {@link #KEEP} it and move the chunk's time on.
   */
  private int expand(long t, Histogram h) {
    if (h.isStale() || t < chunkLastT) {
      return DROP;
    }
    if (h.schema == Histogram.CUSTOM_BUCKETS_SCHEMA) {
      return CUSTOM_BUCKETS;
    }
    chunkLastT = t;
    return KEEP;
  }

  private void push(long t, Histogram h) {
    if (n == ts.length) {
      ts = Arrays.copyOf(ts, n * 2);
      hs = Arrays.copyOf(hs, n * 2);
    }
    if (hs[n] == null) {
      hs[n] = new Histogram();
    }
    HistogramMath.toFloat(h, hs[n]);
    ts[n] = t;
    n++;
  }

  /** Thanos's DownsampleRaw for a histogram run: cuts the buffer into batches, one AggrChunk each. */
  void flushRaw(long resolution, List<ChunkMeta> out) {
    if (n == 0) {
      return;
    }
    int numChunks = Resolution.targetChunkCount(ts[0], ts[n - 1], Resolution.ASSUMED_RAW_INTERVAL, resolution, n);
    Resolution.RawBatchCut cut = new Resolution.RawBatchCut(Resolution.batchSize(n, numChunks), resolution);
    for (int from = 0, to; from < n; from = to) {
      to = cut.batchEnd(ts, from, n);
      addBatch(from, to, resolution, out);
    }
    n = 0;
  }

  /** The output chunk of buffered histograms [from, to), if any of them has a sum that is not NaN. */
  private void addBatch(int from, int to, long resolution, List<ChunkMeta> out) {
    ChunkMeta c = rawBatch(from, to, resolution);
    if (c != null) {
      out.add(c);
    }
  }

  private ChunkMeta rawBatch(int from, int to, long resolution) {
    int windows = aggregate(from, to, resolution);
    if (windows == 0) {
      return null;
    }
    XorEncoder countEnc = new XorEncoder();
    for (int i = 0; i < windows; i++) {
      countEnc.append(wt[i], wc[i]);
    }
    Chunk[] aggr = new Chunk[AggrType.values().length];
    aggr[AggrType.COUNT.ordinal()] = countEnc.toChunk();
    aggr[AggrType.SUM.ordinal()] = encode(sumOut, windows);
    aggr[AggrType.COUNTER.ordinal()] = encode(counterOut, windows);
    return new ChunkMeta(wt[0], wt[windows - 1], 0, AggrChunk.encode(aggr));
  }

  /**
   * Runs the histogram aggregator over buffer samples [from, to) (NaN sums skipped) and fills the per-window
   * outputs; returns the number of windows.
   */
  private int aggregate(int from, int to, long resolution) {
    w = 0;
    int last = to - 1;
    while (last >= from && Double.isNaN(hs[last].sum)) {
      last--;
    }
    if (last < from) {
      return 0;
    }
    schema = Integer.MAX_VALUE;
    int first = -1;
    for (int i = from; i <= last; i++) {
      if (!Double.isNaN(hs[i].sum)) {
        schema = Math.min(schema, hs[i].schema);
        if (first < 0) {
          first = i;
        }
      }
    }
    boolean gauge = hs[first].counterResetHint == Histogram.GAUGE;
    long lastT = ts[last];
    total = 0;
    count = 0;
    long windowT = -1;
    for (int i = first; i <= last; i++) {
      if (Double.isNaN(hs[i].sum)) {
        continue;
      }
      if (ts[i] > windowT) {
        if (windowT != -1) {
          emit(windowT, gauge);
        }
        count = 0;
        windowT = Math.min(Resolution.windowEnd(ts[i], resolution), lastT);
      }
      add(hs[i]);
    }
    emit(windowT, gauge);
    return w;
  }

  private void add(Histogram h) {
    reduced.copyFrom(h);
    if (h.schema > schema) {
      math.reduceSchema(reduced, schema);
    }
    if (total > 0) {
      if (reduced.counterResetHint != Histogram.GAUGE && math.detectReset(h, previous)) {
        math.add(counter, reduced);
      } else {
        delta.copyFrom(reduced);
        math.sub(delta, previous);
        math.add(counter, delta);
      }
    } else {
      counter.copyFrom(reduced);
    }
    if (count == 0) {
      sum.copyFrom(reduced);
    } else {
      math.add(sum, reduced);
    }
    sum.counterResetHint = Histogram.GAUGE;
    previous.copyFrom(reduced);
    count++;
    total++;
  }

  private void emit(long t, boolean gauge) {
    if (w == wt.length) {
      wt = Arrays.copyOf(wt, w * 2);
      wc = Arrays.copyOf(wc, w * 2);
      counterOut = Arrays.copyOf(counterOut, w * 2);
      sumOut = Arrays.copyOf(sumOut, w * 2);
    }
    if (counterOut[w] == null) {
      counterOut[w] = new Histogram();
      sumOut[w] = new Histogram();
    }
    counterOut[w].copyFrom(counter);
    if (gauge) {
      counterOut[w].counterResetHint = Histogram.GAUGE;
    }
    sumOut[w].copyFrom(sum);
    wt[w] = t;
    wc[w] = count;
    w++;
  }

  /** A float histogram chunk of the first {@code k} window histograms, all widened to their union layout. */
  private Chunk encode(Histogram[] out, int k) {
    // A chunk has one zero threshold: windows with a smaller one are widened to the largest (their buckets
    // inside it fold into the zero bucket), as adding an empty histogram with that threshold does.
    double zt = out[0].zeroThreshold;
    for (int i = 1; i < k; i++) {
      zt = Math.max(zt, out[i].zeroThreshold);
    }
    for (int i = 0; i < k; i++) {
      if (out[i].zeroThreshold < zt) {
        widenZero.clear(true);
        widenZero.schema = out[i].schema;
        widenZero.zeroThreshold = zt;
        int hint = out[i].counterResetHint;
        math.add(out[i], widenZero);
        out[i].counterResetHint = hint;
      }
    }
    layout.copyFrom(out[0]);
    for (int i = 1; i < k; i++) {
      math.unionLayout(layout, out[i]);
    }
    encoder.reset(true);
    encoder.setCounterResetHeader(out[0].counterResetHint == Histogram.GAUGE ? HistogramEncoder.GAUGE_TYPE
        : HistogramEncoder.UNKNOWN_COUNTER_RESET);
    for (int i = 0; i < k; i++) {
      math.widenTo(out[i], layout);
      encoder.append(wt[i], out[i]);
    }
    return encoder.toChunk();
  }

  // ------------------------------------------------------------------ aggregated input

  /** Thanos's downsampleAggr for a run of histogram AggrChunks. */
  void downsampleAggr(List<AggrChunk> chunks, long mint, long maxt, long inRes, long outRes, List<ChunkMeta> out)
      throws CorruptDataException {
    if (chunks.isEmpty()) {
      return;
    }
    long numSamples = 0;
    for (AggrChunk c : chunks) {
      numSamples += c.numSamples();
    }
    int numChunks = Resolution.targetChunkCount(mint, maxt, inRes, outRes, numSamples);
    int batchSize = Math.max(1, chunks.size() / numChunks);
    for (int from = 0; from < chunks.size(); from += batchSize) {
      ChunkMeta c = aggrBatch(chunks.subList(from, Math.min(from + batchSize, chunks.size())), outRes);
      if (c != null) {
        out.add(c);
      }
    }
  }

  private ChunkMeta aggrBatch(List<AggrChunk> part, long resolution) throws CorruptDataException {
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    Chunk[] aggr = new Chunk[AggrType.values().length];
    for (AggrType type : new AggrType[] {AggrType.COUNTER, AggrType.SUM}) {
      n = 0;
      for (AggrChunk c : part) {
        Chunk sub = c.get(type);
        if (sub == null) {
          continue;
        }
        if (sub.encoding() != ChunkEncoding.HISTOGRAM && sub.encoding() != ChunkEncoding.FLOAT_HISTOGRAM) {
          throw new CorruptDataException(c.where(), 0, "the " + type.label() + " aggregate of a histogram"
              + " aggregate chunk has encoding " + ChunkEncoding.name(sub.encoding()));
        }
        iterator.reset(c.where() + " (" + type.label() + " aggregate)", sub.encoding(), sub.data());
        chunkLastT = 0;
        while (iterator.next()) {
          long t = iterator.timestamp();
          int kept = expand(t, iterator.histogram());
          if (kept == CUSTOM_BUCKETS) {
            throw new CorruptDataException(c.where(), 0, "custom-bucket histograms cannot be downsampled");
          }
          if (kept == KEEP) {
            push(t, iterator.histogram());
          }
        }
      }
      int windows = aggregate(0, n, resolution);
      n = 0;
      if (windows == 0) {
        continue;
      }
      minT = Math.min(minT, wt[0]);
      maxT = Math.max(maxT, wt[windows - 1]);
      aggr[type.ordinal()] = encode(type == AggrType.COUNTER ? counterOut : sumOut, windows);
    }
    // Counts of input windows add up.
    XorEncoder countEnc = null;
    long windowT = -1;
    double acc = 0;
    long lastCountT = -1;
    int k = 0;
    double[] vals = new double[16];
    long[] times = new long[16];
    for (AggrChunk c : part) {
      SampleIterator it = c.iterator(AggrType.COUNT);
      long lastT = 0;
      while (it.next()) {
        long t = it.timestamp();
        double v = it.value();
        if (SeriesDownsampler.isStaleNaN(v) || t < lastT) {
          continue;
        }
        lastT = t;
        if (k == times.length) {
          times = Arrays.copyOf(times, k * 2);
          vals = Arrays.copyOf(vals, k * 2);
        }
        times[k] = t;
        vals[k++] = v;
      }
    }
    if (k > 0) {
      countEnc = new XorEncoder();
      lastCountT = times[k - 1];
      for (int i = 0; i < k; i++) {
        if (times[i] > windowT) {
          if (windowT != -1) {
            countEnc.append(windowT, acc);
          }
          acc = 0;
          windowT = Math.min(Resolution.windowEnd(times[i], resolution), lastCountT);
          minT = Math.min(minT, windowT);
          maxT = Math.max(maxT, windowT);
        }
        acc += vals[i];
      }
      countEnc.append(windowT, acc);
      aggr[AggrType.COUNT.ordinal()] = countEnc.toChunk();
    }
    if (minT == Long.MAX_VALUE) {
      return null;
    }
    return new ChunkMeta(minT, maxT, 0, AggrChunk.encode(aggr));
  }
}
