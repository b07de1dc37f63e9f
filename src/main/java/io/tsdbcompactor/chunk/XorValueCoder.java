package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;

/**
 * Gorilla's XOR coding of one stream of float64 values, as Prometheus's {@code xorWrite} and {@code xorRead}
 * ({@code tsdb/chunkenc/xor.go}) do it for the XOR chunk's values and, one window per field, for the
 * histogram chunks' sum, counts and buckets. One instance holds the state of one stream: the previous value's
 * bits and the current window of leading and trailing zero bits. The first value of a chunk goes in raw
 * ({@link #writeFirst}, {@link #readFirst}); each later one as
 * <pre>
 *   '0'                                       value equal to the previous one
 *   '1' '0' bits[64 - leading - trailing]     the XOR with the previous value fits the current window
 *   '1' '1' leading[5] sig[6] bits[sig]       a new window: leading zeros (at most 31), significant bits
 *                                             (64 is written as 0), then the XOR shifted right by the trailing zeros
 * </pre>
 * The encoder starts without a window (Prometheus's leading = 0xff), so its second value always opens one; the
 * decoder starts, as Prometheus's iterators do, with leading = trailing = 0.
 */
public final class XorValueCoder {
  /** Prometheus's "no window yet" leading-zero count. */
  private static final int NO_WINDOW = 0xff;

  private long prev;
  private int leading;
  private int trailing;
  /** The last value read ended with a whole-byte write of Prometheus's bit stream (see {@link BitWriter}). */
  private boolean lastReadWholeBytes;

  /** {@code n} fresh coders: the histogram chunks keep one per field. */
  static XorValueCoder[] array(int n) {
    XorValueCoder[] coders = new XorValueCoder[n];
    for (int i = 0; i < n; i++) {
      coders[i] = new XorValueCoder();
    }
    return coders;
  }

  /** The bits of the value last written or read. */
  public long bits() {
    return prev;
  }

  /** Writes the chunk's first value raw and starts the stream at it, without a window. */
  public void writeFirst(BitWriter out, long bits) {
    out.writeBits(bits, 64);
    prev = bits;
    leading = NO_WINDOW;
    trailing = 0;
  }

  /** Writes {@code bits} XOR-coded against the previous value. */
  public void write(BitWriter out, long bits) {
    write(out, 0, bits);
  }

  /**
   * Writes {@code zeros} (0 or 1) zero bits, then {@code bits} XOR-coded against the previous value, in one
   * write where they fit: the XOR chunk's '0' for an unchanged timestamp delta goes out with the value that
   * follows it. Leading zeros only widen the control bits' field, so the bits and the length ({@link BitWriter}'s
   * trailing-byte rule looks at the last field only) are those of the separate writes.
   */
  public void write(BitWriter out, int zeros, long bits) {
    long x = bits ^ prev;
    prev = bits;
    if (x == 0) {
      out.writeBits(0, 1 + zeros);
      return;
    }
    int lead = Long.numberOfLeadingZeros(x);
    int trail = Long.numberOfTrailingZeros(x);
    if (lead >= 32) {
      // The window's leading count has five bits.
      lead = 31;
    }
    // Control bits and value go out in one write where they fit (BitWriter: the same bits and length).
    if (leading != NO_WINDOW && lead >= leading && trail >= trailing) {
      out.writeBits(0b10, 2 + zeros, x >>> trailing, 64 - leading - trailing);
    } else {
      leading = lead;
      trailing = trail;
      int sig = 64 - lead - trail;
      // '1' '1', five bits of leading zeros, then six of sig: 1..64, 64 as 000000, which the reader maps back.
      out.writeBits(0b11L << 11 | (long) lead << 6 | (sig & 63), 13 + zeros, x >>> trail, sig);
    }
  }

  /** Reads the chunk's first value raw and starts the stream at it. */
  public long readFirst(BitReader in) throws CorruptDataException {
    prev = in.readBits(64);
    leading = 0;
    trailing = 0;
    lastReadWholeBytes = true;
    return prev;
  }

  /**
   * Decodes the next value from {@code w}, the next bits of the stream left-aligned of which {@code avail} are the
   * stream's, and returns how many bits it took; 0, taking nothing, when the value does not fit in them or its
   * window is too wide to be read (then {@link #read} reads it bit by bit, and reports the damage).
   */
  int readPeeked(long w, int avail) {
    if (w >= 0) {
      lastReadWholeBytes = false;
      return 1;
    }
    if (w << 1 >= 0) {
      int sig = 64 - leading - trailing;
      if (2 + sig > avail) {
        return 0;
      }
      prev ^= (w << 2 >>> -sig) << trailing;
      lastReadWholeBytes = (sig & 7) == 0;
      return 2 + sig;
    }
    int lead = (int) (w << 2 >>> 59);
    int sig = (int) (w << 7 >>> 58);
    if (sig == 0 || lead + sig > 64 || 13 + sig > avail) {
      return 0;
    }
    leading = lead;
    trailing = 64 - lead - sig;
    prev ^= (w << 13 >>> -sig) << trailing;
    lastReadWholeBytes = (sig & 7) == 0;
    return 13 + sig;
  }

  /**
   * Reads the next value and returns its bits. {@code sample} only names the sample in the error for a window
   * wider than 64 bits.
   */
  public long read(BitReader in, int sample) throws CorruptDataException {
    if (in.canPeek()) {
      int used = readPeeked(in.peek(), BitReader.PEEK_BITS);
      if (used > 0) {
        in.skip(used);
        return prev;
      }
    }
    if (in.readBit() == 0) {
      lastReadWholeBytes = false;
      return prev;
    }
    if (in.readBit() != 0) {
      long at = in.byteOffset();
      int lead = (int) in.readBits(5);
      int sig = (int) in.readBits(6);
      if (sig == 0) {
        sig = 64;
      }
      if (lead + sig > 64) {
        throw windowTooWide(in, at, lead, sig, sample);
      }
      leading = lead;
      trailing = 64 - lead - sig;
    }
    int sig = 64 - leading - trailing;
    prev ^= in.readBits(sig) << trailing;
    lastReadWholeBytes = (sig & 7) == 0;
    return prev;
  }

  private static CorruptDataException windowTooWide(BitReader in, long at, int lead, int sig, int sample) {
    return in.corrupt(at, "XOR value window of " + lead + " leading zeros and " + sig
        + " significant bits exceeds 64 bits (sample " + sample + ")");
  }

  /**
   * Whether the last {@link #readFirst} or {@link #read} ended with what Prometheus wrote as a whole-byte write: the significant bits
   * go out in one {@code writeBits} call, which is one when their count is a multiple of 8. The iterators need
   * it to tell where Prometheus's bit stream ends (see {@link BitWriter}'s length rule).
   */
  public boolean lastReadWholeBytes() {
    return lastReadWholeBytes;
  }
}
