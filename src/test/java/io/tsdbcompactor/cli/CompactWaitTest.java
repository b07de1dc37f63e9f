package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tsdbcompactor.job.TickingClock;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --wait} keeps running and serves /metrics and the probes, as Thanos's compactor does. */
class CompactWaitTest {
  private static final long NOW = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();

  @Test
  void waitModeServesMetricsAndProbesAfterItsFirstRun(@TempDir Path tmp) throws Exception {
    CompletableFuture<InetSocketAddress> serving = new CompletableFuture<>();
    CompletableFuture<Boolean> firstRun = new CompletableFuture<>();
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    CliEnvironment env = new CliEnvironment(new TickingClock(NOW), new CliEnvironment.Listener() {
      @Override
      public void serving(InetSocketAddress address) {
        serving.complete(address);
      }

      @Override
      public void runEnded(boolean success) {
        firstRun.complete(success);
      }
    });
    // Port 0: the server binds a free port and the listener is told which, so no other process can take it first.
    Thread t = new Thread(() -> {
      int code = Main.run(env, "compact", "--demo", "--demo.days=3", "--data-dir", tmp.toString(), "--wait",
          "--wait-interval=1h", "--http-address=127.0.0.1:0");
      exit.complete(code);
      AssertionError ended = new AssertionError("compact --wait ended with exit code " + code);
      serving.completeExceptionally(ended);
      firstRun.completeExceptionally(ended);
    }, "compact-wait");
    ch.qos.logback.classic.Logger launcherLog =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(CompactLauncher.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    launcherLog.addAppender(logged);
    t.start();
    try {
      String base = "http://127.0.0.1:" + serving.get(60, TimeUnit.SECONDS).getPort();
      assertTrue(firstRun.get(120, TimeUnit.SECONDS), "the first run succeeded");
      // Each pass ends with one line saying what it did (a one-off run prints its summary instead).
      Map<String, String> finished = logged.list.stream().filter(e -> e.getMessage().equals("run finished"))
          .findFirst().map(e -> e.getKeyValuePairs().stream()
              .collect(Collectors.toMap(kv -> kv.key, kv -> String.valueOf(kv.value))))
          .orElseThrow(() -> new AssertionError("no \"run finished\" line: " + logged.list));
      assertEquals("true", finished.get("success"), finished.toString());
      assertTrue(Integer.parseInt(finished.get("compactions")) > 0, finished.toString());
      assertTrue(Integer.parseInt(finished.get("compacted_blocks")) > 1, finished.toString());
      assertTrue(finished.get("duration").matches("[0-9.]+s|[0-9]+m[0-9]+s"), finished.toString());

      HttpClient http = HttpClient.newHttpClient();
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode());
      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(metrics.contains("thanos_compact_iterations_total 1.0"), metrics);
      assertTrue(metrics.contains("thanos_compact_halted 0.0"), metrics);
      assertTrue(metrics.contains("jvm_threads_live_threads"), metrics);
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/-/healthy")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode());
    } finally {
      t.interrupt();
      launcherLog.detachAppender(logged);
    }
    assertEquals(0, exit.get(30, TimeUnit.SECONDS), "interrupted between runs, --wait exits 0");
  }
}
