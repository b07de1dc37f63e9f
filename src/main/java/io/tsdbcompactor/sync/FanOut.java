package io.tsdbcompactor.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one task per item, at most {@code concurrency} at a time, for the steps of a run (groups to compact,
 * blocks to downsample).
 *
 * <p>Failure policy: a task handles the failures it expects itself (it records a report line and marks the
 * block), so one bad group or block never stops the others. An exception escaping a task is a bug: every task
 * still runs, then the first such exception is thrown with the others suppressed.
 */
public final class FanOut {
  /** One item's work. */
  public interface Task<T> {
    void run(T item);
  }

  private final String threadName;

  public FanOut(String threadName) {
    this.threadName = threadName;
  }

  public <T> void run(List<T> items, int concurrency, Task<T> task) {
    if (concurrency <= 1 || items.size() <= 1) {
      RuntimeException failure = null;
      for (T item : items) {
        try {
          task.run(item);
        } catch (RuntimeException e) {
          failure = add(failure, e);
        }
      }
      if (failure != null) {
        throw failure;
      }
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(concurrency, items.size()), r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    RuntimeException failure = null;
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (T item : items) {
        futures.add(pool.submit(() -> task.run(item)));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          failure = add(failure, e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static RuntimeException add(RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
