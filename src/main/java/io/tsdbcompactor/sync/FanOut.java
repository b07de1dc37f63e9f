package io.tsdbcompactor.sync;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one task per item, at most {@code concurrency} at a time: the files of a block being transferred, the
 * groups of a compaction step, the blocks of a downsampling step. One helper, so every fan-out states its failure
 * policy instead of inventing one:
 *
 * <ul>
 *   <li>{@link OnFailure#STOP}: the first failure cancels what has not finished and is thrown, later ones
 *       suppressed (a block transfer: one missing file spoils the block, the rest is wasted work);</li>
 *   <li>{@link OnFailure#FINISH_ALL}: every item runs; then the first failure is thrown with the others
 *       suppressed (groups and blocks of a step: one bad group must not stop the others; the steps' tasks record
 *       their expected failures themselves, so what escapes is unexpected).</li>
 * </ul>
 *
 * The pool lives as long as one {@link #run} call and is sized {@code min(concurrency, items)}; with one item or a
 * concurrency of 1 the tasks run on the caller's thread.
 */
public final class FanOut {
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

  private final String threadName;
  private final OnFailure onFailure;

  public FanOut(String threadName, OnFailure onFailure) {
    this.threadName = threadName;
    this.onFailure = onFailure;
  }

  /** Runs {@code task} over {@code items}; throws as the failure policy says. */
  public <T> void run(List<T> items, int concurrency, Task<T> task) throws IOException {
    if (concurrency <= 1 || items.size() <= 1) {
      Exception failure = null;
      for (T item : items) {
        try {
          task.run(item);
        } catch (IOException | RuntimeException e) {
          if (onFailure == OnFailure.STOP) {
            throw e;
          }
          failure = add(failure, e);
        }
      }
      rethrow(failure);
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(concurrency, items.size()), r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    Exception failure = null;
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (T item : items) {
        futures.add(pool.submit(() -> {
          task.run(item);
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          Exception cause = e.getCause() instanceof Exception x ? x : new IllegalStateException(e.getCause());
          boolean first = failure == null;
          failure = add(failure, cause);
          if (first && onFailure == OnFailure.STOP) {
            futures.forEach(g -> g.cancel(true));
          }
        } catch (CancellationException e) {
          // cancelled after an earlier failure
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for " + threadName + " tasks");
        }
      }
    } finally {
      pool.shutdownNow();
    }
    rethrow(failure);
  }

  /** As {@link #run} for tasks that throw no checked exception. */
  public <T> void runUnchecked(List<T> items, int concurrency, Task<T> task) {
    try {
      run(items, concurrency, task);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Exception add(Exception first, Exception next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  private static void rethrow(Exception failure) throws IOException {
    if (failure instanceof IOException io) {
      throw io;
    }
    if (failure instanceof RuntimeException r) {
      throw r;
    }
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }
}
