package io.tsdbcompactor.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prometheus 2.42 serving a data directory of blocks, for query comparisons. It listens on a port of its own
 * choosing (127.0.0.1:0); its log says which, and says when it is ready: the constructor waits for those lines
 * (at most a minute), no probing.
 */
public final class PrometheusServer implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("msg=\"Listening on\" address=127\\.0\\.0\\.1:(\\d+)");
  private static final String READY = "Server is ready to receive web requests.";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final Path log;
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public PrometheusServer(Path dataDir, String... extraFlags) throws Exception {
    assertTrue(Files.isExecutable(Tools.PROMETHEUS), "prometheus is required at " + Tools.PROMETHEUS);
    Path config = dataDir.resolveSibling(dataDir.getFileName() + ".yml");
    Files.writeString(config, "global:\n  scrape_interval: 1h\n");
    log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    List<String> cmd = new ArrayList<>(List.of(Tools.PROMETHEUS.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + dataDir, "--storage.tsdb.retention.time=100y",
        "--web.listen-address=127.0.0.1:0", "--log.level=info"));
    cmd.addAll(List.of(extraFlags));
    process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Thread reader = new Thread(this::readLog, "prometheus-log");
    reader.setDaemon(true);
    reader.start();
    try {
      CompletableFuture.allOf(port, ready).get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      process.destroyForcibly();
      throw new AssertionError("prometheus did not get ready within " + START_TIMEOUT.toSeconds() + "s: "
          + (e.getCause() != null ? e.getCause().getMessage() : "") + "\n" + log(), e);
    }
  }

  /** Copies the output to the log file, completing the futures at the lines that tell the port and readiness. */
  private void readLog() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        out.write(line);
        out.write('\n');
        out.flush();
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(1)));
        }
        if (line.contains(READY)) {
          ready.complete(null);
        }
      }
    } catch (IOException e) {
      // the process is gone; the futures below say so
    }
    IllegalStateException exited = new IllegalStateException("prometheus exited");
    port.completeExceptionally(exited);
    ready.completeExceptionally(exited);
  }

  private String base() {
    return "http://127.0.0.1:" + port.join();
  }

  /** The body of a GET of an API path with its query string; expects 200. */
  public String get(String pathAndQuery) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + pathAndQuery)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** The body of {@code /api/v1/query_range} (seconds, step in seconds). */
  String queryRange(String query, long startS, long endS, long stepS) throws Exception {
    return get("/api/v1/query_range?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&start=" + startS
        + "&end=" + endS + "&step=" + stepS);
  }

  /** POSTs to an API path (with its query string); expects 2xx. */
  void post(String pathAndQuery) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + pathAndQuery))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() / 100 == 2, pathAndQuery + ": " + r.statusCode() + " " + r.body());
  }

  /** What prometheus logged so far. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
