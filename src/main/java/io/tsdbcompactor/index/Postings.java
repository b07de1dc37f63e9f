package io.tsdbcompactor.index;

import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.RandomAccessInput;

/**
 * A postings list: ascending series references (offset / 16 of each series entry), read lazily as big-endian
 * uint32 values straight from the index file. The list's length and CRC were checked when it was opened.
 */
public final class Postings {
  private final RandomAccessInput in;
  private final long start;
  private final int count;
  private int next;
  private long current = -1;

  Postings(RandomAccessInput in, long start, int count) {
    this.in = in;
    this.start = start;
    this.count = count;
  }

  /** Number of series in the list. */
  public int size() {
    return count;
  }

  public boolean next() throws CorruptDataException {
    if (next >= count) {
      return false;
    }
    current = in.readIntBE(start + 4L * next) & 0xffffffffL;
    next++;
    return true;
  }

  /** The current series reference. */
  public long at() {
    return current;
  }

  /** Advances to the first reference at or after {@code target}; false if there is none. */
  public boolean seek(long target) throws CorruptDataException {
    if (next > 0 && current >= target) {
      return true;
    }
    int lo = next;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      long v = in.readIntBE(start + 4L * mid) & 0xffffffffL;
      if (v < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    next = lo;
    return next();
  }
}
