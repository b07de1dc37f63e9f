package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Varint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Reads bits, most significant first, from a window of a byte array: the reading half of Prometheus's
 * {@code bstream}. Bits are served from a 64-bit buffer refilled eight bytes at a time. Reading past the
 * window's end throws {@link CorruptDataException} naming the chunk and the byte offset (relative to the start
 * of the chunk data), never an index exception.
 */
public final class BitReader implements Varint.Input {
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private String name;
  private byte[] data;
  /** Offset of the chunk data in {@code data}; error offsets are relative to it. */
  private int base;
  private int pos;
  private int end;
  private long buf;
  /** Number of right-most bits of {@code buf} not yet consumed (0..64). */
  private int valid;

  public BitReader() {}

  /**
   * Reads {@code data[from, end)}; {@code base} is the array index of the start of the chunk data, used for
   * error offsets.
   */
  public void reset(String name, byte[] data, int base, int from, int end) {
    this.name = name;
    this.data = data;
    this.base = base;
    this.pos = from;
    this.end = end;
    this.buf = 0;
    this.valid = 0;
  }

  /** Bits consumed since the start of the window's array (array index * 8). */
  public long bitPosition() {
    return (long) pos * 8 - valid;
  }

  /** Bits left unread in the window. */
  public long bitsLeft() {
    return (long) (end - pos) * 8 + valid;
  }

  /** Byte offset, relative to the chunk data, of the next unread bit. */
  @Override
  public long byteOffset() {
    return (bitPosition() >> 3) - base;
  }

  public int readBit() throws CorruptDataException {
    if (valid == 0) {
      refill(1);
    }
    valid--;
    return (int) (buf >>> valid) & 1;
  }

  /** Reads {@code nbits} (1..64) bits as the right-most bits of the result. */
  public long readBits(int nbits) throws CorruptDataException {
    if (nbits <= valid) {
      valid -= nbits;
      return (buf >>> valid) & (-1L >>> (64 - nbits));
    }
    int need = nbits - valid;
    // valid < nbits <= 64, so the mask below never needs a 64-bit shift.
    long hi = buf & ((1L << valid) - 1);
    valid = 0;
    refill(need);
    valid -= need;
    long lo = (buf >>> valid) & (-1L >>> (64 - need));
    return need == 64 ? lo : (hi << need) | lo;
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
    if (valid > 0 && (buf & ((valid == 64 ? -1L : (1L << valid) - 1))) != 0) {
      return false;
    }
    for (int i = pos; i < end; i++) {
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

  private void refill(int need) throws CorruptDataException {
    int left = end - pos;
    if (left >= 8) {
      buf = (long) LONG_BE.get(data, pos);
      pos += 8;
      valid = 64;
      return;
    }
    if (left * 8 < need) {
      throw corrupt(pos - base, "chunk data ends at byte " + (end - base) + " but " + need
          + " more bits are needed");
    }
    long b = 0;
    for (int i = 0; i < left; i++) {
      b = (b << 8) | (data[pos + i] & 0xff);
    }
    buf = b;
    pos = end;
    valid = left * 8;
  }
}
