package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Varint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Reads bits, most significant first, from a window of a byte array: the reading half of Prometheus's
 * {@code bstream}. The reader keeps only a bit position: a read of up to 57 bits loads the eight bytes holding
 * them in one unaligned big-endian load and shifts the bits out, so it keeps no buffer to refill and no state but
 * the position; within eight bytes of the window's end it assembles the bits byte by byte. The XOR decoders also
 * look at the next 57 bits at once ({@link #canPeek}, {@link #peek}, {@link #skip}) to decode a sample's control bits
 * and its value without a read per bit. Reading past the window's end throws {@link CorruptDataException} naming
 * the chunk and the byte offset (relative to the start of the chunk data), never an index exception.
 */
public final class BitReader implements Varint.Input {
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** The fewest bits {@link #peek} returns: a load of eight bytes starting up to seven bits into its first byte. */
  static final int PEEK_BITS = 57;

  private String name;
  private byte[] data;
  /** Offset of the chunk data in {@code data}; error offsets are relative to it. */
  private int base;
  /** Array index of the window's end (exclusive). */
  private int end;
  /** The last array index from which eight bytes lie inside the window. */
  private int lastLoad;
  /** The next bit to read, counted from the start of the array. */
  private long bit;
  /** {@code end * 8}. */
  private long endBit;

  public BitReader() {}

  /**
   * Reads {@code data[from, end)}; {@code base} is the array index of the start of the chunk data, used for
   * error offsets.
   */
  public void reset(String name, byte[] data, int base, int from, int end) {
    this.name = name;
    this.data = data;
    this.base = base;
    this.end = end;
    this.lastLoad = end - 8;
    this.bit = (long) from * 8;
    this.endBit = (long) end * 8;
  }

  /** Bits consumed since the start of the window's array (array index * 8). */
  public long bitPosition() {
    return bit;
  }

  /** Bits left unread in the window. */
  public long bitsLeft() {
    return endBit - bit;
  }

  /** Byte offset, relative to the chunk data, of the next unread bit. */
  @Override
  public long byteOffset() {
    return (bit >> 3) - base;
  }

  public int readBit() throws CorruptDataException {
    long at = bit;
    if (at >= endBit) {
      throw outOfBits(1);
    }
    bit = at + 1;
    return (data[(int) (at >>> 3)] >>> (7 - ((int) at & 7))) & 1;
  }

  /** Reads {@code nbits} (1..64) bits as the right-most bits of the result. */
  public long readBits(int nbits) throws CorruptDataException {
    long at = bit;
    int i = (int) (at >>> 3);
    if (i <= lastLoad) {
      if (nbits <= PEEK_BITS) {
        bit = at + nbits;
        return ((long) LONG_BE.get(data, i) << (at & 7)) >>> (64 - nbits);
      }
      // A raw value or a wide delta: the high bits, then 32 low bits (assembled byte by byte if past the last load).
      return readBits(nbits - 32) << 32 | readBits(32);
    }
    if (endBit - at < nbits) {
      throw outOfBits(nbits);
    }
    long bits = 0;
    for (int need = nbits; need > 0; ) {
      int off = (int) bit & 7;
      int take = Math.min(8 - off, need);
      int b = (data[(int) (bit >>> 3)] & 0xff) >>> (8 - off - take);
      bits = (bits << take) | (b & ((1 << take) - 1));
      bit += take;
      need -= take;
    }
    return bits;
  }

  /** Whether {@link #peek} can look at the next {@link #PEEK_BITS} bits: at least eight bytes are left. */
  boolean canPeek() {
    return (int) (bit >>> 3) <= lastLoad;
  }

  /**
   * The next bits, left-aligned: the next bit to read is bit 63, and at least {@link #PEEK_BITS} of them are the
   * window's. Only when {@link #canPeek}; reads nothing ({@link #skip} does).
   */
  long peek() {
    return (long) LONG_BE.get(data, (int) (bit >>> 3)) << (bit & 7);
  }

  /** Consumes {@code nbits} bits that {@link #peek} showed. */
  void skip(int nbits) {
    bit += nbits;
  }

  @Override
  public int readByte() throws CorruptDataException {
    return (int) readBits(8);
  }

  /**
   * Checks that the window ends where Prometheus's writer would have ended the stream after the bits read so
   * far: the last byte zero-padded, plus the one empty byte a whole-byte write leaves when the last field read
   * was one ({@code lastWholeBytes}; see {@link BitWriter}). Prometheus ignores what follows; we refuse it,
   * because a chunk with trailing bytes was not written by Prometheus. {@code headerBytes} precede the bits.
   */
  public void checkEnd(String chunkKind, int samples, int headerBytes, boolean lastWholeBytes)
      throws CorruptDataException {
    long bits = bitPosition() - (long) (base + headerBytes) * 8;
    int len = end - base;
    long expected = headerBytes + (bits + 7) / 8 + (lastWholeBytes && (bits & 7) == 0 ? 1 : 0);
    if (expected != len || !restIsZero()) {
      throw new CorruptDataException(name, Math.min(expected, len), chunkKind + " chunk of " + samples
          + " samples should be " + expected + " bytes (the samples end at bit " + bits + "), but it is " + len
          + " bytes" + (expected == len ? " with non-zero padding" : ""));
    }
  }

  /** True when every bit left in the window is zero. */
  private boolean restIsZero() {
    int i = (int) (bit >>> 3);
    int off = (int) bit & 7;
    if (off > 0) {
      if ((data[i] & (0xff >>> off)) != 0) {
        return false;
      }
      i++;
    }
    for (; i < end; i++) {
      if (data[i] != 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public CorruptDataException corrupt(long offset, String problem) {
    return new CorruptDataException(name, offset, problem);
  }

  private CorruptDataException outOfBits(int nbits) {
    return corrupt(byteOffset(), "chunk data ends at byte " + (end - base) + " but " + (nbits - bitsLeft())
        + " more bits are needed");
  }
}
