package io.tsdbcompactor.sync;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One level of fan-out with a fixed number of workers: every task of that level in the process, whichever caller
 * submits it, runs on those workers, so a level never has more than {@link #workers()} tasks running (for
 * example {@code --block-files-concurrency} object transfers, however many groups and blocks are moving at once).
 * The pools of a run are made once from its flags and closed when it ends ({@code job.Workers}).
 *
 * <p>Every call states its failure policy:
 * <ul>
 *   <li>{@link OnFailure#STOP}: the first failure stops the call: tasks not started are dropped, running ones are
 *       interrupted, and the failure is thrown once they have ended, later ones suppressed (a block transfer: one
 *       missing file spoils the block, the rest is wasted work);</li>
 *   <li>{@link OnFailure#FINISH_ALL}: every item runs; then the first failure is thrown with the others
 *       suppressed (the groups and blocks of a step: one bad group must not stop the others; the steps' tasks
 *       record their expected failures themselves, so what escapes is unexpected).</li>
 * </ul>
 *
 * <p>{@link #run} returns only when every task it started has ended, whatever happened: a caller that goes on to
 * delete a work directory, or a run that returns, never has workers still writing behind it. An interrupted
 * caller drops what has not started, interrupts what has, waits for those (at most {@link #STOP_GRACE}) and throws
 * {@link InterruptedIOException}.
 *
 * <p>Nesting: a task may fan out again, but only to a <em>deeper</em> level (group → block downloads → files);
 * levels form a chain, and a task only ever waits for tasks of a deeper level, whose own tasks wait for nothing
 * that could be waiting for them, so a fixed-size level cannot deadlock: with all its workers blocked on the next
 * level down, that level still makes progress. Separate pools per level (rather than one pool with caller-runs)
 * keep each flag meaning exactly one thing. A task that fans out on its <em>own</em> level runs those items
 * itself, one after another: it already holds a slot of that level, and queueing behind itself could deadlock.
 */
public final class FanOut implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FanOut.class);
  /** How long an interrupted or closing fan-out waits for running tasks to end. */
  public static final Duration STOP_GRACE = Duration.ofMinutes(1);
  /** Idle workers end after this; a level that is not used holds no threads. */
  private static final long IDLE_SECONDS = 30;

  /** What a failure does to the items not yet done. */
  public enum OnFailure {
    STOP,
    FINISH_ALL
  }

  /** One item's work. */
  @FunctionalInterface
  public interface Task<T> {
    void run(T item) throws IOException;
  }

  private final String name;
  private final int workers;
  private final ThreadPoolExecutor pool;

  private FanOut(String name, int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException(name + ": at least one worker, got " + workers);
    }
    this.name = name;
    this.workers = workers;
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(workers, workers, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> new Worker(this, r, name + "-" + n.incrementAndGet()));
    pool.allowCoreThreadTimeOut(true);
  }

  /** A level named {@code name} (its threads' names) with {@code workers} workers; close it when done. */
  public static FanOut bounded(String name, int workers) {
    return new FanOut(name, workers);
  }

  /**
   * For a caller that has no run's pools (a tool, a test): a level of {@code concurrency} workers for this call
   * only, closed before returning.
   */
  public static <T> void once(String name, int concurrency, List<T> items, OnFailure onFailure, Task<T> task)
      throws IOException {
    if (concurrency <= 1 || items.size() <= 1) {
      inline(items, onFailure, task);
      return;
    }
    try (FanOut f = bounded(name, Math.min(concurrency, items.size()))) {
      f.run(items, onFailure, task);
    }
  }

  public String name() {
    return name;
  }

  /** The most tasks this level runs at once. */
  public int workers() {
    return workers;
  }

  /** Runs {@code task} over {@code items} on this level's workers; throws as {@code onFailure} says. */
  public <T> void run(List<T> items, OnFailure onFailure, Task<T> task) throws IOException {
    if (items.isEmpty()) {
      return;
    }
    if (Thread.currentThread() instanceof Worker w && w.owner == this) {
      inline(items, onFailure, task);
      return;
    }
    Batch<T> batch = new Batch<>(items.size(), onFailure, task);
    for (T item : items) {
      try {
        pool.execute(batch.new Item(item));
      } catch (RejectedExecutionException e) {
        batch.rejected(new InterruptedIOException(name + " is shut down; task not run"));
      }
    }
    batch.await();
    rethrow(batch.failure());
  }

  /** As {@link #run} for callers that throw no checked exception. */
  public <T> void runUnchecked(List<T> items, OnFailure onFailure, Task<T> task) {
    try {
      run(items, onFailure, task);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Takes no more tasks and waits for the running ones (at most {@link #STOP_GRACE}, then interrupts them and
   * waits as long again). Waits even when the caller is interrupted (it is closing because of it).
   */
  @Override
  public void close() {
    pool.shutdown();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          if (!pool.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
            pool.shutdownNow();
            if (!pool.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
              LOG.warn("{}: {} tasks still running after {} of stopping", name, pool.getActiveCount(),
                  STOP_GRACE.multipliedBy(2));
            }
          }
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static <T> void inline(List<T> items, OnFailure onFailure, Task<T> task) throws IOException {
    Throwable failure = null;
    for (T item : items) {
      try {
        task.run(item);
      } catch (IOException | RuntimeException | Error e) {
        if (onFailure == OnFailure.STOP) {
          throw e;
        }
        failure = add(failure, e);
      }
    }
    rethrow(failure);
  }

  private static Throwable add(Throwable first, Throwable next) {
    if (first == null) {
      return next;
    }
    if (first != next) {
      first.addSuppressed(next);
    }
    return first;
  }

  private static void rethrow(Throwable failure) throws IOException {
    if (failure instanceof IOException io) {
      throw io;
    }
    if (failure instanceof RuntimeException r) {
      throw r;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }

  /** A thread of one level; knows its level so a task fanning out on it again runs inline. */
  private static final class Worker extends Thread {
    final FanOut owner;

    Worker(FanOut owner, Runnable r, String name) {
      super(r, name);
      this.owner = owner;
      setDaemon(true);
    }
  }

  /** The items of one {@link #run} call: which are running (to interrupt them), the failures, the count to wait. */
  private final class Batch<T> {
    private final CountDownLatch ended;
    private final OnFailure onFailure;
    private final Task<T> task;
    private final Set<Thread> running = new HashSet<>(); // guarded by this
    private boolean stopped; // guarded by this
    private Throwable failure; // guarded by this

    Batch(int items, OnFailure onFailure, Task<T> task) {
      this.ended = new CountDownLatch(items);
      this.onFailure = onFailure;
      this.task = task;
    }

    /** One queued item; a stopped batch drops it from the queue or, if a worker already took it, skips it. */
    final class Item implements Runnable {
      private final T item;

      Item(T item) {
        this.item = item;
      }

      Batch<T> batch() {
        return Batch.this;
      }

      @Override
      public void run() {
        Thread me = Thread.currentThread();
        synchronized (Batch.this) {
          if (stopped) {
            ended.countDown();
            return;
          }
          running.add(me);
        }
        try {
          task.run(item);
        } catch (Throwable e) {
          failed(e);
        } finally {
          synchronized (Batch.this) {
            running.remove(me);
            // An interrupt meant for this item (the batch stopping) must not reach the worker's next task.
            Thread.interrupted();
          }
          ended.countDown();
        }
      }
    }

    synchronized void failed(Throwable e) {
      if (stopped && failure == null) {
        return; // the caller was interrupted: its own exception says so
      }
      failure = add(failure, e);
      if (onFailure == OnFailure.STOP) {
        stop();
      }
    }

    synchronized void rejected(Throwable e) {
      failure = add(failure, e);
      ended.countDown();
    }

    synchronized Throwable failure() {
      return failure;
    }

    /** Drops the items not started and interrupts the running ones (except the caller's own thread). */
    synchronized void stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      int[] dropped = {0};
      // One pass under the queue's lock: what matches is removed, so no worker can also take it.
      pool.getQueue().removeIf(r -> r instanceof Batch<?>.Item i && i.batch() == this && ++dropped[0] > 0);
      for (int i = 0; i < dropped[0]; i++) {
        ended.countDown();
      }
      Thread me = Thread.currentThread();
      for (Thread t : running) {
        if (t != me) {
          t.interrupt();
        }
      }
    }

    /** Waits for every item; an interrupted caller stops the batch and waits (bounded) for the running items. */
    void await() throws InterruptedIOException {
      try {
        ended.await();
      } catch (InterruptedException e) {
        stop();
        boolean allEnded = awaitUninterruptibly();
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + name + " tasks"
            + (allEnded ? "" : "; " + ended.getCount() + " still running after " + STOP_GRACE));
      }
    }

    private boolean awaitUninterruptibly() {
      long deadline = System.nanoTime() + STOP_GRACE.toNanos();
      while (true) {
        try {
          return ended.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException again) {
          // keep waiting: the workers were interrupted and are ending
        }
      }
    }
  }
}
