package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.ByteArrayInput;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Decoder;

/**
 * The entries of Thanos's aggregate chunk (encoding {@link ChunkEncoding#AGGR}; the format is described in
 * {@code downsample.AggrChunk}): five of them, count, sum, min, max and counter, each {@code uvarint(0)} when
 * the aggregate is absent, else {@code uvarint(L)}, the sub-chunk's encoding byte and its L data bytes. They are
 * parsed here, below the downsample package, so that the block verifier can check a downsampled block's chunks
 * without knowing how they were made; {@code AggrChunk} reads its entries through this class too.
 */
public final class AggrChunkLayout {
  /** The number of entries, one per aggregate. */
  public static final int ENTRIES = 5;
  public static final int COUNT = 0;
  public static final int SUM = 1;
  public static final int MIN = 2;
  public static final int MAX = 3;
  public static final int COUNTER = 4;

  private static final String[] NAMES = {"count", "sum", "min", "max", "counter"};

  private AggrChunkLayout() {}

  /** The aggregate of entry {@code entry} (0..4) as messages and dumps name it. */
  public static String name(int entry) {
    return NAMES[entry];
  }

  /**
   * Parses the entries of the aggregate chunk {@code data[0, length)}: for each, the offset of its sub-chunk's data
   * (after the encoding byte), or -1 when absent, its length and its encoding. Bytes after the fifth entry are
   * ignored, as Thanos ignores them.
   *
   * @throws CorruptDataException naming {@code where} and the offset of an entry that runs past the data
   */
  public static void parse(String where, byte[] data, int length, int[] offset, int[] len, int[] encoding)
      throws CorruptDataException {
    Decoder d = new Decoder(new ByteArrayInput(where, data), 0, length);
    for (int i = 0; i < ENTRIES; i++) {
      int at = (int) d.position();
      long n;
      try {
        n = d.readUvarint();
      } catch (CorruptDataException e) {
        throw new CorruptDataException(where, at, d.remaining() == 0
            ? "aggregate chunk ends inside the length of the " + NAMES[i] + " entry (invalid size)"
            : "uvarint overflows 64 bits in the " + NAMES[i] + " entry");
      }
      int pos = (int) d.position();
      if (n == 0) {
        offset[i] = -1;
        continue;
      }
      if (n < 0 || n + 1 > length - pos) {
        throw new CorruptDataException(where, at, "the " + NAMES[i] + " entry needs "
            + Long.toUnsignedString(n) + "+1 bytes but only " + (length - pos) + " remain (invalid size)");
      }
      encoding[i] = data[pos] & 0xff;
      offset[i] = pos + 1;
      len[i] = (int) n;
      d.skip(1 + n);
    }
  }

  /**
   * The count aggregate's sample count (Thanos's NumSamples), read from the first entry alone, without the checks
   * of {@link #check}: 0 when the count is absent, -1 when its entry cannot be read.
   */
  public static int windows(byte[] data, int length) {
    try {
      Decoder d = new Decoder(new ByteArrayInput("chunk", data), 0, length);
      if (d.readUvarint() == 0) {
        return 0;
      }
      // The entry's encoding byte, then the XOR chunk's 2-byte sample count.
      int at = (int) d.position() + 1;
      return at + 2 <= length ? ((data[at] & 0xff) << 8) | (data[at + 1] & 0xff) : -1;
    } catch (CorruptDataException e) {
      return -1;
    }
  }

  /**
   * Throws unless {@code encoding} is one the aggregate of {@code entry} can have: count, min and max are XOR
   * chunks; sum and counter XOR chunks, or histogram chunks in Thanos's native-histogram aggregates. {@code at} is
   * the offset of the entry's encoding byte.
   */
  public static void checkEncoding(String where, int entry, int encoding, int at) throws CorruptDataException {
    boolean ok = encoding == ChunkEncoding.XOR || (entry == SUM || entry == COUNTER)
        && (encoding == ChunkEncoding.HISTOGRAM || encoding == ChunkEncoding.FLOAT_HISTOGRAM);
    if (!ok) {
      throw new CorruptDataException(where, at, "the " + NAMES[entry] + " aggregate has encoding "
          + ChunkEncoding.name(encoding));
    }
  }

  /**
   * Checks an aggregate chunk without decoding its samples: the entries lie inside the data, each has an encoding
   * its aggregate can have, and the window aggregates present (count, sum, min, max) hold the same number of
   * samples by their headers. This is what the block verifier checks of a downsampled block's chunks; decoding
   * them is {@code AggrChunk.verify}'s.
   *
   * @return the count aggregate's sample count (Thanos's NumSamples), 0 when it is absent
   * @throws CorruptDataException naming {@code where}, the offset and what is wrong
   */
  public static int check(String where, byte[] data, int length) throws CorruptDataException {
    int[] offset = new int[ENTRIES];
    int[] len = new int[ENTRIES];
    int[] encoding = new int[ENTRIES];
    parse(where, data, length, offset, len, encoding);
    int windows = -1;
    for (int i = 0; i < ENTRIES; i++) {
      if (offset[i] < 0) {
        continue;
      }
      checkEncoding(where, i, encoding[i], offset[i] - 1);
      if (len[i] < 2) {
        throw new CorruptDataException(where, offset[i], "the " + NAMES[i] + " aggregate's " + len[i]
            + " bytes do not hold its 2-byte sample count");
      }
      int n = ((data[offset[i]] & 0xff) << 8) | (data[offset[i] + 1] & 0xff);
      if (i == COUNTER) {
        continue;
      }
      if (windows < 0) {
        windows = n;
      } else if (n != windows) {
        throw new CorruptDataException(where, offset[i], "the " + NAMES[i] + " aggregate holds " + n
            + " samples, the aggregates before it " + windows);
      }
    }
    return offset[COUNT] < 0 ? 0 : ((data[offset[COUNT]] & 0xff) << 8) | (data[offset[COUNT] + 1] & 0xff);
  }
}
