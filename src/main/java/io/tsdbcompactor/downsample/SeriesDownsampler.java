package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.StaleNaN;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Downsamples one series at a time, as Thanos does ({@code DownsampleRaw}, {@code downsampleAggr}; docs/thanos-compactor.md
 * §5.4-5.6). One instance is reused for every series of a block: its sample buffers grow to the longest run it
 * holds and are never reallocated per series or per sample. Through {@link #downsampleRaw} it holds at most
 * {@link #MAX_BUFFERED_SAMPLES} raw samples of a series; a longer one is read twice. Not thread-safe.
 *
 * <h2>Windows</h2>
 * Samples are aggregated into windows aligned to the resolution since the epoch
 * ({@link Resolution#windowEnd}); each aggregate is stamped with the window's last millisecond, except the last
 * window of an output chunk, which is stamped with the chunk's last sample time when that is earlier.
 *
 * <h2>Raw → 5m (or any resolution)</h2>
 * Samples are added with {@link #addRaw}; stale markers and samples going back in time within one input chunk
 * are dropped on the way in. {@link #flushRaw} cuts the series into about {@code n / targetChunkCount + 1}
 * samples per output chunk (Thanos's heuristic: at most ~140 windows per chunk assuming 1 raw sample a
 * minute), extends each cut to the end of its window so no window is split, drops NaN samples, and aggregates
 * each batch into one AggrChunk with all five aggregates. The counter aggregate holds the batch's first raw
 * value, the running reset-corrected counter per window, and the batch's last raw value at the last window's
 * timestamp.
 *
 * <h2>5m → 1h</h2>
 * {@link #downsampleAggr} groups whole input AggrChunks (never splitting one, because each chunk's first and
 * last raw counter values must survive) and re-aggregates each group: counts and sums are summed, mins and
 * maxes reduced, counters run through {@link CounterResetIterator}. An aggregate absent from every input chunk
 * of a group stays absent.
 *
 * <h2>Native histograms</h2>
 * Raw histogram chunks go to their own buffer ({@link #addRawHistograms}, {@link #flushRawHistograms}) and
 * histogram AggrChunks to {@link #downsampleHistogramAggr}; the format and rules are in
 * {@code HistogramDownsampler}. Float and histogram runs of one series are downsampled separately.
 */
public final class SeriesDownsampler {
  /**
   * The most raw float samples of one run held at once: 2 MiB of timestamps and values per downsampler, a 14-day
   * series scraped every 10 s. A longer run is read twice ({@link #downsampleRaw}), so a series scraped every second
   * fits the same heap as one scraped every minute.
   */
  static final int MAX_BUFFERED_SAMPLES = 1 << 17;

  /** The five aggregates of a float AggrChunk ({@code AggrType.values()} copies its array at every call). */
  private static final int AGGREGATE_TYPES = AggrType.values().length;

  private final int maxBufferedSamples;
  private final int maxBufferedHistograms;
  private long[] ts = new long[1024];
  private double[] vs = new double[1024];
  private int n;
  /** Per-input-chunk time tracker of the raw expansion (Thanos starts it at 0 for each chunk). */
  private long chunkLastT;

  /** A downsampler holding at most {@link #MAX_BUFFERED_SAMPLES} raw samples of a run at once. */
  public SeriesDownsampler() {
    this(MAX_BUFFERED_SAMPLES, HistogramDownsampler.MAX_BUFFERED_HISTOGRAMS);
  }

  /** With other bounds on the raw samples and histograms held at once (tests: runs read twice). */
  SeriesDownsampler(int maxBufferedSamples, int maxBufferedHistograms) {
    this.maxBufferedSamples = maxBufferedSamples;
    this.maxBufferedHistograms = maxBufferedHistograms;
  }

  /** True for Prometheus's stale marker ({@link StaleNaN}). */
  public static boolean isStaleNaN(double v) {
    return StaleNaN.is(v);
  }

  /**
   * The chunks of one run of a raw series, all float or all histogram chunks, which the downsampler may read twice:
   * a run too long to hold in memory is first read to count what it holds, then again to downsample it.
   */
  public interface RawRun {
    /** The number of chunks in the run. */
    int size();

    /** The sample count in chunk {@code i}'s header: all the chunk can add. */
    int numSamples(int i);

    /** Chunk {@code i} of a float run, from its first sample. */
    SampleIterator floats(int i) throws CorruptDataException;

    /** Chunk {@code i} of a histogram run, from its first sample. */
    HistogramIterator histograms(int i) throws CorruptDataException;
  }

  // ------------------------------------------------------------------ raw input

  /**
   * Downsamples a run of raw float chunks of one series to {@code resolution} and appends the AggrChunks to
   * {@code out}: as {@link #addRaw} for every chunk, then {@link #flushRaw}, when the run's samples fit
   * {@link #MAX_BUFFERED_SAMPLES}. A longer run is read twice, first counting the samples kept and the first and
   * last time (which decide Thanos's cut), then cutting and aggregating one output chunk's batch at a time; the
   * chunks are the same.
   */
  public void downsampleRaw(RawRun run, long resolution, List<ChunkMeta> out) throws CorruptDataException {
    n = 0;
    if (bound(run) <= maxBufferedSamples) {
      for (int i = 0; i < run.size(); i++) {
        addRaw(run.floats(i));
      }
      flushRaw(resolution, out);
      return;
    }
    long count = 0;
    long first = 0;
    long last = 0;
    for (int i = 0; i < run.size(); i++) {
      SampleIterator chunk = run.floats(i);
      chunkLastT = 0;
      while (chunk.next()) {
        long t = chunk.timestamp();
        if (keeps(t, chunk.value())) {
          if (count++ == 0) {
            first = t;
          }
          last = t;
        }
      }
    }
    if (count == 0) {
      return;
    }
    int numChunks = Resolution.targetChunkCount(first, last, Resolution.ASSUMED_RAW_INTERVAL, resolution, count);
    Resolution.RawBatchCut cut = new Resolution.RawBatchCut(Resolution.batchSize(count, numChunks), resolution);
    for (int i = 0; i < run.size(); i++) {
      SampleIterator chunk = run.floats(i);
      chunkLastT = 0;
      while (chunk.next()) {
        long t = chunk.timestamp();
        double v = chunk.value();
        if (!keeps(t, v)) {
          continue;
        }
        if (cut.startsBatch(t)) {
          addBatch(0, n, resolution, out);
          n = 0;
        }
        push(t, v);
      }
    }
    addBatch(0, n, resolution, out);
    n = 0;
  }

  /**
   * As {@link #downsampleRaw} for a run of raw histogram chunks; returns the number of chunks left out because they
   * hold custom-bucket histograms ({@code HistogramDownsampler}).
   */
  public int downsampleRawHistograms(RawRun run, long resolution, List<ChunkMeta> out) throws CorruptDataException {
    return histograms().downsampleRaw(run, bound(run) <= maxBufferedHistograms, resolution, out);
  }

  /** The run's sample count by its chunks' headers: at least what it holds once stale markers are dropped. */
  private static long bound(RawRun run) {
    long bound = 0;
    for (int i = 0; i < run.size(); i++) {
      bound += Math.max(0, run.numSamples(i));
    }
    return bound;
  }

  /** Starts a new series (or a new run of float chunks after histogram chunks). */
  public void resetRaw() {
    n = 0;
    if (histograms != null) {
      histograms.reset();
    }
  }

  /**
   * Adds every sample of one raw input chunk. Stale markers are dropped, and so is a sample whose timestamp is
   * below the previous kept one of the same chunk (equal timestamps are kept), as Thanos's
   * {@code expandChunkIterator} does; the aggregates of a 5m input chunk are expanded the same way.
   */
  public void addRaw(SampleIterator chunk) throws CorruptDataException {
    chunkLastT = 0;
    while (chunk.next()) {
      addRawSample(chunk.timestamp(), chunk.value());
    }
  }

  private void addRawSample(long t, double v) {
    if (keeps(t, v)) {
      push(t, v);
    }
  }

  /** Whether the raw expansion keeps the chunk's next sample (see {@link #addRaw}); tracks the chunk's time. */
  private boolean keeps(long t, double v) {
    if (isStaleNaN(v) || t < chunkLastT) {
      return false;
    }
    chunkLastT = t;
    return true;
  }

  private void push(long t, double v) {
    if (n == ts.length) {
      ts = Arrays.copyOf(ts, n * 2);
      vs = Arrays.copyOf(vs, n * 2);
    }
    ts[n] = t;
    vs[n] = v;
    n++;
  }

  /** Adds raw samples given as arrays, as one input chunk (tests, benchmarks). */
  public void addRaw(long[] t, double[] v, int count) {
    chunkLastT = 0;
    for (int i = 0; i < count; i++) {
      addRawSample(t[i], v[i]);
    }
  }

  /**
   * Downsamples the buffered raw samples to {@code resolution}, appends the AggrChunks (with their min and max
   * window timestamps) to {@code out} and empties the buffer.
   */
  public void flushRaw(long resolution, List<ChunkMeta> out) {
    if (n == 0) {
      return;
    }
    int numChunks = Resolution.targetChunkCount(ts[0], ts[n - 1], Resolution.ASSUMED_RAW_INTERVAL, resolution, n);
    rawLoop(resolution, numChunks, out);
    n = 0;
  }

  /** Thanos's {@code downsampleRawLoop} with a given chunk count (exposed for the boundary-reset test vector). */
  void rawLoop(long resolution, int numChunks, List<ChunkMeta> out) {
    Resolution.RawBatchCut cut = new Resolution.RawBatchCut(Resolution.batchSize(n, numChunks), resolution);
    for (int from = 0, to; from < n; from = to) {
      to = cut.batchEnd(ts, from, n);
      addBatch(from, to, resolution, out);
    }
  }

  /** The output chunk of buffered raw samples [from, to), if any of them is not NaN. */
  private void addBatch(int from, int to, long resolution, List<ChunkMeta> out) {
    ChunkMeta c = rawBatch(from, to, resolution);
    if (c != null) {
      out.add(c);
    }
  }

  /** One output chunk from raw samples [from, to), NaNs skipped; null when every sample is NaN. */
  private ChunkMeta rawBatch(int from, int to, long resolution) {
    int first = from;
    while (first < to && Double.isNaN(vs[first])) {
      first++;
    }
    if (first == to) {
      return null;
    }
    int last = to - 1;
    while (Double.isNaN(vs[last])) {
      last--;
    }
    long lastT = ts[last];
    Aggregator a = new Aggregator();
    int windows = 0;
    long windowT = -1;
    for (int i = first; i <= last; i++) {
      double v = vs[i];
      if (Double.isNaN(v)) {
        continue;
      }
      long t = ts[i];
      if (t > windowT) {
        if (windowT != -1) {
          windows = addWindow(windows, windowT, a);
        }
        a.resetWindow();
        windowT = Math.min(Resolution.windowEnd(t, resolution), lastT);
      }
      a.add(v);
    }
    windows = addWindow(windows, windowT, a);

    XorEncoder[] aggregates = new XorEncoder[AGGREGATE_TYPES];
    for (int type = 0; type < aggregates.length; type++) {
      aggregates[type] = emptyEncoder(AggrType.of(type));
    }
    aggregates[AggrType.COUNTER.ordinal()].append(ts[first], vs[first]);
    // One call site for all five: C2 compiles the encoding loop once, not five copies of it into this method.
    for (int type = 0; type < aggregates.length; type++) {
      aggregates[type].append(windowTimes, windowValues[type], windows);
    }
    aggregates[AggrType.COUNTER.ordinal()].append(windowT, vs[last]);
    return new ChunkMeta(windowTimes[0], windowTimes[windows - 1], 0, AggrChunk.encode(aggregates));
  }

  /**
   * The windows of the output chunk being built, one column per aggregate ({@link AggrType} order), reused for
   * every chunk. The aggregates are encoded a column at a time, once a chunk's windows are all known: each
   * encoder's loop then runs over one stream of values. At 60 s scrapes, where every raw sample costs one aggregate
   * append, that made {@code DownsampleBenchmark.rawTo5mFromChunksEveryMinute} 1.14 times as fast as appending to
   * the five encoders window by window (1.06 at 15 s scrapes; benchmarks/README.md, "Aggregates a column at a time").
   */
  private long[] windowTimes = new long[256];
  private final double[][] windowValues = new double[AGGREGATE_TYPES][256];

  /** Stores the aggregates of the window ending at {@code t} as window number {@code windows}; returns the count. */
  private int addWindow(int windows, long t, Aggregator a) {
    if (windows == windowTimes.length) {
      windowTimes = Arrays.copyOf(windowTimes, windows * 2);
      for (int type = 0; type < windowValues.length; type++) {
        windowValues[type] = Arrays.copyOf(windowValues[type], windows * 2);
      }
    }
    windowTimes[windows] = t;
    windowValues[AggrType.COUNT.ordinal()][windows] = a.count;
    windowValues[AggrType.SUM.ordinal()][windows] = a.sum;
    windowValues[AggrType.MIN.ordinal()][windows] = a.min;
    windowValues[AggrType.MAX.ordinal()][windows] = a.max;
    windowValues[AggrType.COUNTER.ordinal()][windows] = a.counter;
    return windows + 1;
  }

  /**
   * One encoder per aggregate, reused for every output chunk: their buffers grow to the longest aggregate once,
   * instead of five fresh encoders per chunk each growing from their initial size (about 6% of the downsampling's
   * CPU went to those copies).
   */
  private final XorEncoder[] encoders = new XorEncoder[AGGREGATE_TYPES];

  private XorEncoder emptyEncoder(AggrType type) {
    XorEncoder e = encoders[type.ordinal()];
    if (e == null) {
      e = encoders[type.ordinal()] = new XorEncoder();
    } else {
      e.reset();
    }
    return e;
  }

  // ------------------------------------------------------------------ native histograms

  private HistogramDownsampler histograms;

  private HistogramDownsampler histograms() {
    if (histograms == null) {
      histograms = new HistogramDownsampler();
    }
    return histograms;
  }

  /**
   * Adds one raw histogram chunk (encoding 2 or 3) to the histogram buffer, which is separate from the float
   * buffer: callers flush one before feeding the other, as Thanos flushes on every switch of chunk kind. Stale
   * markers and samples going back in time within the chunk are dropped. Returns false, adding nothing, when
   * the chunk holds custom-bucket histograms (not supported).
   */
  public boolean addRawHistograms(HistogramIterator chunk) throws CorruptDataException {
    return histograms().addRaw(chunk);
  }

  /** Downsamples the buffered raw histograms into histogram AggrChunks ({@code HistogramDownsampler}). */
  public void flushRawHistograms(long resolution, List<ChunkMeta> out) {
    if (histograms != null) {
      histograms.flushRaw(resolution, out);
    }
  }

  /** As {@link #downsampleAggr} for a run of histogram AggrChunks ({@link AggrChunk#isHistogram()}). */
  public void downsampleHistogramAggr(List<AggrChunk> chunks, long mint, long maxt, long inRes, long outRes,
      List<ChunkMeta> out) throws CorruptDataException {
    histograms().downsampleAggr(chunks, mint, maxt, inRes, outRes, out);
  }

  // ------------------------------------------------------------------ aggregated input

  /**
   * Downsamples a run of float AggrChunks of one series from {@code inRes} to {@code outRes} and appends the
   * output chunks to {@code out}.
   *
   * @param mint the first input chunk's min time
   * @param maxt the last input chunk's max time
   */
  public void downsampleAggr(List<AggrChunk> chunks, long mint, long maxt, long inRes, long outRes,
      List<ChunkMeta> out) throws CorruptDataException {
    if (chunks.isEmpty()) {
      return;
    }
    long numSamples = 0;
    for (AggrChunk c : chunks) {
      numSamples += c.numSamples();
    }
    int numChunks = Resolution.targetChunkCount(mint, maxt, inRes, outRes, numSamples);
    aggrLoop(chunks, outRes, numChunks, out);
  }

  /** Thanos's {@code downsampleAggrLoop}: whole input chunks, {@code size / numChunks} per output chunk. */
  void aggrLoop(List<AggrChunk> chunks, long resolution, int numChunks, List<ChunkMeta> out)
      throws CorruptDataException {
    // Thanos divides without a floor of 1; more output chunks than inputs would make it loop forever.
    int batchSize = Math.max(1, chunks.size() / numChunks);
    for (int from = 0; from < chunks.size(); from += batchSize) {
      ChunkMeta c = aggrBatch(chunks.subList(from, Math.min(from + batchSize, chunks.size())), resolution);
      if (c != null) {
        out.add(c);
      }
    }
  }

  private long batchMinT;
  private long batchMaxT;

  /** One output chunk from a group of input AggrChunks; null when every aggregate is empty. */
  private ChunkMeta aggrBatch(List<AggrChunk> part, long resolution) throws CorruptDataException {
    batchMinT = Long.MAX_VALUE;
    batchMaxT = Long.MIN_VALUE;
    // Each aggregate has its own encoder, untouched until the next batch: the AggrChunk is encoded from them.
    XorEncoder[] aggr = new XorEncoder[AGGREGATE_TYPES];
    for (AggrType type : new AggrType[] {AggrType.COUNT, AggrType.SUM, AggrType.MIN, AggrType.MAX}) {
      n = 0;
      for (AggrChunk c : part) {
        addRaw(c.iterator(type));
      }
      if (n == 0) {
        continue;
      }
      XorEncoder enc = emptyEncoder(type);
      Aggregator a = new Aggregator();
      long lastT = ts[n - 1];
      long windowT = -1;
      for (int i = 0; i < n; i++) {
        long t = ts[i];
        if (t > windowT) {
          if (windowT != -1) {
            emitOne(type, windowT, a, enc);
          }
          a.resetWindow();
          windowT = Math.min(Resolution.windowEnd(t, resolution), lastT);
        }
        a.add(vs[i]);
      }
      emitOne(type, windowT, a, enc);
      aggr[type.ordinal()] = enc;
    }

    List<SampleIterator> counters = new ArrayList<>(part.size());
    for (AggrChunk c : part) {
      if (c.has(AggrType.COUNTER)) {
        counters.add(c.iterator(AggrType.COUNTER));
      }
    }
    CounterResetIterator it = new CounterResetIterator(counters);
    n = 0;
    addRaw(it);
    if (n > 0) {
      XorEncoder enc = emptyEncoder(AggrType.COUNTER);
      enc.append(ts[0], vs[0]);
      Aggregator a = new Aggregator();
      long lastT = ts[n - 1];
      long windowT = -1;
      for (int i = 0; i < n; i++) {
        long t = ts[i];
        if (t > windowT) {
          if (windowT != -1) {
            emitOne(AggrType.COUNTER, windowT, a, enc);
          }
          a.resetWindow();
          windowT = Math.min(Resolution.windowEnd(t, resolution), lastT);
        }
        a.add(vs[i]);
      }
      emitOne(AggrType.COUNTER, windowT, a, enc);
      enc.append(windowT, it.lastRawValue());
      aggr[AggrType.COUNTER.ordinal()] = enc;
    }
    n = 0;
    if (batchMinT == Long.MAX_VALUE) {
      return null;
    }
    return new ChunkMeta(batchMinT, batchMaxT, 0, AggrChunk.encode(aggr));
  }

  private void emitOne(AggrType type, long t, Aggregator a, XorEncoder enc) {
    batchMinT = Math.min(batchMinT, t);
    batchMaxT = Math.max(batchMaxT, t);
    switch (type) {
      case COUNT:
      case SUM:
        // Counts of the input windows add up, just like sums.
        enc.append(t, a.sum);
        break;
      case MIN:
        enc.append(t, a.min);
        break;
      case MAX:
        enc.append(t, a.max);
        break;
      case COUNTER:
        enc.append(t, a.counter);
        break;
      default:
        throw new AssertionError(type);
    }
  }

  /**
   * Thanos's float aggregator. The window statistics restart with every window; the counter and the last value
   * run across all windows of one output chunk.
   */
  private static final class Aggregator {
    long total;
    long count;
    double sum;
    double min;
    double max;
    double counter;
    double last;

    void resetWindow() {
      count = 0;
      sum = 0;
      min = Double.MAX_VALUE;
      max = -Double.MAX_VALUE;
    }

    void add(double v) {
      if (total > 0) {
        counter += v < last ? v : v - last;
      } else {
        counter = v;
      }
      last = v;
      sum += v;
      count++;
      total++;
      if (v < min) {
        min = v;
      }
      if (v > max) {
        max = v;
      }
    }
  }
}
