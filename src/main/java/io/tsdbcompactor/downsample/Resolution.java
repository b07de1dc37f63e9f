package io.tsdbcompactor.downsample;

/**
 * Thanos's downsampling resolutions and the block ranges that make a block eligible for the next one
 * ({@code pkg/compact/downsample/downsample.go}). All values are milliseconds.
 */
public final class Resolution {
  /** Raw data. */
  public static final long RAW = 0;
  /** 5 minutes. */
  public static final long FIVE_MINUTES = 300_000L;
  /** 1 hour. */
  public static final long ONE_HOUR = 3_600_000L;

  /** A raw block spanning at least this long (40 h) gets a 5m block. */
  public static final long RAW_TO_5M_MIN_RANGE = 40L * 60 * 60 * 1000;
  /** A 5m block spanning at least this long (10 d) gets a 1h block. */
  public static final long FIVE_M_TO_1H_MIN_RANGE = 10L * 24 * 60 * 60 * 1000;

  /** Thanos assumes raw data arrives once a minute when it sizes output chunks. */
  static final long ASSUMED_RAW_INTERVAL = 60_000L;
  /** Output chunks hold at most about this many windows on average. */
  static final int MAX_SAMPLES_PER_CHUNK = 140;

  private Resolution() {}

  /**
   * The inclusive end of the {@code r}-aligned window holding {@code t}: windows are aligned to multiples of
   * {@code r} since the epoch, so a 5m window ends in ...99999. Timestamps are assumed non-negative, as Thanos
   * assumes them (Go's {@code %} truncates toward zero, and so does Java's).
   */
  public static long windowEnd(long t, long r) {
    return t - (t % r) + r - 1;
  }

  /**
   * How many output chunks a series covering [mint, maxt] with {@code count} input samples of resolution
   * {@code inRes} is cut into at {@code outRes}: enough that each holds at most 140 windows on average, with
   * the window estimate scaled by how densely the input fills its range.
   */
  static int targetChunkCount(long mint, long maxt, long inRes, long outRes, long count) {
    // Integer division first, then float, exactly as Thanos computes it.
    double maxSamples = (double) ((maxt - mint) / outRes);
    double fullness = count / ((double) (maxt - mint) / (double) inRes);
    if (fullness > 1) {
      // Also the case mint == maxt: count / 0.0 is +Inf.
      fullness = 1;
    }
    long expected = (long) (maxSamples * fullness) + 1;
    int x = 1;
    while (expected / x > MAX_SAMPLES_PER_CHUNK) {
      x++;
    }
    return x;
  }

  /**
   * Thanos's cut of a raw run into output chunks ({@code downsampleRawLoop}), one sample at a time: a batch takes
   * {@code batchSize} samples, then every later sample up to the end of the {@code resolution} window the last of
   * them falls in, so that no window is split between two output chunks. {@link #batchEnd} cuts a run held in memory;
   * fed a run's timestamps in order, {@link #startsBatch} tells which sample opens the next batch of a run read as a
   * stream. One instance per run, used one way.
   */
  static final class RawBatchCut {
    private final int batchSize;
    private final long resolution;
    /** Samples in the current batch so far. */
    private int taken;
    /** The end of the window of the batch's {@code batchSize}-th sample, once it has that many. */
    private long end;

    RawBatchCut(int batchSize, long resolution) {
      this.batchSize = batchSize;
      this.resolution = resolution;
    }

    /**
     * Where the batch starting at {@code ts[from]} of a run held in {@code ts[0, n)} ends (exclusive): the same cut
     * without a call per sample, for the run held whole.
     */
    int batchEnd(long[] ts, int from, int n) {
      int j = Math.min(from + batchSize, n);
      long batchEnd = windowEnd(ts[j - 1], resolution);
      while (j < n && ts[j] <= batchEnd) {
        j++;
      }
      return j;
    }

    /** Whether the sample at {@code t}, the run's next, opens a new batch (and so ends the current one). */
    boolean startsBatch(long t) {
      boolean starts = taken >= batchSize && t > end;
      if (starts) {
        taken = 0;
      }
      if (++taken == batchSize) {
        end = windowEnd(t, resolution);
      }
      return starts;
    }
  }

  /** The samples per batch of a run of {@code count} samples cut into {@code numChunks} output chunks. */
  static int batchSize(long count, int numChunks) {
    return (int) Math.min(Integer.MAX_VALUE, count / numChunks + 1);
  }

  /** A short name for messages: "raw", "5m", "1h", or the milliseconds. */
  public static String name(long resolution) {
    if (resolution == RAW) {
      return "raw";
    } else if (resolution == FIVE_MINUTES) {
      return "5m";
    } else if (resolution == ONE_HOUR) {
      return "1h";
    }
    return resolution + "ms";
  }
}
