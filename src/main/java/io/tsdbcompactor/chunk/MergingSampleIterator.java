package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;

/**
 * K-way merge of sample iterators by timestamp, one sample per timestamp, primitive and allocation-free per
 * sample. Each source must be in increasing timestamp order.
 *
 * <h2>Which sample wins a timestamp</h2>
 * When several sources hold a sample at the same timestamp, exactly one is kept, chosen as Prometheus 2.42's
 * {@code chainSampleIterator} ({@code storage/merge.go}) chooses, which is what its compactor does for
 * overlapping chunks: the first source starts as "current" outside a binary min-heap that holds the others
 * (ordered by timestamp only); the current source is kept while its timestamp is strictly below the heap's
 * top, otherwise it is pushed and the top popped; a popped sample at the timestamp already emitted is skipped.
 * Ties inside the heap fall out of Go's {@code container/heap} sift order, which this class reproduces step for
 * step, so for the same source order the same sample wins. In the common steady state this means: when the
 * current source reaches a timestamp that a waiting source also holds, the waiting source's sample wins.
 *
 * <p>One deliberate difference: Prometheus seeds "last emitted timestamp" with {@code Long.MIN_VALUE}, so a
 * sample at exactly that timestamp would be dropped; here nothing is dropped before the first sample.
 *
 * <p>Reusable through {@link #reset}.
 */
public final class MergingSampleIterator implements SampleIterator {
  private SampleIterator[] src = new SampleIterator[0];
  private int n;
  /** Timestamp each source currently sits at (valid while it is in the heap). */
  private long[] at = new long[0];
  private int[] heap = new int[0];
  /** The timestamp of the source at each heap position: the sift compares these without an indirection. */
  private long[] heapAt = new long[0];
  private int size;
  private int cur = -1;
  private boolean started;
  private boolean haveLast;
  private long lastT;
  private long t;
  private double v;

  public MergingSampleIterator() {}

  public MergingSampleIterator(SampleIterator... sources) {
    reset(sources, sources.length);
  }

  /** Merges {@code sources[0, count)}; their order decides ties as described above. */
  public void reset(SampleIterator[] sources, int count) {
    if (src.length < count) {
      src = new SampleIterator[count];
      at = new long[count];
      heap = new int[count];
      heapAt = new long[count];
    }
    System.arraycopy(sources, 0, src, 0, count);
    for (int i = count; i < src.length; i++) {
      src[i] = null;
    }
    n = count;
    size = 0;
    cur = count == 0 ? -1 : 0;
    started = false;
    haveLast = false;
  }

  @Override
  public boolean next() throws CorruptDataException {
    if (!started) {
      started = true;
      for (int i = 1; i < n; i++) {
        if (src[i].next()) {
          at[i] = src[i].timestamp();
          push(i);
        }
      }
    }
    if (cur < 0) {
      return false;
    }
    long ct;
    while (true) {
      if (src[cur].next()) {
        ct = src[cur].timestamp();
        if (haveLast && ct == lastT) {
          continue;
        }
        if (size == 0 || ct < heapAt[0]) {
          break;
        }
        at[cur] = ct;
        push(cur);
      } else if (size == 0) {
        cur = -1;
        return false;
      }
      cur = pop();
      ct = at[cur];
      if (!haveLast || ct != lastT) {
        break;
      }
    }
    haveLast = true;
    lastT = ct;
    t = ct;
    v = src[cur].value();
    return true;
  }

  @Override
  public long timestamp() {
    return t;
  }

  /** Index (into the sources given to {@link #reset}) of the source the current sample came from. */
  public int source() {
    return cur;
  }

  @Override
  public double value() {
    return v;
  }

  // Go's container/heap, with Less(i, j) = heapAt[i] < heapAt[j]: same sift steps, same tie outcomes.

  private void push(int s) {
    heap[size] = s;
    heapAt[size] = at[s];
    int j = size++;
    while (j > 0) {
      int i = (j - 1) / 2;
      if (!(heapAt[j] < heapAt[i])) {
        break;
      }
      swap(i, j);
      j = i;
    }
  }

  private int pop() {
    int last = size - 1;
    swap(0, last);
    down(last);
    size = last;
    return heap[last];
  }

  private void down(int len) {
    int i = 0;
    while (true) {
      int j1 = 2 * i + 1;
      if (j1 >= len) {
        break;
      }
      int j = j1;
      int j2 = j1 + 1;
      if (j2 < len && heapAt[j2] < heapAt[j1]) {
        j = j2;
      }
      if (!(heapAt[j] < heapAt[i])) {
        break;
      }
      swap(i, j);
      i = j;
    }
  }

  private void swap(int i, int j) {
    int x = heap[i];
    heap[i] = heap[j];
    heap[j] = x;
    long t = heapAt[i];
    heapAt[i] = heapAt[j];
    heapAt[j] = t;
  }
}
