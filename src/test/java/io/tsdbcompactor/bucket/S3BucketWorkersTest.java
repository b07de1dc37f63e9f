package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InterruptedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The workers that send an S3 object's parts (or fetch its ranges) side by side: the thread that waits for them
 * waits until each has ended even when it is interrupted, so what follows (a multipart upload's abort) cannot race a
 * request still in flight.
 */
class S3BucketWorkersTest {
  @Test
  void interruptedTheWaitingThreadStillWaitsForTheRequestInFlightAndKeepsItsInterrupt() throws Exception {
    CountDownLatch helperStarted = new CountDownLatch(1);
    CountDownLatch reply = new CountDownLatch(1);
    AtomicBoolean helperEnded = new AtomicBoolean();
    // A request in flight: an interrupt does not stop it (a socket read does not notice one), its reply does.
    Runnable requestInFlight = () -> {
      helperStarted.countDown();
      for (boolean replied = false; !replied; ) {
        try {
          reply.await(30, TimeUnit.SECONDS);
          replied = true;
        } catch (InterruptedException ignored) {
          // the request goes on
        }
      }
      helperEnded.set(true);
    };
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean helperEndedFirst = new AtomicBoolean();
    AtomicBoolean interruptKept = new AtomicBoolean();
    Thread waiting = new Thread(() -> {
      try {
        S3Bucket.runConcurrently("test-parts", 1, requestInFlight, new AtomicReference<>(), () -> { });
      } catch (Throwable e) {
        thrown.set(e);
      }
      helperEndedFirst.set(helperEnded.get());
      interruptKept.set(Thread.currentThread().isInterrupted());
    });
    waiting.start();
    assertTrue(helperStarted.await(30, TimeUnit.SECONDS), "the helper started");

    waiting.interrupt();
    // Until the thread has taken the interrupt: it either returned, or waits (with a time limit) for the helper.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (waiting.isAlive() && waiting.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000);
    }
    reply.countDown();
    waiting.join(30_000);
    assertFalse(waiting.isAlive());

    assertTrue(helperEndedFirst.get(), "returned while a request was still in flight");
    assertInstanceOf(InterruptedIOException.class, thrown.get(), String.valueOf(thrown.get()));
    assertTrue(interruptKept.get(), "the interrupt is kept");
  }
}
