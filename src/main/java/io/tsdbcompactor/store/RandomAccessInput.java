package io.tsdbcompactor.store;

import java.io.Closeable;
import java.io.IOException;

/**
 * A read-only file addressed by absolute position. Implementations must be safe for concurrent reads from
 * several threads (no shared cursor); {@link Decoder} adds a cursor on top.
 *
 * <p>Every read outside [0, length) throws {@link CorruptDataException} naming the file: callers that follow
 * offsets found inside a file get a clear error, never an IndexOutOfBoundsException.
 */
public interface RandomAccessInput extends Closeable {

  /** Name used in error messages: the file's path relative to its directory. */
  String name();

  long length();

  byte readByte(long pos) throws CorruptDataException;

  void readBytes(long pos, byte[] dst, int off, int len) throws CorruptDataException;

  default byte[] readBytes(long pos, int len) throws CorruptDataException {
    checkRange(pos, len);
    byte[] b = new byte[len];
    readBytes(pos, b, 0, len);
    return b;
  }

  default int readIntBE(long pos) throws CorruptDataException {
    checkRange(pos, 4);
    return ((readByte(pos) & 0xff) << 24)
        | ((readByte(pos + 1) & 0xff) << 16)
        | ((readByte(pos + 2) & 0xff) << 8)
        | (readByte(pos + 3) & 0xff);
  }

  default long readLongBE(long pos) throws CorruptDataException {
    checkRange(pos, 8);
    return ((long) readIntBE(pos) << 32) | (readIntBE(pos + 4) & 0xffffffffL);
  }

  /** CRC32C (Castagnoli) of {@code len} bytes starting at {@code pos}. */
  default int crc32c(long pos, long len) throws CorruptDataException {
    checkRange(pos, len);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    byte[] buf = new byte[(int) Math.min(len, 64 * 1024)];
    long done = 0;
    while (done < len) {
      int n = (int) Math.min(buf.length, len - done);
      readBytes(pos + done, buf, 0, n);
      crc.update(buf, 0, n);
      done += n;
    }
    return (int) crc.getValue();
  }

  default void checkRange(long pos, long len) throws CorruptDataException {
    if (pos < 0 || len < 0 || pos > length() - len) {
      throw new CorruptDataException(name(), pos,
          "expected " + len + " bytes but the file is " + length() + " bytes long");
    }
  }

  @Override
  void close() throws IOException;
}
