package io.tsdbcompactor.store;

import java.io.IOException;
import java.util.List;

/**
 * A flat namespace of files with '/'-separated relative names ({@code index}, {@code chunks/000001}), as a
 * block directory holds them. Format code reads and writes only through this interface, so the same code runs
 * on a local directory ({@link FsDirectory}) and in memory ({@link MemoryDirectory}) for tests.
 */
public interface Directory {

  /** A short description for messages, e.g. the absolute path. */
  String describe();

  /** Opens a file for reading; {@link java.nio.file.NoSuchFileException} if it does not exist. */
  RandomAccessInput openInput(String name) throws IOException;

  /** Creates (or replaces, on close) a file; parent folders are created as needed. */
  IndexOutput createOutput(String name) throws IOException;

  /** Whether the file exists. */
  boolean exists(String name) throws IOException;

  /** The file's length in bytes. */
  long fileLength(String name) throws IOException;

  /** Every file below this directory, '/'-separated, sorted bytewise. */
  List<String> listAll() throws IOException;

  /** Deletes a file if it exists. */
  void delete(String name) throws IOException;

  /**
   * Working ints that grow with a block (postings being built, chunk references being checked), outside the
   * heap where this directory can hold them: {@link FsDirectory} maps a hidden temporary file, deleted on close.
   * The default keeps them on the heap.
   */
  default ScratchInts createScratch(String prefix) throws IOException {
    return ScratchInts.onHeap();
  }

  /** Scratch bytes as {@link #createScratch} makes scratch ints: on the heap unless the directory is on disk. */
  default ScratchBytes createScratchBytes(String prefix) {
    return ScratchBytes.onHeap();
  }

  /** Reads a whole (small) file: meta.json, markers. */
  default byte[] readAll(String name) throws IOException {
    try (RandomAccessInput in = openInput(name)) {
      if (in.length() > Integer.MAX_VALUE - 16) {
        throw new CorruptDataException(name, 0, "file too large to read whole: " + in.length() + " bytes");
      }
      return in.readBytes(0, (int) in.length());
    }
  }

  /** Writes a whole (small) file atomically. */
  default void writeAll(String name, byte[] content) throws IOException {
    IndexOutput out = createOutput(name);
    try {
      out.writeBytes(content);
      out.close();
    } catch (IOException | RuntimeException e) {
      out.abort();
      throw e;
    }
  }
}
