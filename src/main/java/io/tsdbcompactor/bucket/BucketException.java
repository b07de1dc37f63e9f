package io.tsdbcompactor.bucket;

import java.io.IOException;

/**
 * A bucket operation failed. {@link #isRetryable()} says whether repeating it may succeed (throttling,
 * 5xx, connection resets, timeouts) or not (access denied, bad request, bad configuration).
 */
public class BucketException extends IOException {
  private final boolean retryable;

  public BucketException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public BucketException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public boolean isRetryable() {
    return retryable;
  }

  /**
   * Whether an error from any bucket may go away on retry: a {@link BucketException} says so itself, a
   * missing object never does, nor does an interrupt (a read timeout does), other I/O errors (resets, truncated
   * reads) are assumed transient.
   */
  public static boolean isRetryable(Throwable t) {
    if (t instanceof ObjectNotFoundException) {
      return false;
    }
    if (t instanceof java.io.InterruptedIOException && !(t instanceof java.net.SocketTimeoutException)) {
      return false;
    }
    if (t instanceof BucketException) {
      return ((BucketException) t).isRetryable();
    }
    if (t instanceof io.tsdbcompactor.store.CorruptDataException) {
      return false;
    }
    return t instanceof IOException || t instanceof java.io.UncheckedIOException;
  }

  /**
   * Throws {@code failure}, recorded by a worker thread, on the thread that waited for it: an IOException,
   * unchecked exception or error as itself; nothing for null.
   */
  static void rethrow(Throwable failure) throws IOException {
    if (failure instanceof IOException io) {
      throw io;
    } else if (failure instanceof RuntimeException re) {
      throw re;
    } else if (failure instanceof Error er) {
      throw er;
    } else if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }

  /**
   * Whether {@code type} is anywhere in {@code t}'s cause chain: how the cloud SDKs' wrapped exceptions are told
   * apart (a network failure deep inside is transient; a missing credential is not).
   */
  static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /** The first line of an SDK's message (some carry the whole response body), so one error is one log line. */
  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
