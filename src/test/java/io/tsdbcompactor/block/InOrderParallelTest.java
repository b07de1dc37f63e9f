package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InOrderParallelTest {
  /** An item: its number, and the thread that worked on it. */
  static final class Item {
    final int n;
    volatile String workedBy;

    Item(int n) {
      this.n = n;
    }
  }

  static final String HELPER = "in-order-test";

  static boolean helperAlive() {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(HELPER) && t.isAlive());
  }

  @Test
  void everyItemReachesTheSinkOnceInOrderWhicheverThreadWorkedOnIt() throws IOException {
    List<Integer> sunk = new ArrayList<>();
    ConcurrentHashMap<String, AtomicInteger> byThread = new ConcurrentHashMap<>();
    String caller = Thread.currentThread().getName();
    try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item -> {
      item.workedBy = Thread.currentThread().getName();
      byThread.computeIfAbsent(item.workedBy, k -> new AtomicInteger()).incrementAndGet();
    }, item -> {
      assertEquals(caller, Thread.currentThread().getName(), "the sink runs on the calling thread");
      assertTrue(item.workedBy != null, "item " + item.n + " reached the sink before it was worked on");
      sunk.add(item.n);
    }, 7, 1000, true)) {
      for (int i = 0; i < 10_000; i++) {
        p.add(new Item(i), i % 300);
      }
      p.finish();
    }
    assertEquals(10_000, sunk.size());
    for (int i = 0; i < sunk.size(); i++) {
      assertEquals(i, sunk.get(i));
    }
    if (InOrderParallel.MULTI_CORE) {
      // The first full batch always finds the helper's queue empty.
      assertTrue(byThread.containsKey(HELPER), "the helper worked on nothing: " + byThread);
    }
    assertFalse(helperAlive(), "close stops the helper");
  }

  @Test
  void itemsHeldBetweenAddAndSinkAreBounded() throws IOException {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    int batch = 5;
    try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item -> { }, item -> inFlight.decrementAndGet(),
        batch, Long.MAX_VALUE, true)) {
      for (int i = 0; i < 5_000; i++) {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        p.add(new Item(i), 1);
      }
      p.finish();
    }
    assertEquals(0, inFlight.get());
    // the batches pending plus the one being filled
    assertTrue(maxInFlight.get() <= (InOrderParallel.MAX_PENDING + 1) * batch, "held " + maxInFlight.get());
  }

  @Test
  void heavyItemsAreFewInFlightAndStillShared() throws IOException {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    ConcurrentHashMap<String, AtomicInteger> byThread = new ConcurrentHashMap<>();
    try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item ->
        byThread.computeIfAbsent(Thread.currentThread().getName(), k -> new AtomicInteger()).incrementAndGet(),
        item -> inFlight.decrementAndGet(), 64, 100, true)) {
      for (int i = 0; i < 2_000; i++) {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        p.add(new Item(i), 1_000); // each item alone outweighs a batch
      }
      p.finish();
    }
    assertEquals(0, inFlight.get());
    // two pending batches of one item each, and the one being added
    assertTrue(maxInFlight.get() <= 3, "held " + maxInFlight.get());
    if (InOrderParallel.MULTI_CORE) {
      // The first batch always finds the helper idle.
      assertTrue(byThread.containsKey(HELPER), "the helper worked on nothing: " + byThread);
    }
  }

  @Test
  void aBatchIsDispatchedWhenItReachesItsWeight() throws Exception {
    assumeTrue(InOrderParallel.MULTI_CORE, "one core: items are worked on at once, without batches");
    List<Integer> sunk = new ArrayList<>();
    List<Integer> worked = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.CountDownLatch firstBatchWorked = new java.util.concurrent.CountDownLatch(2);
    try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item -> {
      worked.add(item.n);
      firstBatchWorked.countDown();
    }, item -> sunk.add(item.n), 1000, 100, true)) {
      p.add(new Item(0), 60);
      assertEquals(List.of(), worked, "below its weight the batch is still being filled");
      p.add(new Item(1), 60); // 120 >= 100: the batch goes to the idle helper
      assertTrue(firstBatchWorked.await(30, java.util.concurrent.TimeUnit.SECONDS),
          "the full batch was never handed over: " + worked);
      p.add(new Item(2), 1);
      assertEquals(List.of(0, 1), worked, "item 2 waits in the next batch");
      p.finish();
    }
    assertEquals(List.of(0, 1, 2), sunk);
  }

  @Test
  void theFirstFailureInItemOrderIsThrownAndNothingAfterItIsSunk() {
    List<Integer> sunk = new ArrayList<>();
    IOException at300 = new IOException("item 300");
    IOException at700 = new IOException("item 700");
    IOException thrown = assertThrows(IOException.class, () -> {
      try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item -> {
        if (item.n == 700) {
          throw at700;
        }
        if (item.n == 300) {
          throw at300;
        }
      }, item -> sunk.add(item.n), 16, Long.MAX_VALUE, true)) {
        for (int i = 0; i < 1000; i++) {
          p.add(new Item(i), 1);
        }
        p.finish();
      }
    });
    assertSame(at300, thrown);
    assertEquals(300, sunk.size());
    assertEquals(299, sunk.get(299));
    assertFalse(helperAlive());
  }

  @Test
  void anErrorOnTheHelperIsRethrownOnTheCallingThread() {
    assumeTrue(InOrderParallel.MULTI_CORE, "one core: there is no helper");
    AssertionError boom = new AssertionError("helper failed");
    AssertionError thrown = assertThrows(AssertionError.class, () -> {
      try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item -> {
        if (Thread.currentThread().getName().equals(HELPER)) {
          throw boom;
        }
      }, item -> { }, 4, Long.MAX_VALUE, true)) {
        for (int i = 0; i < 100; i++) {
          p.add(new Item(i), 1);
        }
        p.finish();
      }
    });
    assertSame(boom, thrown);
    assertFalse(helperAlive());
  }

  @Test
  void aFailingSinkLeavesNoHelperRunning() {
    assertThrows(IOException.class, () -> {
      try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item -> { }, item -> {
        if (item.n == 50) {
          throw new IOException("disk full");
        }
      }, 8, Long.MAX_VALUE, true)) {
        for (int i = 0; i < 10_000; i++) {
          p.add(new Item(i), 1);
        }
        p.finish();
      }
    });
    assertFalse(helperAlive());
  }

  @Test
  void withoutParallelismEverythingRunsInlineAtOnce() throws IOException {
    String caller = Thread.currentThread().getName();
    List<Integer> sunk = new ArrayList<>();
    try (InOrderParallel<Item> p = new InOrderParallel<>(HELPER, () -> item -> item.workedBy =
        Thread.currentThread().getName(), item -> sunk.add(item.n), 10, Long.MAX_VALUE, false)) {
      for (int i = 0; i < 25; i++) {
        Item item = new Item(i);
        p.add(item, 1);
        assertEquals(caller, item.workedBy);
        assertEquals(i + 1, sunk.size(), "sunk at once");
      }
      p.finish();
    }
    assertFalse(helperAlive());
  }
}
