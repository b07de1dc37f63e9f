package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * AzureBucket and GcsBucket against a scripted HTTP server on 127.0.0.1 that throttles (429, 503) and fails (500)
 * before it answers: the clients must retry those and give up at once on 403, with an error that names the
 * container or bucket.
 */
class CloudRetryTest {
  HttpServer server;
  final Deque<Integer> script = new ArrayDeque<>();
  final AtomicInteger requests = new AtomicInteger();
  volatile String okBody = "";
  volatile Map<String, String> okHeaders = Map.of();

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
    Integer status;
    synchronized (script) {
      status = script.pollFirst();
    }
    boolean head = ex.getRequestMethod().equals("HEAD");
    if (status == null) {
      okHeaders.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] body = okBody.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, head || body.length == 0 ? -1 : body.length);
      if (!head && body.length > 0) {
        ex.getResponseBody().write(body);
      }
    } else {
      String code = switch (status) {
        case 503 -> "ServerBusy";
        case 429 -> "TooManyRequests";
        case 403 -> "AuthorizationFailure";
        default -> "InternalError";
      };
      ex.getResponseHeaders().add("x-ms-error-code", code);
      ex.sendResponseHeaders(status, -1);
    }
    ex.close();
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private AzureBucket azure() throws IOException {
    AzureConfig c = new AzureConfig();
    c.storageAccount = AzuriteServer.ACCOUNT;
    c.storageAccountKey = AzuriteServer.KEY;
    c.container = "scripted";
    c.endpoint = url() + "/" + AzuriteServer.ACCOUNT;
    c.storageCreateContainer = false;
    c.pipelineMaxTries = 4;
    c.retryDelay = Duration.ofMillis(5);
    c.maxRetryDelay = Duration.ofMillis(20);
    return new AzureBucket(c);
  }

  @Test
  void azureRetriesThrottlingAndServerErrorsButNotForbidden() throws Exception {
    okHeaders = Map.of("Content-Length", "10", "Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT", "ETag", "\"e1\"",
        "x-ms-blob-type", "BlockBlob");
    try (AzureBucket b = azure()) {
      script.addAll(java.util.List.of(503, 429, 500));
      assertEquals(10, b.attributes("01A/meta.json").size());
      assertEquals(4, requests.get(), "three failures, then the answer");

      requests.set(0);
      script.add(403);
      BucketException e = assertThrows(BucketException.class, () -> b.attributes("01A/meta.json"));
      assertEquals(1, requests.get(), "403 is not retried");
      assertFalse(e.isRetryable());
      assertTrue(e.getMessage().contains("container scripted") && e.getMessage().contains("HTTP 403"), e.getMessage());

      requests.set(0);
      script.addAll(java.util.List.of(503, 503, 503, 503, 503, 503));
      BucketException busy = assertThrows(BucketException.class, () -> b.attributes("01A/meta.json"));
      assertEquals(5, requests.get(), "max_tries 4 retries, then the error");
      assertTrue(busy.isRetryable(), "a longer outage may still be ridden out by RetryingBucket");
    }
  }

  @Test
  void gcsRetriesThrottlingAndServerErrorsButNotForbidden() throws Exception {
    okHeaders = Map.of("Content-Type", "application/json");
    okBody = "{\"kind\":\"storage#object\",\"name\":\"01A/meta.json\",\"bucket\":\"scripted\",\"generation\":\"1\","
        + "\"size\":\"10\",\"updated\":\"2026-11-25T10:00:00.000Z\"}";
    GcsConfig c = new GcsConfig();
    c.bucket = "scripted";
    try (GcsBucket b = new GcsBucket(c, GcsBucket.storage(c, Map.of("STORAGE_EMULATOR_HOST", url())))) {
      script.addAll(java.util.List.of(503, 429));
      assertEquals(10, b.attributes("01A/meta.json").size());
      assertEquals(3, requests.get(), "two failures, then the answer");

      requests.set(0);
      script.add(403);
      BucketException e = assertThrows(BucketException.class, () -> b.attributes("01A/meta.json"));
      assertEquals(1, requests.get(), "403 is not retried");
      assertFalse(e.isRetryable());
      assertTrue(e.getMessage().contains("bucket scripted") && e.getMessage().contains("HTTP 403"), e.getMessage());
    }
  }

  @Test
  void gcsGrpcClientIsBuiltWithTheLibrariesWeShip() throws Exception {
    GcsConfig c = new GcsConfig();
    c.bucket = "scripted";
    c.useGrpc = true;
    // Channels connect lazily: building the client loads its classes without sending a request.
    try (GcsBucket b = new GcsBucket(c, GcsBucket.storage(c, Map.of("STORAGE_EMULATOR_HOST", url())))) {
      assertEquals("scripted", b.name());
    }
  }
}
