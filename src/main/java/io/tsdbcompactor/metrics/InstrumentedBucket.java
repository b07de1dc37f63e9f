package io.tsdbcompactor.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.GrowingFile;
import io.tsdbcompactor.bucket.ObjectAttributes;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import io.tsdbcompactor.metrics.ObjstoreMetrics.OpMeters;
import io.tsdbcompactor.metrics.ObjstoreMetrics.Operation;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A {@link Bucket} that counts and times every operation under the names and labels of Thanos's objstore
 * package, so the Thanos mixin's bucket alerts and dashboards work unchanged:
 *
 * <ul>
 *   <li>{@code thanos_objstore_bucket_operations_total{bucket,operation}}: every call;
 *   <li>{@code thanos_objstore_bucket_operation_failures_total{bucket,operation}}: calls that failed; a missing
 *       object ({@link ObjectNotFoundException}) is an answer, not a failure;
 *   <li>{@code thanos_objstore_bucket_operation_duration_seconds{bucket,operation}}: successful calls, Thanos's
 *       buckets (1 ms to 120 s); a read is timed from the call until its stream is closed;
 *   <li>{@code thanos_objstore_bucket_operation_fetched_bytes_total{bucket,operation}}: bytes read from the store;
 *   <li>{@code thanos_objstore_bucket_operation_transferred_bytes{bucket,operation}}: bytes of each successful
 *       get, get_range or upload (histogram, 32 KiB to 1 GiB);
 *   <li>{@code thanos_objstore_bucket_last_successful_upload_time{bucket}}: Unix seconds of the last upload.
 * </ul>
 *
 * Operations are Thanos's: {@code get, get_range, exists, upload, delete, attributes, iter}; every series is
 * created at zero when the bucket is wrapped, as Thanos does, so a ratio alert sees the series before the first
 * failure. Put this outermost, around the retries ({@link io.tsdbcompactor.bucket.RetryingBucket}, S3Bucket's own): like Thanos's, whose
 * client retries inside, it counts what the compactor asked for and what finally failed, not each attempt.
 *
 * <p>It lives here and not in {@code bucket} because {@code bucket} is part of the reusable library, which
 * knows nothing of Micrometer. The calls that {@code RetryingBucket} and {@code FilesystemBucket} implement
 * better than the interface's defaults (byte-array and file uploads, downloads to a file) are passed through
 * as such and counted as the operation they are (upload, get).
 */
public final class InstrumentedBucket implements Bucket {
  private final Bucket delegate;
  private final ObjstoreMetrics metrics;
  private final MeterRegistry registry;
  private final Clock clock;

  /**
   * @param metrics the meters of this bucket label ({@link CompactorMetrics#objstore(String)})
   * @param clock the time of the last-upload gauge
   */
  public InstrumentedBucket(Bucket delegate, ObjstoreMetrics metrics, Clock clock) {
    this.delegate = delegate;
    this.metrics = metrics;
    this.registry = metrics.registry();
    this.clock = clock;
  }

  public Bucket delegate() {
    return delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    call(Operation.ITER, () -> {
      delegate.list(prefix, recursive, visitor);
      return null;
    });
  }

  @Override
  public InputStream get(String key) throws IOException {
    return read(Operation.GET, () -> delegate.get(key));
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    return read(Operation.GET_RANGE, () -> delegate.getRange(key, offset, length));
  }

  @Override
  public boolean exists(String key) throws IOException {
    return call(Operation.EXISTS, () -> delegate.exists(key));
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    return call(Operation.ATTRIBUTES, () -> delegate.attributes(key));
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    CountingInputStream counted = new CountingInputStream(in);
    upload(() -> {
      delegate.upload(key, counted, length);
      return counted.count;
    });
  }

  @Override
  public void upload(String key, byte[] content) throws IOException {
    upload(() -> {
      delegate.upload(key, content);
      return content.length;
    });
  }

  @Override
  public void upload(String key, Path file) throws IOException {
    upload(() -> {
      delegate.upload(key, file);
      return Files.size(file);
    });
  }

  @Override
  public void uploadDisposable(String key, Path file) throws IOException {
    upload(() -> {
      delegate.uploadDisposable(key, file);
      return Files.size(file);
    });
  }

  @Override
  public void uploadWhileWritten(String key, GrowingFile file) throws IOException {
    // The call lasts as long as the writer takes: its duration leaves out the time it waited for the file.
    long waitedBefore = file.waitedNanos();
    upload(() -> {
      delegate.uploadWhileWritten(key, file);
      return file.length();
    }, () -> file.waitedNanos() - waitedBefore);
  }

  @Override
  public boolean uploadsWhileWritten() {
    return delegate.uploadsWhileWritten();
  }

  @Override
  public long download(String key, Path target) throws IOException {
    OpMeters m = begin(Operation.GET);
    Timer.Sample t = Timer.start(registry);
    long bytes = rethrowCounted(m, () -> delegate.download(key, target));
    m.fetched.increment(bytes);
    m.transferred.record(bytes);
    t.stop(m.duration);
    return bytes;
  }

  @Override
  public long downloadInto(String key, Path target, long size, WrittenRanges written) throws IOException {
    OpMeters m = begin(Operation.GET);
    Timer.Sample t = Timer.start(registry);
    long bytes = rethrowCounted(m, () -> delegate.downloadInto(key, target, size, written));
    m.fetched.increment(bytes);
    m.transferred.record(bytes);
    t.stop(m.duration);
    return bytes;
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
  public byte[] getBytes(String key) throws IOException {
    OpMeters m = begin(Operation.GET);
    Timer.Sample t = Timer.start(registry);
    byte[] bytes = rethrowCounted(m, () -> delegate.getBytes(key));
    m.fetched.increment(bytes.length);
    m.transferred.record(bytes.length);
    t.stop(m.duration);
    return bytes;
  }

  @Override
  public void delete(String key) throws IOException {
    call(Operation.DELETE, () -> {
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
    return delegate.toString();
  }

  // ------------------------------------------------------------------------------------------------ internals

  @FunctionalInterface
  private interface IoCall<T> {
    T call() throws IOException;
  }

  private OpMeters begin(Operation op) {
    OpMeters m = metrics.of(op);
    m.operations.increment();
    return m;
  }

  private <T> T call(Operation op, IoCall<T> c) throws IOException {
    OpMeters m = begin(op);
    Timer.Sample t = Timer.start(registry);
    T result = rethrowCounted(m, c);
    t.stop(m.duration);
    return result;
  }

  private void upload(IoCall<Number> c) throws IOException {
    upload(c, () -> 0);
  }

  /** An upload whose duration leaves out {@code notCounted} nanoseconds, asked once it has ended. */
  private void upload(IoCall<Number> c, java.util.function.LongSupplier notCounted) throws IOException {
    OpMeters m = begin(Operation.UPLOAD);
    long start = registry.config().clock().monotonicTime();
    long bytes = rethrowCounted(m, c).longValue();
    // Uploads finish on several threads: the gauge keeps the latest time, whatever order they report in.
    metrics.lastUpload.accumulateAndGet(clock.instant().getEpochSecond(), Math::max);
    long took = registry.config().clock().monotonicTime() - start - notCounted.getAsLong();
    m.duration.record(Math.max(0, took), java.util.concurrent.TimeUnit.NANOSECONDS);
    m.transferred.record(bytes);
  }

  private InputStream read(Operation op, IoCall<InputStream> open) throws IOException {
    OpMeters m = begin(op);
    Timer.Sample t = Timer.start(registry);
    InputStream in = rethrowCounted(m, open);
    return new MeteredInputStream(in, m, t);
  }

  private static <T> T rethrowCounted(OpMeters m, IoCall<T> c) throws IOException {
    try {
      return c.call();
    } catch (IOException | RuntimeException e) {
      m.failed(e);
      throw e;
    }
  }

  /** Counts the bytes read; on close, times the whole read and records its size, unless reading failed. */
  private static final class MeteredInputStream extends FilterInputStream {
    private final OpMeters meters;
    private final Timer.Sample sample;
    private long bytes;
    private boolean done;

    MeteredInputStream(InputStream in, OpMeters meters, Timer.Sample sample) {
      super(in);
      this.meters = meters;
      this.sample = sample;
    }

    @Override
    public int read() throws IOException {
      int b = guarded(() -> super.read());
      if (b >= 0) {
        add(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = guarded(() -> super.read(buf, off, len));
      if (n > 0) {
        add(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Skipped bytes may still cross the network, but FilterInputStream's skip may not: not counted as fetched.
      return guarded(() -> super.skip(n));
    }

    @Override
    public void close() throws IOException {
      try {
        super.close();
      } catch (IOException | RuntimeException e) {
        if (!done) {
          done = true;
          meters.failed(e);
        }
        throw e;
      }
      if (!done) {
        done = true;
        sample.stop(meters.duration);
        meters.transferred.record(bytes);
      }
    }

    private void add(int n) {
      bytes += n;
      meters.fetched.increment(n);
    }

    private <T> T guarded(IoCall<T> c) throws IOException {
      try {
        return c.call();
      } catch (IOException | RuntimeException e) {
        if (!done) {
          done = true; // one failure per read, however often the caller retries on the broken stream
          meters.failed(e);
        }
        throw e;
      }
    }
  }

  /** Counts the bytes an upload consumed from its source stream. */
  private static final class CountingInputStream extends FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public void close() {
      // The Bucket contract: upload reads the stream but does not close it; the caller does.
    }
  }
}
