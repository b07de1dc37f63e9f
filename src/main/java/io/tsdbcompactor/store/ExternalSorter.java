package io.tsdbcompactor.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Sorts more values than the heap should hold (an external merge sort). Values are kept on the heap until their
 * estimated size passes a bound; they are then sorted and appended to {@link ScratchBytes} as one sorted run, which a
 * directory on disk keeps in a mapped file. {@link #sorted()} merges the runs, holding one value per run. A sort
 * that never passed its bound stays on the heap and encodes nothing.
 *
 * <p>The order is stable: values that compare equal come out in the order they were added. A {@linkplain #distinct
 * distinct} sorter keeps the first of equal values only (their {@code equals} must agree with the order), and drops
 * a repeated value as it is added while its first copy is still on the heap, so that a run holds each value once.
 *
 * <p>Run grammar, in the scratch bytes: {@code run := value*}, {@code value := len:u32be encoding[len]}, the runs one
 * after another in the order they were written; a run ends where the next begins.
 *
 * @param <T> the values
 */
public final class ExternalSorter<T> implements Closeable {
  /** How a value is written to a run and read back, and what it weighs on the heap. */
  public interface Codec<T> {
    void encode(T value, ByteSink out);

    T decode(byte[] b, int len);

    /** About how many heap bytes the value takes (its objects, arrays and strings). */
    long heapBytes(T value);
  }

  /** A forward cursor over the sorted values. */
  public interface Cursor<T> {
    boolean next();

    T at();
  }

  /** What a buffered value costs beyond itself: its list slot, and its set entry when distinct. */
  private static final int SLOT_BYTES = 8;
  private static final int SET_ENTRY_BYTES = 48;

  private final Directory scratch;
  private final String prefix;
  private final Comparator<? super T> order;
  private final Codec<T> codec;
  private final long maxHeapBytes;
  private final boolean distinct;
  private final List<T> buffer = new ArrayList<>();
  private final Set<T> buffered;
  private final List<Long> runStarts = new ArrayList<>();
  private final ByteSink encoding = new ByteSink();
  private ScratchBytes runs;
  private long bufferedBytes;
  private boolean done;

  private ExternalSorter(Directory scratch, String prefix, Comparator<? super T> order, Codec<T> codec,
      long maxHeapBytes, boolean distinct) {
    this.scratch = scratch;
    this.prefix = prefix;
    this.order = order;
    this.codec = codec;
    this.maxHeapBytes = maxHeapBytes;
    this.distinct = distinct;
    this.buffered = distinct ? new HashSet<>() : null;
  }

  /**
   * A sorter keeping up to about {@code maxHeapBytes} of values on the heap, its runs in {@code scratch}'s scratch
   * bytes (their file's name starts with {@code prefix}).
   */
  public static <T> ExternalSorter<T> of(Directory scratch, String prefix, Comparator<? super T> order,
      Codec<T> codec, long maxHeapBytes) {
    return new ExternalSorter<>(scratch, prefix, order, codec, maxHeapBytes, false);
  }

  /** As {@link #of}, keeping the first of equal values only. */
  public static <T> ExternalSorter<T> distinct(Directory scratch, String prefix, Comparator<? super T> order,
      Codec<T> codec, long maxHeapBytes) {
    return new ExternalSorter<>(scratch, prefix, order, codec, maxHeapBytes, true);
  }

  /** Adds a value; may write a run. */
  public void add(T value) throws IOException {
    if (done) {
      throw new IllegalStateException("values added after sorted()");
    }
    if (distinct && !buffered.add(value)) {
      return;
    }
    buffer.add(value);
    bufferedBytes += codec.heapBytes(value) + SLOT_BYTES + (distinct ? SET_ENTRY_BYTES : 0);
    if (bufferedBytes > maxHeapBytes) {
      writeRun();
    }
  }

  /** The number of runs written so far (none while everything fits the bound). */
  public int runCount() {
    return runStarts.size();
  }

  /** The values in order; once only, and no value can be added after. */
  public Cursor<T> sorted() throws IOException {
    if (done) {
      throw new IllegalStateException("sorted() called twice");
    }
    done = true;
    if (runs == null) {
      buffer.sort(order);
      List<T> values = new ArrayList<>(buffer);
      clearBuffer();
      return new Cursor<>() {
        private int next;
        private T at;

        @Override
        public boolean next() {
          at = next < values.size() ? values.get(next) : null;
          if (at != null) {
            values.set(next++, null);
          }
          return at != null;
        }

        @Override
        public T at() {
          return at;
        }
      };
    }
    if (!buffer.isEmpty()) {
      writeRun();
    }
    return new MergedRuns();
  }

  private void writeRun() throws IOException {
    if (runs == null) {
      runs = scratch.createScratchBytes(prefix);
    }
    buffer.sort(order);
    runStarts.add(runs.size());
    for (T v : buffer) {
      encoding.reset();
      encoding.writeIntBE(0);
      codec.encode(v, encoding);
      encoding.putIntBE(0, encoding.length() - 4);
      runs.append(encoding.array(), 0, encoding.length());
    }
    clearBuffer();
  }

  private void clearBuffer() {
    buffer.clear();
    if (distinct) {
      buffered.clear();
    }
    bufferedBytes = 0;
  }

  /** One run being read: its next value and where the rest starts. */
  private final class RunReader {
    final int run;
    long pos;
    final long end;
    T current;
    byte[] bytes = new byte[64];
    final byte[] length = new byte[4];

    RunReader(int run, long start, long end) {
      this.run = run;
      this.pos = start;
      this.end = end;
    }

    boolean advance() {
      if (pos >= end) {
        current = null;
        return false;
      }
      runs.read(pos, length, 0, 4);
      int n = (length[0] & 0xff) << 24 | (length[1] & 0xff) << 16 | (length[2] & 0xff) << 8 | length[3] & 0xff;
      if (n > bytes.length) {
        bytes = new byte[Math.max(n, 2 * bytes.length)];
      }
      runs.read(pos + 4, bytes, 0, n);
      pos += 4 + n;
      current = codec.decode(bytes, n);
      return true;
    }
  }

  /** The runs merged: the least current value first, the earlier run first among equals (stability). */
  private final class MergedRuns implements Cursor<T> {
    private final PriorityQueue<RunReader> heads;
    private T at;

    MergedRuns() {
      heads = new PriorityQueue<>(Math.max(1, runStarts.size()), (a, b) -> {
        int c = order.compare(a.current, b.current);
        return c != 0 ? c : Integer.compare(a.run, b.run);
      });
      for (int i = 0; i < runStarts.size(); i++) {
        long end = i + 1 < runStarts.size() ? runStarts.get(i + 1) : runs.size();
        RunReader r = new RunReader(i, runStarts.get(i), end);
        if (r.advance()) {
          heads.add(r);
        }
      }
    }

    @Override
    public boolean next() {
      T previous = at;
      while (!heads.isEmpty()) {
        RunReader r = heads.poll();
        T v = r.current;
        if (r.advance()) {
          heads.add(r);
        }
        if (distinct && previous != null && order.compare(previous, v) == 0) {
          continue;
        }
        at = v;
        return true;
      }
      at = null;
      return false;
    }

    @Override
    public T at() {
      return at;
    }
  }

  /** Releases the runs (deletes their file). */
  @Override
  public void close() {
    clearBuffer();
    if (runs != null) {
      runs.close();
      runs = null;
    }
  }
}
