package io.tsdbcompactor.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Prometheus 2.42 serving a data directory of blocks, for query comparisons. */
final class PrometheusServer implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  PrometheusServer(Path dataDir, String... extraFlags) throws Exception {
    assertTrue(Files.isExecutable(Tools.PROMETHEUS), "prometheus is required at " + Tools.PROMETHEUS);
    Path config = dataDir.resolveSibling(dataDir.getFileName() + ".yml");
    Files.writeString(config, "global:\n  scrape_interval: 1h\n");
    log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of(Tools.PROMETHEUS.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + dataDir, "--storage.tsdb.retention.time=100y",
        "--web.listen-address=127.0.0.1:" + port));
    cmd.addAll(List.of(extraFlags));
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    awaitReady();
  }

  private void awaitReady() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      assertTrue(process.isAlive(), () -> "prometheus exited: " + readLog());
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/-/ready")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      // Polling interval, not a timing assumption: readiness is decided by the probe above.
      Thread.sleep(100);
    }
    throw new AssertionError("prometheus not ready within 60s: " + readLog());
  }

  private String readLog() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private String base() {
    return "http://127.0.0.1:" + port;
  }

  /** The body of {@code /api/v1/query_range} (seconds, step in seconds). */
  String queryRange(String query, long startS, long endS, long stepS) throws Exception {
    String q = "query=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&start=" + startS + "&end=" + endS
        + "&step=" + stepS;
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/query_range?" + q))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** POSTs to an API path (with its query string); expects 2xx. */
  void post(String pathAndQuery) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + pathAndQuery))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() / 100 == 2, pathAndQuery + ": " + r.statusCode() + " " + r.body());
  }

  String log() {
    return readLog();
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    process.waitFor();
  }
}
