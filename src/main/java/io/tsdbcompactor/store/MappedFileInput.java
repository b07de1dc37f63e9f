package io.tsdbcompactor.store;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memory-mapped file. Index files can pass 2 GiB, which one {@link MappedByteBuffer} cannot address, so the
 * file is mapped in 1 GiB slices and a position picks its slice. The page cache, not the heap, holds the data.
 */
public final class MappedFileInput implements RandomAccessInput {
  private static final int SLICE_SHIFT = 30;
  private static final long SLICE_MASK = (1L << SLICE_SHIFT) - 1;

  private final String name;
  private final long length;
  private final MappedByteBuffer[] slices;
  /** The bytes still being downloaded into the file, or null: then no read waits. */
  private final ArrivingBytes arrival;
  /** With an arrival: the prefix known to have arrived, renewed only when a read passes it. */
  private volatile long known;

  public MappedFileInput(Path path, String name) throws IOException {
    this(path, name, null);
  }

  /**
   * A file being downloaded into in place, already at its final length ({@code arrival}, or null for a whole file):
   * each read first waits until its bytes have arrived. A download that fails is no fault of the file's format, so a
   * read that waited for it throws {@link ArrivingBytes.DownloadFailedException}, unchecked, as the read methods
   * declare only format errors. The check lives here rather than in a wrapper so that the readers' calls keep one
   * receiver class, which the JIT inlines; a whole file pays one null check per read.
   */
  public MappedFileInput(Path path, String name, ArrivingBytes arrival) throws IOException {
    this.name = name;
    this.arrival = arrival;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      this.length = ch.size();
      int count = (int) ((length + SLICE_MASK) >>> SLICE_SHIFT);
      slices = new MappedByteBuffer[count];
      for (int i = 0; i < count; i++) {
        long start = (long) i << SLICE_SHIFT;
        slices[i] = ch.map(FileChannel.MapMode.READ_ONLY, start, Math.min(1L << SLICE_SHIFT, length - start));
      }
    }
  }

  private void await(long pos, long len) {
    long end = pos + len;
    if (end <= known || pos < 0 || len < 0 || end > length) {
      return; // there, or out of range: checkRange names the file in its error
    }
    try {
      known = arrival.await(end);
    } catch (IOException e) {
      throw new ArrivingBytes.DownloadFailedException(e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public byte readByte(long pos) throws CorruptDataException {
    if (pos < 0 || pos >= length) {
      checkRange(pos, 1);
    }
    if (arrival != null) {
      await(pos, 1);
    }
    return slices[(int) (pos >>> SLICE_SHIFT)].get((int) (pos & SLICE_MASK));
  }

  @Override
  public void readBytes(long pos, byte[] dst, int off, int len) throws CorruptDataException {
    checkRange(pos, len);
    if (arrival != null) {
      await(pos, len);
    }
    while (len > 0) {
      MappedByteBuffer slice = slices[(int) (pos >>> SLICE_SHIFT)];
      int inSlice = (int) (pos & SLICE_MASK);
      int n = Math.min(len, slice.limit() - inSlice);
      slice.get(inSlice, dst, off, n);
      pos += n;
      off += n;
      len -= n;
    }
  }

  @Override
  public int readIntBE(long pos) throws CorruptDataException {
    checkRange(pos, 4);
    if (arrival != null) {
      await(pos, 4);
    }
    int inSlice = (int) (pos & SLICE_MASK);
    MappedByteBuffer slice = slices[(int) (pos >>> SLICE_SHIFT)];
    if (inSlice <= slice.limit() - 4) {
      return slice.getInt(inSlice);
    }
    return RandomAccessInput.super.readIntBE(pos);
  }

  /** Straight from the mapping: CRC32C's intrinsic reads the direct buffer, with no copy onto the heap. */
  @Override
  public int crc32c(long pos, long len) throws CorruptDataException {
    checkRange(pos, len);
    if (arrival != null) {
      await(pos, len);
    }
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    while (len > 0) {
      MappedByteBuffer slice = slices[(int) (pos >>> SLICE_SHIFT)];
      int inSlice = (int) (pos & SLICE_MASK);
      int n = (int) Math.min(len, slice.limit() - inSlice);
      crc.update(slice.slice(inSlice, n));
      pos += n;
      len -= n;
    }
    return (int) crc.getValue();
  }

  @Override
  public void close() {
    // Mapped buffers are released by the garbage collector; Java 17 has no supported way to unmap early.
  }
}
