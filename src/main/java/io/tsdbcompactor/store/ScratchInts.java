package io.tsdbcompactor.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A growable array of ints for working data that grows with a block (one entry per series, label or chunk)
 * and would otherwise have to fit the heap: {@link #add} appends, {@link #get} and {@link #set} address any
 * index below {@link #size()}, and {@link #ensureSize} extends the array with zeros.
 *
 * <p>{@link #mapped} keeps the ints in a temporary file mapped into memory in 64 MiB slices, so they live in
 * the page cache (shared, file-backed memory the kernel can write out and drop) rather than on the heap or in
 * anonymous memory; the file is deleted on {@link #close()}. {@link #onHeap} is the same on an {@code int[]},
 * for directories in memory. Not thread-safe.
 */
public abstract class ScratchInts implements Closeable {
  long size;

  /** The number of ints. */
  public final long size() {
    return size;
  }

  /** Appends one int. */
  public void add(int v) throws IOException {
    ensureSize(size + 1);
    set(size - 1, v);
  }

  /** Extends the array to at least {@code n} ints; the new ones are zero. */
  public abstract void ensureSize(long n) throws IOException;

  public abstract int get(long i);

  public abstract void set(long i, int v);

  /** Releases the ints (deletes the file). */
  @Override
  public abstract void close() throws IOException;

  /** Ints on the heap. */
  public static ScratchInts onHeap() {
    return new Heap();
  }

  /**
   * Ints in a new temporary file in {@code dir} whose name starts with {@code prefix}; the file is deleted on
   * close (the mapping itself goes when the garbage collector releases it: Java 17 cannot unmap early).
   */
  public static ScratchInts mapped(Path dir, String prefix) throws IOException {
    Files.createDirectories(dir);
    return new Mapped(Files.createTempFile(dir, prefix, ".ints"));
  }

  /**
   * Ints on the heap until there are more than {@code heapInts} of them, then in a mapped file as
   * {@link #mapped} makes (created only then): small blocks, the common case, pay neither a file nor the
   * mapped buffers' bounds checks, and the heap holds at most {@code heapInts} ints whatever the block's size.
   * Where the file cannot be created the ints stay on the heap.
   */
  public static ScratchInts spilling(Path dir, String prefix, int heapInts) {
    return new Spilling(dir, prefix, heapInts);
  }

  private static final class Spilling extends ScratchInts {
    private final Path dir;
    private final String prefix;
    private final int heapInts;
    private int[] values;
    private ScratchInts spilled;

    Spilling(Path dir, String prefix, int heapInts) {
      this.dir = dir;
      this.prefix = prefix;
      this.heapInts = Math.max(1, heapInts);
      this.values = new int[Math.min(64, this.heapInts)];
    }

    @Override
    public void add(int v) throws IOException {
      if (spilled == null && size < values.length) {
        values[(int) size++] = v;
        return;
      }
      super.add(v);
    }

    @Override
    public void ensureSize(long n) throws IOException {
      if (n <= size) {
        return;
      }
      if (spilled == null && n > heapInts) {
        ScratchInts file;
        try {
          file = mapped(dir, prefix);
        } catch (IOException | UnsupportedOperationException e) {
          file = onHeap(); // no file here: keep growing on the heap rather than fail the block
        }
        file.ensureSize(n);
        for (int i = 0; i < size; i++) {
          file.set(i, values[i]);
        }
        spilled = file;
        values = null;
      }
      if (spilled != null) {
        spilled.ensureSize(n);
      } else if (n > values.length) {
        values = Arrays.copyOf(values, (int) Math.min(heapInts, Math.max(n, 2L * values.length)));
      }
      size = n;
    }

    @Override
    public int get(long i) {
      return spilled == null ? values[(int) i] : spilled.get(i);
    }

    @Override
    public void set(long i, int v) {
      if (spilled == null) {
        values[(int) i] = v;
      } else {
        spilled.set(i, v);
      }
    }

    @Override
    public void close() throws IOException {
      values = new int[0];
      size = 0;
      if (spilled != null) {
        ScratchInts s = spilled;
        spilled = null;
        s.close();
      }
    }
  }

  private static final class Heap extends ScratchInts {
    private int[] values = new int[16];

    @Override
    public void ensureSize(long n) throws IOException {
      if (n > Integer.MAX_VALUE - 16) {
        throw new IOException("more than 2^31 scratch ints in memory");
      }
      if (n > values.length) {
        values = Arrays.copyOf(values, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(n, 2L * values.length)));
      }
      size = Math.max(size, n);
    }

    @Override
    public int get(long i) {
      return values[Math.toIntExact(i)];
    }

    @Override
    public void set(long i, int v) {
      values[Math.toIntExact(i)] = v;
    }

    @Override
    public void close() {
      values = new int[0];
      size = 0;
    }
  }

  private static final class Mapped extends ScratchInts {
    private static final int SLICE_SHIFT = 24; // 16 Mi ints = 64 MiB per mapping
    private static final int SLICE_MASK = (1 << SLICE_SHIFT) - 1;

    private final Path file;
    private final FileChannel channel;
    private IntBuffer[] slices = new IntBuffer[4];

    Mapped(Path file) throws IOException {
      this.file = file;
      this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Override
    public void ensureSize(long n) throws IOException {
      if (n <= size) {
        return;
      }
      int needed = (int) ((n + SLICE_MASK) >>> SLICE_SHIFT);
      if (needed > slices.length) {
        slices = Arrays.copyOf(slices, Math.max(needed, 2 * slices.length));
      }
      for (int s = (int) (size >>> SLICE_SHIFT); s < needed; s++) {
        if (slices[s] == null) {
          // Mapping past the end grows the file (sparse: untouched pages take no disk).
          MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_WRITE, (long) s << (SLICE_SHIFT + 2),
              4L << SLICE_SHIFT);
          slices[s] = b.order(ByteOrder.nativeOrder()).asIntBuffer();
        }
      }
      size = n;
    }

    @Override
    public int get(long i) {
      return slices[(int) (i >>> SLICE_SHIFT)].get((int) (i & SLICE_MASK));
    }

    @Override
    public void set(long i, int v) {
      slices[(int) (i >>> SLICE_SHIFT)].put((int) (i & SLICE_MASK), v);
    }

    @Override
    public void close() throws IOException {
      slices = new IntBuffer[0];
      size = 0;
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(file);
      }
    }
  }
}
