package io.tsdbcompactor.chunkfile;

/**
 * A block chunk reference as the index stores it: the segment's position in the block's {@code chunks/}
 * folder (0 for {@code 000001}) in the upper 32 bits, the byte offset of the chunk's record inside that file
 * in the lower 32 bits (Prometheus {@code chunks.BlockChunkRef}).
 */
public final class ChunkRef {
  private ChunkRef() {}

  public static long of(int segmentIndex, long offset) {
    return ((long) segmentIndex << 32) | (offset & 0xffffffffL);
  }

  public static int segmentIndex(long ref) {
    return (int) (ref >>> 32);
  }

  public static long offset(long ref) {
    return ref & 0xffffffffL;
  }

  /**
   * The file name of a segment: {@code chunks/} plus the 1-based sequence number padded to 6 digits. Padded by
   * hand: chunks are named for their errors as they are read, and {@code String.format} cost more than some of the
   * chunks' decoding.
   */
  public static String segmentFileName(int segmentIndex) {
    int number = segmentIndex + 1;
    if (number < 0) {
      return String.format("chunks/%06d", number); // only a corrupt reference; as Go's %06d prints it
    }
    String digits = Integer.toString(number);
    return digits.length() >= 6 ? "chunks/" + digits : "chunks/" + "000000".substring(digits.length()) + digits;
  }

  public static String toString(long ref) {
    return segmentFileName(segmentIndex(ref)) + "@" + offset(ref);
  }
}
