package io.tsdbcompactor.store;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A growable byte buffer with the TSDB integer encodings (the writer-side twin of {@link Decoder}). Format
 * writers build a section or an entry here, checksum it, then hand it to an {@link IndexOutput}.
 */
public final class ByteSink implements Varint.Output {
  private byte[] buf;
  private int len;

  public ByteSink() {
    this(256);
  }

  public ByteSink(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  public int length() {
    return len;
  }

  public void reset() {
    len = 0;
  }

  public byte[] array() {
    return buf;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      long want = Math.max((long) buf.length * 2, (long) len + extra);
      if (want > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("buffer would pass 2 GiB");
      }
      buf = Arrays.copyOf(buf, (int) want);
    }
  }

  @Override
  public void writeByte(int b) {
    ensure(1);
    buf[len++] = (byte) b;
  }

  public void writeBytes(byte[] b) {
    writeBytes(b, 0, b.length);
  }

  public void writeBytes(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
  }

  public void writeIntBE(int v) {
    ensure(4);
    buf[len++] = (byte) (v >>> 24);
    buf[len++] = (byte) (v >>> 16);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
  }

  /** Overwrites 4 bytes at {@code at}, for length fields written before their content is known. */
  public void putIntBE(int at, int v) {
    buf[at] = (byte) (v >>> 24);
    buf[at + 1] = (byte) (v >>> 16);
    buf[at + 2] = (byte) (v >>> 8);
    buf[at + 3] = (byte) v;
  }

  public void writeLongBE(long v) {
    writeIntBE((int) (v >>> 32));
    writeIntBE((int) v);
  }

  /** CRC32C of [from, length()). */
  public int crc32c(int from) {
    CRC32C crc = new CRC32C();
    crc.update(buf, from, len - from);
    return (int) crc.getValue();
  }

  /** Appends the CRC32C of [from, length()) as 4 big-endian bytes. */
  public void writeCrc32c(int from) {
    writeIntBE(crc32c(from));
  }
}
