package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * S3Bucket against a scripted HTTP server on 127.0.0.1 that answers with throttling (503 SlowDown), server
 * errors, dropped connections and access errors before it serves the object: the client must retry the first
 * three kinds and give up at once on the last.
 */
class S3RetryTest {
  enum Reply { SLOW_DOWN, INTERNAL_ERROR, DROP, FORBIDDEN, HELD }

  HttpServer server;
  final Deque<Reply> script = new ArrayDeque<>();
  final AtomicInteger requests = new AtomicInteger();
  /** A {@link Reply#HELD} request has arrived; its (ordinary) reply waits for {@link #release}. */
  final CountDownLatch held = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);
  static final byte[] BODY = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    ex.getRequestBody().readAllBytes();
    Reply r;
    synchronized (script) {
      r = script.pollFirst();
    }
    if (r == Reply.HELD) {
      held.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      r = null;
    }
    if (r == null) {
      ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
      ex.getResponseHeaders().add("Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT");
      ex.sendResponseHeaders(200, BODY.length);
      ex.getResponseBody().write(BODY);
      ex.close();
      return;
    }
    switch (r) {
      case SLOW_DOWN -> error(ex, 503, "SlowDown", "Please reduce your request rate.");
      case INTERNAL_ERROR -> error(ex, 500, "InternalError", "We encountered an internal error.");
      case FORBIDDEN -> error(ex, 403, "AccessDenied", "Access Denied");
      case DROP, HELD -> { }
    }
    if (r == Reply.DROP) {
      ex.close(); // no response at all: the client sees the connection end
    }
  }

  private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
    byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
        + "</Message><RequestId>r1</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/xml");
    ex.sendResponseHeaders(status, xml.length);
    ex.getResponseBody().write(xml);
    ex.close();
  }

  S3Bucket bucket(int maxRetries) throws IOException {
    S3Config c = new S3Config();
    c.bucket = "b";
    c.endpoint = "127.0.0.1:" + server.getAddress().getPort();
    c.insecure = true;
    c.accessKey = "a";
    c.secretKey = "s";
    c.maxRetries = maxRetries;
    return new S3Bucket(c);
  }

  @Test
  void throttlingServerErrorsAndDropsAreRetried() throws Exception {
    script.add(Reply.SLOW_DOWN);
    script.add(Reply.INTERNAL_ERROR);
    script.add(Reply.DROP);
    try (S3Bucket b = bucket(5)) {
      assertArrayEquals(BODY, b.getBytes("01A/meta.json"));
    }
    assertEquals(4, requests.get());
  }

  /**
   * A request whose thread is interrupted while it waits for the reply ends as an interruption, not as a failure of
   * the bucket: never retried, and the interrupt is kept for the caller.
   */
  @Test
  void anInterruptedRequestIsAnInterruptionNotABucketFailure() throws Exception {
    script.add(Reply.HELD);
    try (S3Bucket b = bucket(5)) {
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicBoolean interruptKept = new AtomicBoolean();
      Thread t = new Thread(() -> {
        try {
          b.getBytes("01A/meta.json");
        } catch (Throwable e) {
          thrown.set(e);
        }
        interruptKept.set(Thread.currentThread().isInterrupted());
      });
      t.start();
      assertTrue(held.await(30, TimeUnit.SECONDS), "the request reached the server");
      t.interrupt();
      release.countDown();
      t.join(30_000);
      assertFalse(t.isAlive());
      assertInstanceOf(InterruptedIOException.class, thrown.get(), String.valueOf(thrown.get()));
      assertTrue(thrown.get().getMessage().contains("01A/meta.json"), thrown.get().getMessage());
      assertTrue(interruptKept.get(), "the interrupt is kept");
    }
    assertEquals(1, requests.get());
  }

  @Test
  void accessDeniedIsNotRetried() throws Exception {
    script.add(Reply.FORBIDDEN);
    try (S3Bucket b = bucket(5)) {
      BucketException e = assertThrows(BucketException.class, () -> b.getBytes("01A/meta.json"));
      assertFalse(e.isRetryable());
      assertTrue(e.getMessage().contains("403") && e.getMessage().contains("01A/meta.json"), e.getMessage());
    }
    assertEquals(1, requests.get());
  }

  @Test
  void persistentThrottlingEndsInARetryableError() throws Exception {
    for (int i = 0; i < 10; i++) {
      script.add(Reply.SLOW_DOWN);
    }
    try (S3Bucket b = bucket(1)) {
      BucketException e = assertThrows(BucketException.class, () -> b.getBytes("01A/meta.json"));
      assertTrue(e.isRetryable(), e.getMessage());
      assertTrue(e.getMessage().contains("SlowDown"), e.getMessage());
    }
    assertEquals(2, requests.get());
  }
}
