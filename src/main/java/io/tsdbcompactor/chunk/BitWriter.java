package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.ByteSink;
import io.tsdbcompactor.store.Varint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Appends bits, most significant first, to a growable byte buffer: the writing half of Prometheus's
 * {@code bstream} ({@code tsdb/chunkenc/bstream.go}), including the length it produces.
 *
 * <p>The length quirk: Prometheus writes whole bytes with {@code writeByte}, which always appends a fresh byte
 * after the one it completes. So when a run of whole-byte writes ends on a byte boundary the stream carries one
 * trailing all-zero byte that no bit belongs to (every one-sample XOR chunk ends with it, for example). A
 * single-bit write consumes that byte again. {@code writeBits(u, n)} is a whole-byte write at its end exactly
 * when {@code n} is a multiple of 8. Byte-identical chunks need the same length, so this writer tracks the
 * state and {@link #length()} reports it.
 *
 * <p>The writer can reserve a fixed number of leading bytes (the XOR chunk's 2-byte sample count) that bit
 * writes never touch.
 */
public final class BitWriter implements Varint.Output {
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final int headerBytes;
  private byte[] buf;
  /** Bytes stored in {@link #buf} (the header included). */
  private int full;
  /**
   * Pending bits, left-aligned: the next bit of the stream is bit 63. They go to {@link #buf} eight bytes at a
   * time, so most writes touch no array.
   */
  private long acc;
  /** Number of pending bits, 0..63 after every call. */
  private int accBits;
  /** The last write was a whole-byte write that ended on a byte boundary: see the class comment. */
  private boolean emptyTail;

  public BitWriter(int headerBytes, int initialCapacity) {
    this.headerBytes = headerBytes;
    this.buf = new byte[Math.max(initialCapacity, headerBytes + 16)];
    this.full = headerBytes;
  }

  /** Forgets all bits; the header bytes are zeroed too. Bytes past the header are always overwritten, never OR-ed. */
  public void reset() {
    Arrays.fill(buf, 0, headerBytes, (byte) 0);
    full = headerBytes;
    acc = 0;
    accBits = 0;
    emptyTail = false;
  }

  public void writeBit(boolean bit) {
    if (accBits < 63) {
      acc |= (bit ? 1L : 0L) << (63 - accBits);
      accBits++;
    } else {
      put(bit ? 1 : 0, 1);
    }
    emptyTail = false;
  }

  /** Writes the {@code nbits} (1..64) right-most bits of {@code u}, left to right. */
  public void writeBits(long u, int nbits) {
    put(u, nbits);
    emptyTail = (nbits & 7) == 0 && (accBits & 7) == 0;
  }

  /**
   * Writes {@code prefixBits} (1..32) right-most bits of {@code prefix}, then {@code nbits} (1..64) of {@code u}:
   * the same bits and the same length as the two {@link #writeBits} calls, in one step when they fit together.
   * The XOR codings write a few control bits before each value or timestamp delta; this halves the calls.
   */
  public void writeBits(long prefix, int prefixBits, long u, int nbits) {
    int total = prefixBits + nbits;
    if (total <= 64) {
      putMasked((prefix & (-1L >>> -prefixBits)) << nbits | (u & (-1L >>> -nbits)), total);
    } else {
      put(prefix, prefixBits);
      put(u, nbits);
    }
    emptyTail = (nbits & 7) == 0 && (accBits & 7) == 0;
  }

  /** Writes one whole byte, as Prometheus's {@code writeByte}. */
  @Override
  public void writeByte(int b) {
    writeBits(b & 0xff, 8);
  }

  /** Appends the {@code n} (1..64) right-most bits of {@code u} to the pending bits, storing eight bytes when full. */
  private void put(long u, int n) {
    putMasked(u & (-1L >>> -n), n);
  }

  /** {@link #put} of bits that are zero left of the {@code n} right-most. */
  private void putMasked(long bits, int n) {
    int free = 64 - accBits;
    if (n < free) {
      acc |= bits << (free - n);
      accBits += n;
      return;
    }
    int rest = n - free;
    acc |= bits >>> rest;
    if (full + 8 > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(full + 16, buf.length * 2));
    }
    LONG_BE.set(buf, full, acc);
    full += 8;
    acc = rest == 0 ? 0 : bits << (64 - rest);
    accBits = rest;
  }

  /** Length in bytes of the stream Prometheus would hold, header included. */
  public int length() {
    return full + (accBits >>> 3) + ((accBits & 7) > 0 || emptyTail ? 1 : 0);
  }

  /** A copy of the stream: header bytes (as set by {@link #setHeaderByte}), bits, zero padding. */
  public byte[] toByteArray() {
    byte[] out = Arrays.copyOf(buf, length());
    for (int i = full, shift = 56; i < out.length; i++, shift -= 8) {
      out[i] = tailByte(shift);
    }
    return out;
  }

  /** Appends the stream, as {@link #toByteArray} has it, to {@code sink}: without the copy in between. */
  public void writeTo(ByteSink sink) {
    sink.writeBytes(buf, 0, full);
    for (int i = full, n = length(), shift = 56; i < n; i++, shift -= 8) {
      sink.writeByte(tailByte(shift));
    }
  }

  /**
   * A byte of the pending bits, most significant first ({@code shift} 56, 48, ...). Past the last pending bit the
   * bits are zero: the padding, and the empty byte a whole-byte write leaves.
   */
  private byte tailByte(int shift) {
    return (byte) (acc >>> shift);
  }

  public void setHeaderByte(int index, int value) {
    if (index < 0 || index >= headerBytes) {
      throw new IndexOutOfBoundsException("header byte " + index + " of " + headerBytes);
    }
    buf[index] = (byte) value;
  }
}
