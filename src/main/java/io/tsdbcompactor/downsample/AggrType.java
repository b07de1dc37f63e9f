package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.AggrChunkLayout;

/**
 * The five aggregates of a Thanos AggrChunk, in their on-disk order; {@link #ordinal()} is Thanos's
 * {@code AggrType} value.
 */
public enum AggrType {
  /** Number of raw samples in the window. */
  COUNT,
  /** Sum of the raw values in the window. */
  SUM,
  /** Smallest raw value in the window. */
  MIN,
  /** Largest raw value in the window. */
  MAX,
  /**
   * Reset-corrected running counter at the window's end, preceded by the first raw value of the chunk and
   * followed by its last raw value at a repeated timestamp, so rate() stays exact across chunks.
   */
  COUNTER;

  private static final AggrType[] VALUES = values();

  /** The lower-case name used in dumps and messages ({@link AggrChunkLayout#name}). */
  public String label() {
    return AggrChunkLayout.name(ordinal());
  }

  static AggrType of(int ordinal) {
    return VALUES[ordinal];
  }
}
