package io.tsdbcompactor.bucket;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A read of an object that survives broken connections: when the stream fails (reset, timeout, a body cut off
 * before its announced length), the rest is opened again from the byte reached, so nothing is read twice or
 * lost. A part that ends before its announced length counts as broken, whatever the transport said.
 *
 * <p>The budget is the policy's attempts in a row without progress: a long download that breaks now and then
 * goes on, one that breaks again and again at the same byte gives up. Opening is the opener's business,
 * including its own retries; a failed open is not retried here again.
 */
final class ResumingInputStream extends InputStream {
  /** One opened read: the stream and how many bytes it announced (-1: unknown). */
  record Part(InputStream in, long length) {}

  /** Opens the object at {@code position} (from the object's start) for {@code remaining} bytes (-1: to the end). */
  @FunctionalInterface
  interface Opener {
    Part open(long position, long remaining) throws IOException;
  }

  private final String what;
  private final long start;
  private final long length; // -1: to the end
  private final RetryPolicy policy;
  private final Opener opener;
  private final Runnable onResume;
  private long pos; // bytes delivered so far
  private Part part;
  private long partPos;
  private int failuresInARow;

  /**
   * @param what for messages, e.g. "get 01A/index"
   * @param first the part already open at {@code start}
   * @param onResume told before each resume (counting)
   */
  ResumingInputStream(String what, long start, long length, RetryPolicy policy, Part first, Opener opener,
      Runnable onResume) {
    this.what = what;
    this.start = start;
    this.length = length;
    this.policy = policy;
    this.part = first;
    this.opener = opener;
    this.onResume = onResume;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (length >= 0 && pos >= length) {
      return -1;
    }
    while (true) {
      if (part == null) {
        part = opener.open(start + pos, length < 0 ? -1 : length - pos);
        partPos = 0;
      }
      try {
        int n = part.in().read(b, off, length >= 0 ? (int) Math.min(len, length - pos) : len);
        if (n < 0) {
          if (part.length() >= 0 && partPos < part.length()) {
            throw new EOFException(what + ": body ended after " + partPos + " of " + part.length() + " bytes");
          }
          return -1;
        }
        pos += n;
        partPos += n;
        if (n > 0) {
          failuresInARow = 0;
        }
        return n;
      } catch (IOException e) {
        if (!BucketException.isRetryable(e) || ++failuresInARow >= policy.maxAttempts()) {
          throw e;
        }
        abortQuietly();
        part = null;
        onResume.run();
        try {
          policy.sleeper().sleep(policy.backoff(failuresInARow));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          InterruptedIOException x = new InterruptedIOException("interrupted while resuming " + what);
          x.addSuppressed(e);
          throw x;
        }
      }
    }
  }

  /** A broken SDK stream is aborted, not drained; any other is closed. */
  private void abortQuietly() {
    try {
      if (part.in() instanceof software.amazon.awssdk.http.Abortable a) {
        a.abort();
      }
      part.in().close();
    } catch (IOException | RuntimeException ignored) {
      // closing a broken stream tells nothing new
    }
  }

  @Override
  public void close() throws IOException {
    if (part != null) {
      if (length >= 0 && pos < length || partPos < part.length()) {
        abortQuietly(); // closed before the end: do not read the rest just to reuse the connection
      } else {
        part.in().close();
      }
    }
  }
}
