package io.tsdbcompactor.sync;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjectAttributes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A bucket that counts its object reads in flight (from {@code get} until the stream is closed): meta.json and
 * marker reads on one gauge, every other object (index, chunks) on another. Writes, lists and deletes pass
 * through.
 */
public final class InFlightBucket implements Bucket {
  private final Bucket delegate;
  private final InFlightGauge metaReads;
  private final InFlightGauge fileReads;

  public InFlightBucket(Bucket delegate, InFlightGauge metaReads, InFlightGauge fileReads) {
    this.delegate = delegate;
    this.metaReads = metaReads;
    this.fileReads = fileReads;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    delegate.list(prefix, recursive, visitor);
  }

  @Override
  public InputStream get(String key) throws IOException {
    InFlightGauge gauge = key.endsWith(".json") ? metaReads : fileReads;
    gauge.enter();
    InputStream in;
    try {
      in = delegate.get(key);
    } catch (IOException | RuntimeException e) {
      gauge.exit();
      throw e;
    }
    return new FilterInputStream(in) {
      private boolean closed;

      @Override
      public void close() throws IOException {
        if (!closed) {
          closed = true;
          gauge.exit();
        }
        super.close();
      }
    };
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    return delegate.getRange(key, offset, length);
  }

  @Override
  public boolean exists(String key) throws IOException {
    return delegate.exists(key);
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    return delegate.attributes(key);
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    delegate.upload(key, in, length);
  }

  @Override
  public void delete(String key) throws IOException {
    delegate.delete(key);
  }
}
