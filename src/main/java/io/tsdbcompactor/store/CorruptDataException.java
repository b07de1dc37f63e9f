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
  private final String problem;

  public CorruptDataException(String file, long offset, String problem) {
    super(file + " at offset " + offset + ": " + problem);
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }

  public CorruptDataException(String file, long offset, String problem, Throwable cause) {
    super(file + " at offset " + offset + ": " + problem, cause);
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }

  /**
   * The same problem at the same offset, naming {@code file} instead: for a hot loop that gives its decoders a
   * short name (the segment file) and builds the full one (the chunk reference too) only when something broke.
   */
  public CorruptDataException in(String file) {
    CorruptDataException e = new CorruptDataException(file, offset, problem, getCause());
    e.setStackTrace(getStackTrace());
    return e;
  }

  /** The file's name as the reader knew it (block directory and relative path where known). */
  public String file() {
    return file;
  }

  /** Byte offset inside the file where the problem was found. */
  public long offset() {
    return offset;
  }

  /** What is wrong, without the file and offset. */
  public String problem() {
    return problem;
  }
}
