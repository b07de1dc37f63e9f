package io.tsdbcompactor.chunk;

import java.io.IOException;

/**
 * Chunks that overlap in time (or are cut by a deletion) but cannot be merged here: chunks of different
 * encodings (float and histogram samples of one series), overlapping gauge-histogram chunks, Thanos aggregate
 * chunks and unknown encodings. The input is not damaged, so this
 * is not a {@link io.tsdbcompactor.store.CorruptDataException}; a caller can skip or mark the block instead.
 * Names the series, the time range and the encodings involved.
 */
public class UnmergeableChunksException extends IOException {
  private final String series;
  private final long minTime;
  private final long maxTime;

  public UnmergeableChunksException(String series, long minTime, long maxTime, String problem) {
    super("series " + series + " [" + minTime + ", " + maxTime + "]: " + problem);
    this.series = series;
    this.minTime = minTime;
    this.maxTime = maxTime;
  }

  public String series() {
    return series;
  }

  public long minTime() {
    return minTime;
  }

  public long maxTime() {
    return maxTime;
  }
}
