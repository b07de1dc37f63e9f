package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 *   <li>Listings resume after the last key already delivered, in the store's key order ({@link Bucket#keyOrder}).
 *   <li>{@link #download} and {@link #downloadInto} stream through {@link #get}, resuming the same way; a local
 *       file system's file-to-file copy is repeated whole.
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
    java.util.Comparator<String> order = delegate.keyOrder();
    retry("list " + prefix, () -> {
      if (stopped[0]) {
        return null;
      }
      // Only a listing started again skips what was handed over, by the store's own key order: a first attempt
      // hands over every key as it comes.
      String resumeAfter = last[0];
      delegate.list(prefix, recursive, e -> {
        if (resumeAfter != null && order.compare(e.key(), resumeAfter) <= 0) {
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
    return resuming(key, 0, -1, retry("get " + key, () -> delegate.get(key)));
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    return resuming(key, offset, length, retry("get range " + key, () -> delegate.getRange(key, offset, length)));
  }

  private InputStream resuming(String key, long offset, long length, InputStream first) {
    return new ResumingInputStream("read " + key, offset, length, policy, new ResumingInputStream.Part(first, -1),
        (pos, remaining) -> new ResumingInputStream.Part(
            retry("get range " + key, () -> delegate.getRange(key, pos, remaining)), -1),
        () -> LOG.debug("resuming read of {}", key));
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
    if (delegate.isLocalFileSystem()) {
      return retry("download " + key, () -> delegate.download(key, target));
    }
    // Streamed through get, so that a broken transfer goes on from the byte where it broke instead of starting over.
    try (InputStream in = get(key)) {
      return Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public boolean isLocalFileSystem() {
    return delegate.isLocalFileSystem();
  }

  @Override
  public java.util.Comparator<String> keyOrder() {
    return delegate.keyOrder();
  }

  @Override
  public void upload(String key, Path file) throws IOException {
    retry("upload " + key, () -> {
      delegate.upload(key, file);
      return null;
    });
  }

  @Override
  public void uploadDisposable(String key, Path file) throws IOException {
    retry("upload " + key, () -> {
      delegate.uploadDisposable(key, file);
      return null;
    });
  }

  @Override
  public void uploadWhileWritten(String key, GrowingFile file) throws IOException {
    retry("upload " + key, () -> {
      delegate.uploadWhileWritten(key, file);
      return null;
    });
  }

  @Override
  public boolean uploadsWhileWritten() {
    return delegate.uploadsWhileWritten();
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
}
