package io.tsdbcompactor.bucket;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a bucket and injects faults, so tests prove that retries and atomic writes do what they claim:
 * failing calls ({@link #failNext}), streams that break after a number of bytes ({@link #breakReadsAfter},
 * {@link #breakUploadsAfter}), short reads that return a few bytes per call ({@link #shortReads}), slow reads
 * ({@link #slowReads}). Faults are
 * counted down across threads; {@link #calls} tells how often each operation ran.
 */
public final class FaultInjectingBucket implements Bucket {

  /** The operations a fault can be attached to. */
  public enum Op { LIST, GET, GET_RANGE, EXISTS, ATTRIBUTES, UPLOAD, DELETE }

  private final Bucket delegate;
  private final Map<Op, AtomicInteger> failures = new EnumMap<>(Op.class);
  private final Map<Op, AtomicInteger> calls = new EnumMap<>(Op.class);
  private final AtomicInteger readBreaks = new AtomicInteger();
  private final AtomicLong readBreakAfter = new AtomicLong();
  private final AtomicInteger uploadBreaks = new AtomicInteger();
  private final AtomicLong uploadBreakAfter = new AtomicLong();
  private final java.util.List<String> journal = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
  private volatile String breakingKey;
  private volatile String failingUploadKey;
  private volatile long breakingKeyAfter = -1;
  private volatile int shortReadMax;
  private volatile boolean retryable = true;
  private volatile java.time.Duration readDelay = java.time.Duration.ZERO;
  private volatile RetryPolicy.Sleeper sleeper = RetryPolicy.THREAD_SLEEP;

  public FaultInjectingBucket(Bucket delegate) {
    this.delegate = delegate;
    for (Op op : Op.values()) {
      failures.put(op, new AtomicInteger());
      calls.put(op, new AtomicInteger());
    }
  }

  /** The next {@code times} calls of {@code op} fail with an injected error before reaching the bucket. */
  public FaultInjectingBucket failNext(Op op, int times) {
    failures.get(op).set(times);
    return this;
  }

  /** The next {@code times} read streams throw a "connection reset" after {@code bytes} bytes. */
  public FaultInjectingBucket breakReadsAfter(long bytes, int times) {
    readBreakAfter.set(bytes);
    readBreaks.set(times);
    return this;
  }

  /** Every read stream of {@code key} throws a "connection reset" after {@code bytes} bytes (-1: none does). */
  public FaultInjectingBucket breakReadsOf(String key, long bytes) {
    this.breakingKey = key;
    this.breakingKeyAfter = bytes;
    return this;
  }

  /**
   * The next {@code times} uploads read {@code bytes} bytes of their input and then fail as a dropped
   * connection would, in the middle of the delegate's write.
   */
  public FaultInjectingBucket breakUploadsAfter(long bytes, int times) {
    uploadBreakAfter.set(bytes);
    uploadBreaks.set(times);
    return this;
  }

  /** Read streams return at most {@code maxBytes} per call (0 turns this off): slow, short reads. */
  public FaultInjectingBucket shortReads(int maxBytes) {
    this.shortReadMax = maxBytes;
    return this;
  }

  /**
   * Every read call on a returned stream first waits {@code delay} through {@code sleeper}: a slow store.
   * Tests pass a sleeper that records instead of waiting.
   */
  public FaultInjectingBucket slowReads(java.time.Duration delay, RetryPolicy.Sleeper sleeper) {
    this.readDelay = delay;
    this.sleeper = sleeper;
    return this;
  }

  /** Whether injected errors are retryable (default) or permanent. */
  public FaultInjectingBucket retryable(boolean retryable) {
    this.retryable = retryable;
    return this;
  }

  /** Every upload of {@code key} fails with an injected error (null: none does). */
  public FaultInjectingBucket failUploadsOf(String key) {
    this.failingUploadKey = key;
    return this;
  }

  /** How many times {@code op} was called (including failed calls). */
  public int calls(Op op) {
    return calls.get(op).get();
  }

  /** Every call so far as "OP key", in call order (tests check upload and delete order). */
  public java.util.List<String> journal() {
    synchronized (journal) {
      return new java.util.ArrayList<>(journal);
    }
  }

  private void enter(Op op, String key) throws BucketException {
    calls.get(op).incrementAndGet();
    journal.add(op + " " + key);
    if (failures.get(op).getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
      throw new BucketException("injected fault: " + op + " " + key, retryable);
    }
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    enter(Op.LIST, prefix);
    delegate.list(prefix, recursive, visitor);
  }

  @Override
  public InputStream get(String key) throws IOException {
    enter(Op.GET, key);
    return wrapRead(key, delegate.get(key));
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    enter(Op.GET_RANGE, key);
    return wrapRead(key, delegate.getRange(key, offset, length));
  }

  private InputStream wrapRead(String key, InputStream in) {
    long breakAfter = readBreaks.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0 ? readBreakAfter.get()
        : key.equals(breakingKey) ? breakingKeyAfter : -1;
    return new FaultyStream(in, key, breakAfter, shortReadMax);
  }

  @Override
  public boolean exists(String key) throws IOException {
    enter(Op.EXISTS, key);
    return delegate.exists(key);
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    enter(Op.ATTRIBUTES, key);
    return delegate.attributes(key);
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    enter(Op.UPLOAD, key);
    if (key.equals(failingUploadKey)) {
      throw new BucketException("injected fault: UPLOAD " + key, retryable);
    }
    long breakAfter = uploadBreaks.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0 ? uploadBreakAfter.get() : -1;
    delegate.upload(key, breakAfter < 0 ? in : new FaultyStream(in, key, breakAfter, 0), length);
  }

  // Array and file uploads go through the stream form so the faults above apply to them too.
  @Override
  public void upload(String key, byte[] content) throws IOException {
    upload(key, new java.io.ByteArrayInputStream(content), content.length);
  }

  @Override
  public void upload(String key, Path file) throws IOException {
    try (InputStream in = java.nio.file.Files.newInputStream(file)) {
      upload(key, in, java.nio.file.Files.size(file));
    }
  }

  @Override
  public void delete(String key) throws IOException {
    enter(Op.DELETE, key);
    delegate.delete(key);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }

  private final class FaultyStream extends FilterInputStream {
    private final String key;
    private final long breakAfter;
    private final int maxChunk;
    private long pos;

    FaultyStream(InputStream in, String key, long breakAfter, int maxChunk) {
      super(in);
      this.key = key;
      this.breakAfter = breakAfter;
      this.maxChunk = maxChunk;
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
      if (!readDelay.isZero()) {
        try {
          sleeper.sleep(readDelay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted during an injected slow read of " + key);
        }
      }
      int want = len;
      if (maxChunk > 0) {
        want = Math.min(want, maxChunk);
      }
      if (breakAfter >= 0) {
        if (pos >= breakAfter) {
          throw new BucketException("injected connection reset reading " + key + " at byte " + pos, retryable);
        }
        want = (int) Math.min(want, breakAfter - pos);
      }
      int n = in.read(b, off, want);
      if (n > 0) {
        pos += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(n, 8192)];
      int r = read(buf, 0, buf.length);
      return Math.max(r, 0);
    }
  }
}
