package io.tsdbcompactor.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The one fan-out helper: its bound holds across callers and levels, its failure policies, its shutdown. */
class FanOutTest {
  private static List<Integer> items(int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void aLevelRunsAtMostItsWorkersAtOnceWhateverTheNumberOfCallersAndOuterTasks() throws Exception {
    // Outer level of 3 (say --compact.concurrency), inner of 2 (say --block-files-concurrency): each outer task
    // fans out 6 items; per-call pools would allow 3 x 2 = 6 inner tasks at once, the shared level only 2.
    InFlightGauge inner = new InFlightGauge(2);
    try (FanOut outer = FanOut.bounded("outer", 3); FanOut files = FanOut.bounded("files", 2)) {
      outer.run(items(5), FanOut.OnFailure.STOP, i -> files.run(items(6), FanOut.OnFailure.STOP, j -> {
        inner.enter();
        inner.exit();
      }));
    }
    assertEquals(2, inner.max(), "inner tasks in flight at once");
  }

  @Test
  void twoCallersShareOneBound() throws Exception {
    InFlightGauge gauge = new InFlightGauge(3);
    try (FanOut level = FanOut.bounded("level", 3)) {
      CompletableFuture<Void> other = CompletableFuture.runAsync(() -> level.runUnchecked(items(20),
          FanOut.OnFailure.STOP, i -> {
            gauge.enter();
            gauge.exit();
          }));
      level.run(items(20), FanOut.OnFailure.STOP, i -> {
        gauge.enter();
        gauge.exit();
      });
      other.get(30, TimeUnit.SECONDS);
    }
    assertEquals(3, gauge.max());
  }

  @Test
  void aTaskFanningOutOnItsOwnLevelRunsTheItemsItselfInsteadOfDeadlocking() throws Exception {
    List<String> threads = new ArrayList<>();
    try (FanOut level = FanOut.bounded("single", 1)) {
      level.run(items(1), FanOut.OnFailure.STOP, i -> level.run(items(3), FanOut.OnFailure.STOP, j -> {
        synchronized (threads) {
          threads.add(Thread.currentThread().getName());
        }
      }));
    }
    assertEquals(List.of("single-1", "single-1", "single-1"), threads);
  }

  @Test
  void stopDropsWhatHasNotStartedInterruptsWhatRunsAndThrowsTheFirstFailureOnceTheyEnded() throws Exception {
    IOException boom = new IOException("item 0 failed");
    CountDownLatch othersRunning = new CountDownLatch(1);
    AtomicBoolean otherEnded = new AtomicBoolean();
    Set<Integer> started = ConcurrentHashMap.newKeySet();
    try (FanOut level = FanOut.bounded("stop", 2)) {
      IOException thrown = assertThrows(IOException.class, () -> level.run(items(10), FanOut.OnFailure.STOP, i -> {
        started.add(i);
        if (i == 0) {
          try {
            othersRunning.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new InterruptedIOException();
          }
          throw boom;
        }
        othersRunning.countDown();
        try {
          new CountDownLatch(1).await(30, TimeUnit.SECONDS); // until interrupted by the stop
        } catch (InterruptedException e) {
          otherEnded.set(true);
          throw new InterruptedIOException("stopped");
        }
      }));
      assertSame(boom, thrown);
      assertTrue(otherEnded.get(), "the running task was interrupted and had ended when run returned");
      assertEquals(Set.of(0, 1), started, "the items not started were dropped");
    }
  }

  @Test
  void finishAllRunsEveryItemThenThrowsTheFirstFailureWithTheOthersSuppressed() throws Exception {
    Set<Integer> ran = ConcurrentHashMap.newKeySet();
    try (FanOut level = FanOut.bounded("all", 2)) {
      IOException thrown = assertThrows(IOException.class, () -> level.run(items(10), FanOut.OnFailure.FINISH_ALL,
          i -> {
            ran.add(i);
            if (i % 3 == 0) {
              throw new IOException("item " + i);
            }
          }));
      assertEquals(10, ran.size(), "every item ran");
      assertEquals(3, thrown.getSuppressed().length, "items 0, 3, 6, 9 failed: one thrown, three suppressed");
    }
  }

  @Test
  void aRuntimeFailureOfATaskReachesTheCaller() throws Exception {
    try (FanOut level = FanOut.bounded("runtime", 2)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> level.run(items(3),
          FanOut.OnFailure.FINISH_ALL, i -> {
            throw new IllegalStateException("bug in item " + i);
          }));
      assertEquals(2, e.getSuppressed().length);
    }
  }

  @Test
  void anInterruptedCallerReturnsOnlyAfterTheTaskItStartedHasEnded() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    AtomicBoolean interruptSent = new AtomicBoolean();
    AtomicBoolean taskEnded = new AtomicBoolean();
    AtomicBoolean callerSawTaskRunning = new AtomicBoolean();
    CompletableFuture<Throwable> callerResult = new CompletableFuture<>();
    AtomicReference<Thread> callerThread = new AtomicReference<>();
    try (FanOut level = FanOut.bounded("write", 1)) {
      Thread caller = new Thread(() -> {
        try {
          level.run(items(3), FanOut.OnFailure.FINISH_ALL, i -> {
            entered.countDown();
            // A write that does not stop when interrupted (an SDK finishing its request): it ends once the caller
            // is either gone (what must not happen) or waiting for it with its interrupt taken.
            awaitCallerWaitingOrGone(callerThread.get(), interruptSent);
            taskEnded.set(true);
          });
          callerResult.complete(null);
        } catch (Throwable e) {
          callerResult.complete(e);
        } finally {
          callerSawTaskRunning.set(!taskEnded.get());
        }
      }, "caller");
      callerThread.set(caller);
      caller.start();
      assertTrue(entered.await(30, TimeUnit.SECONDS));
      caller.interrupt();
      interruptSent.set(true);
      Throwable result = callerResult.get(60, TimeUnit.SECONDS);
      caller.join(TimeUnit.SECONDS.toMillis(60));
      assertInstanceOf(InterruptedIOException.class, result);
      assertTrue(taskEnded.get());
      assertFalse(callerSawTaskRunning.get(), "the caller returned while its task was still writing");
    }
  }

  /**
   * Polls (bounded) until {@code caller} has ended, or is parked with its interrupt consumed after the interrupt
   * was sent: the caller is then waiting for this task. Interrupts of this thread are taken and ignored.
   */
  static void awaitCallerWaitingOrGone(Thread caller, AtomicBoolean interruptSent) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Thread.State s = caller.getState();
      if (s == Thread.State.TERMINATED) {
        return;
      }
      if (interruptSent.get() && !caller.isInterrupted()
          && (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING)) {
        return;
      }
      Thread.interrupted();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }
}
