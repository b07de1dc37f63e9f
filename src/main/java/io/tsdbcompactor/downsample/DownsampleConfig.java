package io.tsdbcompactor.downsample;

/**
 * Start-up checks that tie retention to downsampling ({@code cmd/thanos/compact.go}; docs/thanos-compactor.md §6.1). With
 * downsampling on, a raw retention shorter than the 40 h a raw block needs before it is downsampled would
 * delete raw data that was never downsampled, and a 5m retention below 10 d would do the same to 5m data.
 * A retention of 0 means "keep forever" and always passes.
 */
public final class DownsampleConfig {
  private DownsampleConfig() {}

  /**
   * Refuses a retention configuration that would delete data before it can be downsampled.
   *
   * @param rawRetentionMs {@code --retention.resolution-raw} in ms (0 = forever)
   * @param fiveMinuteRetentionMs {@code --retention.resolution-5m} in ms (0 = forever)
   * @param downsamplingEnabled false when {@code --downsampling.disable} is given; then nothing is checked
   * @throws IllegalArgumentException with Thanos's wording plus the flag to change
   */
  public static void checkRetention(long rawRetentionMs, long fiveMinuteRetentionMs, boolean downsamplingEnabled) {
    if (!downsamplingEnabled) {
      return;
    }
    if (rawRetentionMs != 0 && rawRetentionMs < Resolution.RAW_TO_5M_MIN_RANGE) {
      throw new IllegalArgumentException(
          "raw resolution must be higher than the minimum block size after which 5m resolution downsampling will"
              + " occur (40 hours): --retention.resolution-raw is " + rawRetentionMs + "ms; raise it to at least"
              + " 40h, set it to 0d (keep forever), or pass --downsampling.disable");
    }
    if (fiveMinuteRetentionMs != 0 && fiveMinuteRetentionMs < Resolution.FIVE_M_TO_1H_MIN_RANGE) {
      throw new IllegalArgumentException(
          "5m resolution retention must be higher than the minimum block size after which 1h resolution"
              + " downsampling will occur (10 days): --retention.resolution-5m is " + fiveMinuteRetentionMs
              + "ms; raise it to at least 10d, set it to 0d (keep forever), or pass --downsampling.disable");
    }
  }
}
