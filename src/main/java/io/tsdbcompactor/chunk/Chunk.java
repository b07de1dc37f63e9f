package io.tsdbcompactor.chunk;

import java.util.Arrays;

/**
 * One encoded chunk: the encoding byte and the data bytes exactly as they sit in a segment file (without the
 * length prefix and CRC). Immutable by convention: the byte array is never changed after construction, so a
 * chunk read from one block can be written to another byte-for-byte.
 */
public final class Chunk {
  private final int encoding;
  private final byte[] data;

  /** A chunk of the given {@link ChunkEncoding} over {@code data} (not copied). */
  public Chunk(int encoding, byte[] data) {
    if (encoding < 0 || encoding > 0xFF) {
      throw new IllegalArgumentException("encoding must be one byte: " + encoding);
    }
    this.encoding = encoding;
    this.data = data;
  }

  /** The encoding byte: {@link ChunkEncoding#XOR}, the histogram encodings, or 0xFF for Thanos's AggrChunk. */
  public int encoding() {
    return encoding;
  }

  /** The data bytes; callers must not modify them. */
  public byte[] data() {
    return data;
  }

  /**
   * Number of samples: the 2-byte header of XOR and histogram chunks, the count aggregate's sample count for
   * Thanos AggrChunks, -1 where the encoding is unknown or the data too short to tell.
   */
  public int numSamples() {
    return numSamples(encoding, data, data.length);
  }

  /** {@link #numSamples()} of a chunk of {@code encoding} whose data are {@code data[0, length)}. */
  public static int numSamples(int encoding, byte[] data, int length) {
    if (ChunkEncoding.hasSampleCountHeader(encoding)) {
      return length < 2 ? -1 : ((data[0] & 0xff) << 8) | (data[1] & 0xff);
    }
    if (encoding == ChunkEncoding.AGGR) {
      return AggrChunkLayout.windows(data, length);
    }
    return -1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Chunk && ((Chunk) o).encoding == encoding && Arrays.equals(((Chunk) o).data, data);
  }

  @Override
  public int hashCode() {
    return 31 * encoding + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Chunk{" + ChunkEncoding.name(encoding) + ", " + data.length + " bytes}";
  }
}
