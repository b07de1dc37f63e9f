package io.tsdbcompactor.chunk;

/**
 * The encoding byte stored before each chunk in a segment file. Prometheus defines 1-3; Thanos adds 0xFF for
 * its downsampled aggregate chunks. Any other value is carried through untouched, never guessed at.
 */
public final class ChunkEncoding {
  public static final int NONE = 0;
  public static final int XOR = 1;
  public static final int HISTOGRAM = 2;
  public static final int FLOAT_HISTOGRAM = 3;
  /** Thanos's AggrChunk (pkg/compact/downsample/aggr.go). */
  public static final int AGGR = 0xFF;

  private ChunkEncoding() {}

  public static String name(int encoding) {
    switch (encoding) {
      case NONE: return "none";
      case XOR: return "XOR";
      case HISTOGRAM: return "histogram";
      case FLOAT_HISTOGRAM: return "floathistogram";
      case AGGR: return "aggr";
      default: return "unknown(" + encoding + ")";
    }
  }

  /** Encodings whose data starts with a 2-byte big-endian sample count. */
  public static boolean hasSampleCountHeader(int encoding) {
    return encoding == XOR || encoding == HISTOGRAM || encoding == FLOAT_HISTOGRAM;
  }
}
