package io.tsdbcompactor.sync;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts operations in flight and the most seen at once. So that the most can actually be reached (the
 * operations of a fast fixture would rarely overlap), {@link #enter} holds each operation until {@code target}
 * are in flight together; after that the gate stays open. The hold is a bounded wait on that signal: an
 * implementation that never reaches {@code target} at once shows as {@link #max()} below it, not as a hang.
 */
public final class InFlightGauge {
  private final int target;
  private final AtomicInteger now = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();
  private boolean open; // guarded by this

  public InFlightGauge(int target) {
    this.target = target;
  }

  /** One more operation in flight; returns once the gate is open (or after a bounded wait). */
  public void enter() {
    int n = now.incrementAndGet();
    max.accumulateAndGet(n, Math::max);
    synchronized (this) {
      if (n >= target) {
        open = true;
        notifyAll();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      boolean interrupted = false;
      while (!open) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  public void exit() {
    now.decrementAndGet();
  }

  /** The most operations that were in flight at once. */
  public int max() {
    return max.get();
  }
}
