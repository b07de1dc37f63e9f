package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;

/**
 * Decodes an XOR chunk (format in {@link XorEncoder}) sample by sample, as Prometheus 2.42's
 * {@code xorIterator} does, with every read bounds-checked. Reusable through {@link #reset}.
 *
 * <p>Damage is reported as {@link CorruptDataException} naming the chunk (the name the caller gave, e.g. the
 * segment file and reference) and the byte offset inside the chunk data:
 * <ul>
 *   <li>data shorter than the 2-byte count, or bits running out before the count is reached;
 *   <li>a varint longer than 64 bits; a value window with more than 64 bits;
 *   <li>bytes after the last sample other than what Prometheus's bit stream leaves there (zero padding of the
 *       last byte, plus the one empty byte a whole-byte write leaves, see {@link BitWriter}). Prometheus itself
 *       ignores trailing bytes; we refuse them because a chunk with trailing garbage was not written by it.
 * </ul>
 * The trailing-byte check runs when {@link #next()} first returns false. Timestamp order is not checked here
 * (the format allows any order); {@link ChunkMerger} checks it for chunks it decodes.
 */
public final class XorIterator implements SampleIterator {
  private final BitReader in = new BitReader();
  private String name;
  private byte[] data;
  private int off;
  private int len;

  private int total = -1;
  private int read;
  private boolean done;
  private long t;
  private long tDelta;
  /** The values: the current one is {@code value.bits()}. */
  private final XorValueCoder value = new XorValueCoder();

  /** An iterator to be {@link #reset} before use. */
  public XorIterator() {}

  /** An iterator over one XOR chunk's bytes; {@code nameForErrors} goes into corruption messages. */
  public XorIterator(String nameForErrors, byte[] data) {
    reset(nameForErrors, data, 0, data.length);
  }

  /** Starts iterating another chunk, reusing this object. */
  public void reset(String nameForErrors, byte[] data) {
    reset(nameForErrors, data, 0, data.length);
  }

  /** Iterates the XOR chunk data in {@code data[off, off + len)}. */
  public void reset(String nameForErrors, byte[] data, int off, int len) {
    if (off < 0 || len < 0 || off > data.length - len) {
      throw new IndexOutOfBoundsException("window [" + off + ", +" + len + ") of " + data.length + " bytes");
    }
    this.name = nameForErrors;
    this.data = data;
    this.off = off;
    this.len = len;
    this.total = -1;
    this.read = 0;
    this.done = false;
    this.t = 0;
    this.tDelta = 0;
  }

  /** The sample count from the chunk header. */
  public int numSamples() throws CorruptDataException {
    if (total < 0) {
      readHeader();
    }
    return total;
  }

  @Override
  public boolean next() throws CorruptDataException {
    if (read == total) {
      if (!done) {
        done = true;
        checkEnd();
      }
      return false;
    }
    if (total < 0) {
      readHeader();
      return next();
    }
    if (read == 0) {
      t = in.readVarint();
      value.readFirst(in);
      read = 1;
      return true;
    }
    if (read == 1) {
      tDelta = in.readUvarint();
      t += tDelta;
    } else if (in.canPeek()) {
      // The control bits, the delta-of-delta and, where it fits the rest of the 57 bits peeked, the value in one look.
      long w = in.peek();
      long dod;
      int used;
      // One case per width, constants only: the width computed from the count of ones (11 + 3 * ones) made
      // XorBenchmark.decode 0.59 times as fast.
      switch (Long.numberOfLeadingZeros(~w)) {
        case 0:
          dod = 0;
          used = 1;
          break;
        case 1:
          dod = signed(w << 2 >>> 50, 14);
          used = 16;
          break;
        case 2:
          dod = signed(w << 3 >>> 47, 17);
          used = 20;
          break;
        case 3:
          dod = signed(w << 4 >>> 44, 20);
          used = 24;
          break;
        default:
          in.skip(4);
          dod = in.readBits(64);
          used = 0;
      }
      tDelta += dod;
      t += tDelta;
      if (used > 0) {
        int v = value.readPeeked(w << used, BitReader.PEEK_BITS - used);
        if (v > 0) {
          in.skip(used + v);
          read++;
          return true;
        }
        in.skip(used);
      }
    } else {
      long dod;
      if (in.readBit() == 0) {
        dod = 0;
      } else if (in.readBit() == 0) {
        dod = signed(in.readBits(14), 14);
      } else if (in.readBit() == 0) {
        dod = signed(in.readBits(17), 17);
      } else if (in.readBit() == 0) {
        dod = signed(in.readBits(20), 20);
      } else {
        dod = in.readBits(64);
      }
      tDelta += dod;
      t += tDelta;
    }
    readValue();
    read++;
    return true;
  }

  /** Prometheus's reading of an n-bit delta-of-delta: above 2^(n-1) means negative. */
  private static long signed(long bits, int n) {
    return bits > (1L << (n - 1)) ? bits - (1L << n) : bits;
  }

  private void readValue() throws CorruptDataException {
    value.read(in, read);
  }

  private void readHeader() throws CorruptDataException {
    if (len < 2) {
      throw new CorruptDataException(name, 0, "XOR chunk of " + len + " bytes has no 2-byte sample count");
    }
    total = ((data[off] & 0xff) << 8) | (data[off + 1] & 0xff);
    in.reset(name, data, off, off + 2, off + len);
  }

  /** The stream must end where Prometheus's writer would have ended it. */
  private void checkEnd() throws CorruptDataException {
    // The last field of every sample is its value, and of a one-sample chunk the raw first value.
    in.checkEnd(ChunkEncoding.name(ChunkEncoding.XOR), total, 2, total > 0 && value.lastReadWholeBytes());
  }

  @Override
  public long timestamp() {
    return t;
  }

  @Override
  public double value() {
    return Double.longBitsToDouble(value.bits());
  }

  /**
   * Raw IEEE bits of the current value, exactly as encoded: for callers that must carry NaN payloads (Prometheus's
   * stale marker is one) without a trip through {@code double}, which the JVM does not promise to keep bit for bit
   * for signalling NaNs ({@link Double#longBitsToDouble}). Published reading API (docs/library.md); the compactor itself does not call it.
   */
  public long valueBits() {
    return value.bits();
  }
}
