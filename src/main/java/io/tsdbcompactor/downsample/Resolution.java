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
   * Where the batch of raw samples starting at {@code from} ends (exclusive) in Thanos's
   * {@code downsampleRawLoop}: {@code batchSize} samples, then on to the end of the {@code resolution} window
   * the last of them falls in, so that no window is split between two output chunks.
   */
  static int rawBatchEnd(long[] ts, int from, int n, int batchSize, long resolution) {
    int j = Math.min(from + batchSize, n);
    long end = windowEnd(ts[j - 1], resolution);
    while (j < n && ts[j] <= end) {
      j++;
    }
    return j;
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
