package io.tsdbcompactor.store;

import java.nio.charset.StandardCharsets;

/**
 * A cursor over a window [start, end) of a {@link RandomAccessInput}, reading the integer encodings the TSDB
 * formats use: big-endian fixed width, Go's uvarint and varint ({@link Varint}), and uvarint-prefixed strings. Every read checks the window, so a length or offset taken from a damaged file ends in a
 * {@link CorruptDataException} naming the file and offset.
 */
public final class Decoder implements Varint.Input {
  private final RandomAccessInput in;
  private final long start;
  private final long end;
  private long pos;

  public Decoder(RandomAccessInput in, long start, long end) throws CorruptDataException {
    in.checkRange(start, end - start);
    this.in = in;
    this.start = start;
    this.end = end;
    this.pos = start;
  }

  public static Decoder whole(RandomAccessInput in) throws CorruptDataException {
    return new Decoder(in, 0, in.length());
  }

  public RandomAccessInput input() {
    return in;
  }

  public long position() {
    return pos;
  }

  public long start() {
    return start;
  }

  public long end() {
    return end;
  }

  public long remaining() {
    return end - pos;
  }

  public void seek(long newPos) throws CorruptDataException {
    if (newPos < start || newPos > end) {
      throw corrupt(newPos, "position outside section [" + start + ", " + end + ")");
    }
    pos = newPos;
  }

  public void skip(long n) throws CorruptDataException {
    need(n);
    pos += n;
  }

  @Override
  public long byteOffset() {
    return pos;
  }

  @Override
  public int readByte() throws CorruptDataException {
    need(1);
    return in.readByte(pos++) & 0xff;
  }

  public int readIntBE() throws CorruptDataException {
    need(4);
    int v = in.readIntBE(pos);
    pos += 4;
    return v;
  }

  public long readLongBE() throws CorruptDataException {
    need(8);
    long v = in.readLongBE(pos);
    pos += 8;
    return v;
  }

  /** A uvarint that must fit a non-negative int (a length or a 32-bit index). */
  public int readUvarint32() throws CorruptDataException {
    long at = pos;
    long v = readUvarint();
    if (v < 0 || v > Integer.MAX_VALUE) {
      throw corrupt(at, "value " + Long.toUnsignedString(v) + " does not fit 31 bits");
    }
    return (int) v;
  }

  public byte[] readBytes(int n) throws CorruptDataException {
    need(n);
    byte[] b = in.readBytes(pos, n);
    pos += n;
    return b;
  }

  /** A uvarint length followed by that many UTF-8 bytes. */
  public String readUvarintString() throws CorruptDataException {
    int len = readUvarint32();
    return new String(readBytes(len), StandardCharsets.UTF_8);
  }

  /** Reads a 4-byte big-endian CRC32C and compares it with the checksum of [from, position before the CRC). */
  public void readAndCheckCrc32c(long from, String what) throws CorruptDataException {
    long crcAt = pos;
    int stored = readIntBE();
    int actual = in.crc32c(from, crcAt - from);
    if (stored != actual) {
      throw corrupt(crcAt, String.format("CRC32C mismatch in %s: stored %08x, computed %08x", what, stored, actual));
    }
  }

  @Override
  public CorruptDataException corrupt(long at, String problem) {
    return new CorruptDataException(in.name(), at, problem);
  }

  private void need(long n) throws CorruptDataException {
    if (n < 0 || n > end - pos) {
      throw corrupt(pos, "expected " + n + " more bytes but the section ends at " + end);
    }
  }
}
