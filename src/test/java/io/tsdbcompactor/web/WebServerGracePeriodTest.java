package io.tsdbcompactor.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code --http-grace-period}: closing the server lets requests already received finish, and only those. */
class WebServerGracePeriodTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(WebServer server, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRequestInFlightWhenTheServerClosesIsAnsweredWithinTheGracePeriod() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    WebServer server = WebServer.start("127.0.0.1:0", WebConfig.NONE).gracePeriod(Duration.ofMinutes(1));
    server.route("/slow", ex -> {
      entered.countDown();
      try {
        release.await();
        WebServer.respond(ex, 200, "text/plain", "done\n");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // killed by a close that did not wait: the client sees no answer
      }
    });
    server.route("/fast", ex -> WebServer.respond(ex, 200, "text/plain", "fast\n"));

    CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> {
      try {
        return get(server, "/slow");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertTrue(entered.await(30, TimeUnit.SECONDS), "the slow request reached its handler");
    CompletableFuture<Void> closed = CompletableFuture.runAsync(server::close);

    // Closing has begun once a new request is turned away; it must not have cut the slow one off.
    int status = 0;
    for (int attempt = 0; attempt < 10_000 && status != 503; attempt++) {
      status = get(server, "/fast").statusCode();
    }
    assertEquals(503, status, "new requests are refused while the server closes");
    assertFalse(closed.isDone(), "close waits for the request in flight");

    release.countDown();
    HttpResponse<String> answered = slow.get(30, TimeUnit.SECONDS);
    assertEquals(200, answered.statusCode());
    assertEquals("done\n", answered.body());
    closed.get(30, TimeUnit.SECONDS);
  }

  @Test
  void closingWithNothingInFlightDoesNotWaitForTheGracePeriod() throws Exception {
    WebServer server = WebServer.start("127.0.0.1:0", WebConfig.NONE).gracePeriod(Duration.ofHours(1));
    server.route("/fast", ex -> WebServer.respond(ex, 200, "text/plain", "fast\n"));
    assertEquals(200, get(server, "/fast").statusCode());
    // Bounded far below the hour: a close that waited out the grace period would fail here.
    CompletableFuture.runAsync(server::close).get(30, TimeUnit.SECONDS);
  }
}
