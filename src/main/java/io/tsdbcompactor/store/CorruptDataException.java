package io.tsdbcompactor.store;

import java.io.IOException;

/**
 * Bytes on disk or in a bucket that do not follow the format: a bad magic number, a CRC mismatch, a length
 * that points past the end, a truncated file. Always names the file, the offset and what was expected, so an
 * operator can find the block and the file that broke.
 */
public class CorruptDataException extends IOException {
  private final String file;
  private final long offset;

  public CorruptDataException(String file, long offset, String problem) {
    super(file + " at offset " + offset + ": " + problem);
    this.file = file;
    this.offset = offset;
  }

  public CorruptDataException(String file, long offset, String problem, Throwable cause) {
    super(file + " at offset " + offset + ": " + problem, cause);
    this.file = file;
    this.offset = offset;
  }

  /** The file's name as the reader knew it (block directory and relative path where known). */
  public String file() {
    return file;
  }

  /** Byte offset inside the file where the problem was found. */
  public long offset() {
    return offset;
  }
}
