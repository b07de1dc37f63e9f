package io.tsdbcompactor.sync;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ForwardingBucket;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A bucket that counts its object reads in flight (from {@code get} until the stream is closed): meta.json and
 * marker reads on one gauge, every other object (index, chunks) on another. Writes, lists and deletes pass
 * through, and so does {@link #isLocalFileSystem}: seen as remote, a filesystem bucket's chunk segments would come
 * down on threads of their own while the merge reads them, outside {@code --block-files-concurrency} by design, and
 * the file gauge would count them only when they happened to overlap.
 */
public final class InFlightBucket extends ForwardingBucket {
  private final InFlightGauge metaReads;
  private final InFlightGauge fileReads;

  public InFlightBucket(Bucket delegate, InFlightGauge metaReads, InFlightGauge fileReads) {
    super(delegate);
    this.metaReads = metaReads;
    this.fileReads = fileReads;
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
  public boolean isLocalFileSystem() {
    return delegate.isLocalFileSystem();
  }
}
