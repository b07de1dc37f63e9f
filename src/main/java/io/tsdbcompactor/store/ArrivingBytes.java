package io.tsdbcompactor.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which bytes of a file being downloaded have been written: the writer reports each range as it lands
 * ({@link #arrived}, in any order: a download fetches several ranges at once), a reader waits for the prefix it
 * needs ({@link #await}; {@link MappedFileInput} does it before each read of a file opened through an
 * {@link ArrivingDirectory}). A failed or abandoned download ({@link #fail}) wakes every waiting reader with its
 * error, so nobody waits for bytes that will not come.
 */
public final class ArrivingBytes {
  private final String name;
  private final long length;
  /** Every byte before it has arrived; read without the lock by {@link #prefix()}. */
  private volatile long prefix;
  /** Ranges past the prefix that have arrived, start to end, not touching each other or the prefix. */
  private final TreeMap<Long, Long> ahead = new TreeMap<>();
  private IOException failure;
  /** The least end a reader waits for (Long.MAX_VALUE: none waits): arrivals short of it wake nobody. */
  private long awaited = Long.MAX_VALUE;

  /** Tracks the {@code length}-byte file {@code name} (for messages), none of it arrived yet. */
  public ArrivingBytes(String name, long length) {
    this.name = name;
    this.length = length;
  }

  public String name() {
    return name;
  }

  public long length() {
    return length;
  }

  /** The bytes from 0 that have all arrived. */
  public long prefix() {
    return prefix;
  }

  /** {@code [offset, offset + count)} has been written. */
  public synchronized void arrived(long offset, long count) {
    if (count <= 0) {
      return;
    }
    long start = offset;
    long end = offset + count;
    // Swallow every known range that touches or overlaps [start, end).
    Map.Entry<Long, Long> before = ahead.floorEntry(start);
    if (before != null && before.getValue() >= start) {
      start = before.getKey();
      end = Math.max(end, before.getValue());
      ahead.remove(before.getKey());
    }
    for (Map.Entry<Long, Long> e; (e = ahead.ceilingEntry(start)) != null && e.getKey() <= end; ) {
      end = Math.max(end, e.getValue());
      ahead.remove(e.getKey());
    }
    if (start <= prefix) {
      prefix = Math.max(prefix, end);
      if (prefix >= awaited) {
        awaited = Long.MAX_VALUE; // the readers woken set it again if they still wait
        notifyAll();
      }
    } else {
      ahead.put(start, end);
    }
  }

  /** The download will not complete: readers waiting now or later get {@code cause}. The first cause stays. */
  public synchronized void fail(IOException cause) {
    if (failure == null) {
      failure = cause;
    }
    notifyAll();
  }

  /**
   * Waits until {@code [0, end)} has arrived and returns the prefix then known (at least {@code end}). Throws the
   * download's failure, wrapped so the file is named, if it failed first; an interrupted wait throws
   * {@link InterruptedIOException} with the thread's interrupt status kept.
   */
  public long await(long end) throws IOException {
    long p = prefix;
    if (end <= p) {
      return p;
    }
    synchronized (this) {
      while (prefix < end) {
        if (failure != null) {
          throw new IOException("download of " + name + " did not complete: " + failure.getMessage(), failure);
        }
        awaited = Math.min(awaited, end);
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted waiting for " + name + " to download");
        }
      }
      return prefix;
    }
  }

  /** Whether the whole file has arrived. */
  public boolean complete() {
    return prefix >= length;
  }

  /** The download a read waited for failed (or was abandoned, or the wait interrupted). */
  public static final class DownloadFailedException extends UncheckedIOException {
    public DownloadFailedException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /**
   * What to report when reading a block that was still downloading failed with {@code readError}: the download's own
   * failure if it had one ({@code downloadFailure}, else null), of which the read error is a consequence (it is kept
   * as suppressed); otherwise the read error, a {@link DownloadFailedException} unwrapped to its cause. A runtime
   * error that is neither is thrown as it is.
   */
  public static IOException failureToReport(Exception readError, IOException downloadFailure) {
    if (downloadFailure != null && downloadFailure != readError && downloadFailure != readError.getCause()) {
      downloadFailure.addSuppressed(readError);
      return downloadFailure;
    }
    if (readError instanceof DownloadFailedException d) {
      return d.getCause();
    }
    if (readError instanceof IOException e) {
      return e;
    }
    throw (RuntimeException) readError;
  }
}
