package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --wait} keeps running and serves /metrics and the probes, as Thanos's compactor does. */
class CompactWaitTest {
  @Test
  void waitModeServesMetricsAndProbesAfterItsFirstRun(@TempDir Path tmp) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    AtomicInteger exit = new AtomicInteger(-1);
    Thread t = new Thread(() -> exit.set(Main.run("compact", "--demo", "--demo.days=3", "--data-dir", tmp.toString(),
        "--wait", "--wait-interval=1h", "--http-address=127.0.0.1:" + port)));
    t.start();
    HttpClient http = HttpClient.newHttpClient();
    String metrics = "";
    int ready = 0;
    // Polls until the first run is counted (bounded: the demo run takes seconds).
    for (int i = 0; i < 600 && !metrics.contains("thanos_compact_iterations_total 1.0"); i++) {
      try {
        ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } catch (java.io.IOException notYetListening) {
        // the server starts after the demo bucket is generated
      }
      if (!metrics.contains("thanos_compact_iterations_total 1.0")) {
        Thread.sleep(200);
      }
    }
    assertEquals(200, ready);
    assertTrue(metrics.contains("thanos_compact_iterations_total 1.0"), metrics);
    assertTrue(metrics.contains("thanos_compact_halted 0.0"), metrics);
    assertTrue(metrics.contains("jvm_threads_live_threads"), metrics);
    assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/healthy")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode());
    t.interrupt();
    t.join(30_000);
    assertEquals(0, exit.get());
  }
}
