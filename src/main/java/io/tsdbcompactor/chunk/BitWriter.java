package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.Varint;
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
  private final int headerBytes;
  private byte[] buf;
  /** Bytes completely written (after the header). */
  private int full;
  /** Pending bits, right-aligned; fewer than 8 after every public call. */
  private long acc;
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
    acc = (acc << 1) | (bit ? 1 : 0);
    if (++accBits == 8) {
      flushByte();
    }
    emptyTail = false;
  }

  /** Writes the {@code nbits} (1..64) right-most bits of {@code u}, left to right. */
  public void writeBits(long u, int nbits) {
    if (nbits > 56) {
      // Keep acc << n inside 64 bits: acc holds at most 7 bits.
      put(u >>> 32, nbits - 32);
      put(u, 32);
    } else {
      put(u, nbits);
    }
    emptyTail = (nbits & 7) == 0 && accBits == 0;
  }

  /**
   * Writes {@code prefixBits} (1..32) right-most bits of {@code prefix}, then {@code nbits} (1..64) of {@code u}:
   * the same bits and the same length as the two {@link #writeBits} calls, in one step when they fit together.
   * The XOR codings write a few control bits before each value or timestamp delta; this halves the calls.
   */
  public void writeBits(long prefix, int prefixBits, long u, int nbits) {
    int total = prefixBits + nbits;
    if (total <= 56) {
      put((prefix << nbits) | (u & (-1L >>> (64 - nbits))), total);
      emptyTail = (nbits & 7) == 0 && accBits == 0;
    } else {
      put(prefix, prefixBits);
      writeBits(u, nbits);
    }
  }

  /** Writes one whole byte, as Prometheus's {@code writeByte}. */
  @Override
  public void writeByte(int b) {
    writeBits(b & 0xff, 8);
  }

  private void put(long u, int n) {
    acc = (acc << n) | (u & (-1L >>> (64 - n)));
    accBits += n;
    if (accBits >= 8) {
      ensure(full + (accBits >> 3) + 2);
      while (accBits >= 8) {
        accBits -= 8;
        buf[full++] = (byte) (acc >>> accBits);
      }
      acc &= (1L << accBits) - 1;
    }
  }

  private void flushByte() {
    ensure(full + 2);
    buf[full++] = (byte) acc;
    acc = 0;
    accBits = 0;
  }

  private void ensure(int n) {
    if (n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(n, buf.length * 2));
    }
  }

  /** Length in bytes of the stream Prometheus would hold, header included. */
  public int length() {
    return full + (accBits > 0 || emptyTail ? 1 : 0);
  }

  /** A copy of the stream: header bytes (as set by {@link #setHeaderByte}), bits, zero padding. */
  public byte[] toByteArray() {
    byte[] out = Arrays.copyOf(buf, length());
    if (accBits > 0) {
      out[full] = (byte) (acc << (8 - accBits));
    } else if (emptyTail) {
      out[full] = 0;
    }
    return out;
  }

  public void setHeaderByte(int index, int value) {
    if (index < 0 || index >= headerBytes) {
      throw new IndexOutOfBoundsException("header byte " + index + " of " + headerBytes);
    }
    buf[index] = (byte) value;
  }
}
