package io.tsdbcompactor.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A growable byte array for working data that grows with a block (an index's symbol table, one entry per distinct
 * label value) and would otherwise have to fit the heap: {@link #append} adds bytes at the end, {@link #read} and
 * {@link #equalsAt} address any bytes written. The bytes stay in a heap array up to a bound, then move to a temporary
 * file mapped in 64 MiB slices (page cache, not heap or anonymous memory), as {@link ScratchInts#spilling} does for
 * ints; the file is deleted on {@link #close()}. Not thread-safe.
 */
public final class ScratchBytes implements Closeable {
  /** 64 MiB per mapping. */
  private static final int SLICE_SHIFT = 26;

  private final int sliceShift;
  private final int sliceMask;
  private final Path dir;
  private final String prefix;
  private final int heapBytes;
  private byte[] heap = new byte[256];
  private long size;
  private Path file;
  private FileChannel channel;
  private MappedByteBuffer[] slices;

  /** Slices of {@code 1 << sliceShift} bytes (tests: small slices, so bytes span them). */
  ScratchBytes(Path dir, String prefix, int heapBytes, int sliceShift) {
    this.sliceShift = sliceShift;
    this.sliceMask = (1 << sliceShift) - 1;
    this.dir = dir;
    this.prefix = prefix;
    this.heapBytes = heapBytes;
  }

  /** Bytes on the heap only (directories in memory). */
  public static ScratchBytes onHeap() {
    return new ScratchBytes(null, null, Integer.MAX_VALUE - 16, SLICE_SHIFT);
  }

  /**
   * Bytes on the heap until there are more than {@code heapBytes} of them, then in a temporary file in {@code dir}
   * whose name starts with {@code prefix}, created only then. Where the file cannot be created the bytes stay on the
   * heap.
   */
  public static ScratchBytes spilling(Path dir, String prefix, int heapBytes) {
    return new ScratchBytes(dir, prefix, heapBytes, SLICE_SHIFT);
  }

  /** The number of bytes written. */
  public long size() {
    return size;
  }

  /** Appends {@code b[off, off + len)}. */
  public void append(byte[] b, int off, int len) throws IOException {
    long end = size + len;
    if (slices == null && end > heap.length) {
      if (end <= heapBytes || !spill()) {
        if (end > Integer.MAX_VALUE - 16) {
          throw new IOException("more than 2 GiB of scratch bytes in memory");
        }
        long cap = end <= heapBytes ? heapBytes : Integer.MAX_VALUE - 16;
        heap = Arrays.copyOf(heap, (int) Math.min(cap, Math.max(end, 2L * heap.length)));
      }
    }
    if (slices == null) {
      System.arraycopy(b, off, heap, (int) size, len);
    } else {
      for (int done = 0; done < len; ) {
        long at = size + done;
        MappedByteBuffer slice = slice(at);
        int n = Math.min(len - done, (1 << sliceShift) - (int) (at & sliceMask));
        slice.put((int) (at & sliceMask), b, off + done, n);
        done += n;
      }
    }
    size = end;
  }

  /** Copies {@code len} bytes from {@code pos} into {@code dst[off, off + len)}. */
  public void read(long pos, byte[] dst, int off, int len) {
    if (slices == null) {
      System.arraycopy(heap, (int) pos, dst, off, len);
      return;
    }
    for (int done = 0; done < len; ) {
      long at = pos + done;
      int n = Math.min(len - done, (1 << sliceShift) - (int) (at & sliceMask));
      slices[(int) (at >>> sliceShift)].get((int) (at & sliceMask), dst, off + done, n);
      done += n;
    }
  }

  /** Whether the {@code b.length} bytes at {@code pos} equal {@code b}; {@code scratch} holds them when mapped. */
  public boolean equalsAt(long pos, byte[] b, byte[] scratch) {
    if (slices == null) {
      return Arrays.equals(heap, (int) pos, (int) pos + b.length, b, 0, b.length);
    }
    read(pos, scratch, 0, b.length);
    return Arrays.equals(scratch, 0, b.length, b, 0, b.length);
  }

  /** The heap array holding the bytes, or null once they have moved to the file: a fast path for small tables. */
  public byte[] heapArray() {
    return slices == null ? heap : null;
  }

  /** Moves the bytes to a mapped file; false (bytes stay on the heap) when no file can be made here. */
  private boolean spill() {
    if (dir == null) {
      return false;
    }
    try {
      Files.createDirectories(dir);
      file = Files.createTempFile(dir, prefix, ".bytes");
      channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException | UnsupportedOperationException e) {
      closeFile();
      return false;
    }
    slices = new MappedByteBuffer[4];
    byte[] old = heap;
    long written = size;
    heap = null;
    size = 0;
    try {
      for (long at = 0; at < written; ) {
        int n = (int) Math.min(written - at, 1 << 20);
        MappedByteBuffer slice = slice(at);
        int inSlice = Math.min(n, (1 << sliceShift) - (int) (at & sliceMask));
        slice.put((int) (at & sliceMask), old, (int) at, inSlice);
        at += inSlice;
      }
    } catch (IOException e) {
      closeFile();
      slices = null;
      heap = old;
      size = written;
      return false;
    }
    size = written;
    return true;
  }

  /** The mapped slice holding byte {@code at}, mapped (growing the sparse file) on first use. */
  private MappedByteBuffer slice(long at) throws IOException {
    int s = (int) (at >>> sliceShift);
    if (s >= slices.length) {
      slices = Arrays.copyOf(slices, Math.max(s + 1, 2 * slices.length));
    }
    if (slices[s] == null) {
      slices[s] = channel.map(FileChannel.MapMode.READ_WRITE, (long) s << sliceShift, 1L << sliceShift);
    }
    return slices[s];
  }

  private void closeFile() {
    try {
      if (channel != null) {
        channel.close();
      }
      if (file != null) {
        Files.deleteIfExists(file);
      }
    } catch (IOException ignored) {
      // A stray scratch file is hidden and removed with the work directory.
    }
    channel = null;
    file = null;
  }

  /** Releases the bytes (deletes the file; the mapping goes when the collector releases it). */
  @Override
  public void close() {
    heap = new byte[0];
    size = 0;
    slices = null;
    closeFile();
  }
}
