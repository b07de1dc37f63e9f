package io.tsdbcompactor.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A file being written front to back. It knows its position, so format writers can record offsets
 * (chunk references, series references, TOC entries) as they go. Nothing is visible under the file's name
 * until {@link #close()} succeeds; {@link #abort()} throws the partial file away.
 */
public interface IndexOutput extends Closeable {

  String name();

  long position();

  void writeByte(int b) throws IOException;

  void writeBytes(byte[] b, int off, int len) throws IOException;

  default void writeBytes(byte[] b) throws IOException {
    writeBytes(b, 0, b.length);
  }

  default void write(ByteSink sink) throws IOException {
    writeBytes(sink.array(), 0, sink.length());
  }

  default void writeIntBE(int v) throws IOException {
    writeByte(v >>> 24);
    writeByte(v >>> 16);
    writeByte(v >>> 8);
    writeByte(v);
  }

  default void writeLongBE(long v) throws IOException {
    writeIntBE((int) (v >>> 32));
    writeIntBE((int) v);
  }

  /** Writes zero bytes until the position is a multiple of {@code alignment}. */
  default void alignTo(int alignment) throws IOException {
    long rem = position() % alignment;
    if (rem != 0) {
      for (long i = rem; i < alignment; i++) {
        writeByte(0);
      }
    }
  }

  /**
   * Opens a channel that reads this file while it is still being written, for a copy that starts before the file
   * is whole (a block's upload, {@link WatchedDirectory}): it reads every byte written before the last
   * {@link #flush}, and keeps reading them once {@link #close} has moved the file into place. The caller closes
   * it. Null (the default) where there is no such file: the file can then only be read once it is closed.
   */
  default FileChannel openReader() throws IOException {
    return null;
  }

  /** Hands what is buffered to the file that {@link #openReader} reads (no sync to the disk). */
  default void flush() throws IOException {}

  /** Flushes, makes the file durable and visible under its name. */
  @Override
  void close() throws IOException;

  /** Discards what was written; the name is left as it was before. Safe to call after close (no-op). */
  void abort();
}
