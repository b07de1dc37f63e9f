package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repeats bucket operations that failed for a transient reason ({@link BucketException#isRetryable}), with
 * the backoff of a {@link RetryPolicy}. Works over any bucket.
 *
 * <ul>
 *   <li>Reads resume: when a stream from {@link #get} or {@link #getRange} breaks, the rest is fetched with a
 *       ranged read from the byte where it broke, so a block download survives a reset connection without
 *       starting over and without duplicating or losing a byte.
 *   <li>Listings resume after the last key already delivered.
 *   <li>Uploads of byte arrays and files are repeated whole; the bucket's own atomicity (S3 PUT, rename in a
 *       filesystem) means a failed attempt leaves nothing. A plain stream cannot be replayed: it is tried once.
 * </ul>
 */
public final class RetryingBucket implements Bucket {
  private static final Logger LOG = LoggerFactory.getLogger(RetryingBucket.class);

  private final Bucket delegate;
  private final RetryPolicy policy;

  public RetryingBucket(Bucket delegate, RetryPolicy policy) {
    this.delegate = delegate;
    this.policy = policy;
  }

  public Bucket delegate() {
    return delegate;
  }

  @FunctionalInterface
  private interface Op<T> {
    T run() throws IOException;
  }

  private <T> T retry(String what, Op<T> op) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return op.run();
      } catch (IOException e) {
        if (attempt >= policy.maxAttempts() || !BucketException.isRetryable(e)) {
          throw e;
        }
        pause(what, attempt, e);
      }
    }
  }

  private void pause(String what, int attempt, IOException e) throws InterruptedIOException {
    java.time.Duration d = policy.backoff(attempt);
    LOG.debug("{} failed (attempt {} of {}), retrying in {} ms: {}", what, attempt, policy.maxAttempts(), d.toMillis(),
        e.toString());
    try {
      policy.sleeper().sleep(d);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      InterruptedIOException x = new InterruptedIOException("interrupted while retrying " + what);
      x.addSuppressed(e);
      throw x;
    }
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    String[] last = {null};
    boolean[] stopped = {false};
    retry("list " + prefix, () -> {
      if (stopped[0]) {
        return null;
      }
      delegate.list(prefix, recursive, e -> {
        if (last[0] != null && e.key().compareTo(last[0]) <= 0) {
          return true; // delivered before the failure
        }
        last[0] = e.key();
        if (!visitor.visit(e)) {
          stopped[0] = true;
          return false;
        }
        return true;
      });
      return null;
    });
  }

  @Override
  public InputStream get(String key) throws IOException {
    return new ResumingStream(key, 0, -1, retry("get " + key, () -> delegate.get(key)));
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    return new ResumingStream(key, offset, length, retry("get range " + key, () -> delegate.getRange(key, offset, length)));
  }

  @Override
  public boolean exists(String key) throws IOException {
    return retry("exists " + key, () -> delegate.exists(key));
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    return retry("attributes " + key, () -> delegate.attributes(key));
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    delegate.upload(key, in, length);
  }

  @Override
  public void upload(String key, byte[] content) throws IOException {
    retry("upload " + key, () -> {
      delegate.upload(key, content);
      return null;
    });
  }

  @Override
  public long download(String key, Path target) throws IOException {
    return retry("download " + key, () -> delegate.download(key, target));
  }

  @Override
  public void upload(String key, Path file) throws IOException {
    retry("upload " + key, () -> {
      delegate.upload(key, file);
      return null;
    });
  }

  @Override
  public void delete(String key) throws IOException {
    retry("delete " + key, () -> {
      delegate.delete(key);
      return null;
    });
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }

  @Override
  public String toString() {
    return "RetryingBucket[" + delegate + "]";
  }

  /** A read stream that reopens the object at the current position when the connection breaks. */
  private final class ResumingStream extends InputStream {
    private final String key;
    private final long start;
    private final long length; // -1: to the end
    private long pos; // bytes delivered so far
    private InputStream in;
    private int failures;

    ResumingStream(String key, long start, long length, InputStream first) {
      this.key = key;
      this.start = start;
      this.length = length;
      this.in = first;
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
        try {
          int n = in.read(b, off, length >= 0 ? (int) Math.min(len, length - pos) : len);
          if (n > 0) {
            pos += n;
          }
          return n;
        } catch (IOException e) {
          failures++;
          if (failures >= policy.maxAttempts() || !BucketException.isRetryable(e)) {
            throw e;
          }
          closeQuietly();
          pause("read " + key + " at byte " + (start + pos), failures, e);
          in = retry("get range " + key, () ->
              delegate.getRange(key, start + pos, length < 0 ? -1 : length - pos));
        }
      }
    }

    private void closeQuietly() {
      try {
        in.close();
      } catch (IOException ignored) {
        // the broken stream's close error says nothing new
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
