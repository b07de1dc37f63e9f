package io.tsdbcompactor.store;

import java.io.Closeable;
import java.io.IOException;

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

  /** Flushes, makes the file durable and visible under its name. */
  @Override
  void close() throws IOException;

  /** Discards what was written; the name is left as it was before. Safe to call after close (no-op). */
  void abort();
}
