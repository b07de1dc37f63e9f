package io.tsdbcompactor.downsample;

/**
 * The five aggregates of a Thanos AggrChunk, in their on-disk order; {@link #ordinal()} is Thanos's
 * {@code AggrType} value.
 */
public enum AggrType {
  /** Number of raw samples in the window. */
  COUNT("count"),
  /** Sum of the raw values in the window. */
  SUM("sum"),
  /** Smallest raw value in the window. */
  MIN("min"),
  /** Largest raw value in the window. */
  MAX("max"),
  /**
   * Reset-corrected running counter at the window's end, preceded by the first raw value of the chunk and
   * followed by its last raw value at a repeated timestamp, so rate() stays exact across chunks.
   */
  COUNTER("counter");

  private static final AggrType[] VALUES = values();

  private final String label;

  AggrType(String label) {
    this.label = label;
  }

  /** The lower-case name used in dumps and messages. */
  public String label() {
    return label;
  }

  static AggrType of(int ordinal) {
    return VALUES[ordinal];
  }
}
