package io.tsdbcompactor.block;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Works on a stream of items on the calling thread and one helper thread, and hands them back in the order they
 * came: how a compaction or a downsampling spreads the decoding and re-encoding of its series over two cores while
 * its output stays in series order.
 *
 * <p>The caller {@link #add}s items; they are gathered into batches. A full batch goes to the helper when the
 * helper has room for it, else the caller works on it itself, so neither thread waits while there is work. Finished
 * batches reach the {@link Sink} strictly in order, on the calling thread, whichever thread did the work; at most
 * {@link #MAX_PENDING} batches are between {@code add} and the sink at a time, which bounds the memory held. With
 * one core (or {@code parallel} false) every item is worked on and sunk at once, inline.
 *
 * <p>A {@link Work} that throws does not stop the stream: the exception is kept with its item and thrown from
 * {@link #add} or {@link #finish} when that item's turn at the sink comes, so the first failure in item order is
 * the one reported, as it would be done one item at a time. Not thread-safe: one calling thread.
 *
 * @param <T> an item, which carries its own result from {@link Work} to {@link Sink}
 */
public final class InOrderParallel<T> implements Closeable {
  /** Works on one item; one instance per thread, so it may keep scratch state. */
  @FunctionalInterface
  public interface Work<T> {
    void run(T item) throws IOException;
  }

  /** Receives the worked items in order, on the calling thread. */
  @FunctionalInterface
  public interface Sink<T> {
    void accept(T item) throws IOException;
  }

  /**
   * Batches between {@link #add} and the sink at most: the helper's, those queued for it, and those the caller
   * worked on itself while the helper had enough.
   */
  public static final int MAX_PENDING = 6;
  /**
   * Batches queued for the helper. More than one, so that it rarely runs dry and parks: waking it costs more than
   * a small batch's work (with one, a 500k-series merge took a quarter longer at 16 KB batches).
   */
  private static final int HELPER_QUEUE = 3;
  /**
   * Full batches' weight the helper may have unfinished, and that may be pending in all, beyond one and two
   * batches. Items heavier than a batch (long series) make batches of one item: six of those in flight outlive
   * the young generation's collections and fill the old one with garbage.
   */
  static final int HELPER_WEIGHT = 3;
  static final int PENDING_WEIGHT = 5;
  /**
   * The batch size for series of a block (a merge's or a downsampling's): at most this many series, or this many
   * bytes of input chunks. Small, so that the few batches in flight die young: batches that outlive the small young
   * generation's collections fill the old one with garbage (a 64 MiB run's heap peaked at 62 MB instead of 22 MB
   * with 256-series batches, and a downsampling's at 49 MB with 64 KB ones).
   */
  public static final int SERIES_BATCH_ITEMS = 64;
  public static final long SERIES_BATCH_BYTES = 32 * 1024;
  public static final boolean MULTI_CORE = Runtime.getRuntime().availableProcessors() > 1;

  private final String threadName;
  /** The helper's work, made here so that the helper cannot fail before it takes its first batch. */
  private final Work<T> helperWork;
  private final Work<T> own;
  private final Sink<T> sink;
  private final int batchItems;
  private final long batchWeight;
  private final boolean parallel;
  private final ArrayBlockingQueue<Batch<T>> toHelper = new ArrayBlockingQueue<>(HELPER_QUEUE);
  private final ArrayDeque<Batch<T>> pending = new ArrayDeque<>();
  private Batch<T> filling;
  private Thread helper;
  private volatile boolean stopping;

  /**
   * @param threadName the helper thread's name
   * @param workPerThread makes the work of each thread (the caller's and the helper's)
   * @param batchItems a batch is full at this many items
   * @param batchWeight or at this much weight (the caller's measure, bytes for a merge)
   * @param parallel false: everything inline on the calling thread, as on one core
   */
  public InOrderParallel(String threadName, Supplier<Work<T>> workPerThread, Sink<T> sink, int batchItems,
      long batchWeight, boolean parallel) {
    this.threadName = threadName;
    this.own = workPerThread.get();
    this.sink = sink;
    this.batchItems = batchItems;
    this.batchWeight = batchWeight;
    this.parallel = parallel && MULTI_CORE;
    this.helperWork = this.parallel ? workPerThread.get() : null;
    this.filling = new Batch<>(batchItems);
  }

  /** Adds an item; may run the sink for earlier items (and throw what their work threw). */
  public void add(T item, long weight) throws IOException {
    if (!parallel) {
      own.run(item);
      sink.accept(item);
      return;
    }
    filling.add(item, weight);
    if (filling.items.size() >= batchItems || filling.weight >= batchWeight) {
      dispatch();
      drain(false);
    }
  }

  /** Works on and sinks every item added: when this returns, the sink has had them all. */
  public void finish() throws IOException {
    if (parallel && !filling.items.isEmpty()) {
      dispatch();
    }
    drain(true);
  }

  private void dispatch() throws IOException {
    while (pending.size() >= MAX_PENDING
        || pending.size() >= 2 && pendingWeight() + filling.weight > PENDING_WEIGHT * batchWeight) {
      sinkHead();
    }
    Batch<T> b = filling;
    filling = new Batch<>(batchItems);
    pending.addLast(b);
    if (helper == null) {
      helper = new Thread(this::helperLoop, threadName);
      helper.setDaemon(true);
      helper.start();
    }
    long helperHas = helperWeight();
    if ((helperHas == 0 || helperHas + b.weight <= HELPER_WEIGHT * batchWeight) && toHelper.offer(b)) {
      b.onHelper = true;
      return;
    }
    b.runAll(own);
    b.done.countDown();
  }

  private long pendingWeight() {
    long w = 0;
    for (Batch<T> b : pending) {
      w += b.weight;
    }
    return w;
  }

  /** The weight of the batches handed to the helper that it has not finished. */
  private long helperWeight() {
    long w = 0;
    for (Batch<T> b : pending) {
      if (b.onHelper && b.done.getCount() > 0) {
        w += b.weight;
      }
    }
    return w;
  }

  /** Sinks the finished batches at the head of the queue; with {@code all}, waits for and sinks every batch. */
  private void drain(boolean all) throws IOException {
    while (!pending.isEmpty() && (all || pending.peekFirst().done.getCount() == 0)) {
      sinkHead();
    }
  }

  private void sinkHead() throws IOException {
    Batch<T> b = pending.pollFirst();
    try {
      b.done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + threadName);
    }
    if (b.helperError != null) {
      throw b.helperError;
    }
    for (int i = 0; i < b.items.size(); i++) {
      Exception e = b.failures == null ? null : b.failures[i];
      if (e != null) {
        rethrow(e);
      }
      sink.accept(b.items.get(i));
    }
  }

  private static void rethrow(Exception e) throws IOException {
    if (e instanceof IOException io) {
      throw io;
    }
    throw (RuntimeException) e;
  }

  private void helperLoop() {
    Work<T> work = helperWork;
    while (!stopping) {
      Batch<T> b;
      try {
        b = toHelper.take();
      } catch (InterruptedException e) {
        return;
      }
      try {
        if (!stopping) {
          b.runAll(work);
        }
      } catch (Error e) {
        b.helperError = e;
      } finally {
        b.done.countDown();
      }
    }
  }

  /** Stops the helper (after the batch it is on, if any); the items not yet sunk are dropped. */
  @Override
  public void close() {
    stopping = true;
    if (helper != null) {
      helper.interrupt();
      try {
        helper.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      helper = null;
    }
  }

  private static final class Batch<T> {
    final List<T> items;
    long weight;
    /** Handed to the helper (set by the caller only). */
    boolean onHelper;
    /** Per item, what its work threw; null while nothing did. */
    Exception[] failures;
    /** An Error on the helper: the whole batch is lost (the caller rethrows it). */
    volatile Error helperError;
    final CountDownLatch done = new CountDownLatch(1);

    Batch(int capacity) {
      items = new ArrayList<>(capacity);
    }

    void add(T item, long w) {
      items.add(item);
      weight += w;
    }

    void runAll(Work<T> work) {
      for (int i = 0; i < items.size(); i++) {
        try {
          work.run(items.get(i));
        } catch (IOException | RuntimeException e) {
          if (failures == null) {
            failures = new Exception[items.size()];
          }
          failures[i] = e;
        }
      }
    }
  }
}
