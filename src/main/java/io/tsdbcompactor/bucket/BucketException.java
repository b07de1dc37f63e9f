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
   * missing object never does, other I/O errors (resets, truncated reads) are assumed transient.
   */
  public static boolean isRetryable(Throwable t) {
    if (t instanceof ObjectNotFoundException) {
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
}
