package io.tsdbcompactor.metrics;

import io.tsdbcompactor.web.WebConfig;
import io.tsdbcompactor.web.WebServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The HTTP endpoints {@code thanos compact} serves on {@code --http-address}: {@code /metrics},
 * {@code /-/healthy} (200 while the process runs) and {@code /-/ready} (200 once the compactor has started,
 * 503 before), on a {@link WebServer} that other endpoints (the block viewer) share, with {@code --http.config}.
 */
public final class MetricsServer implements AutoCloseable {
  public static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

  private final WebServer server;
  private final AtomicBoolean ready = new AtomicBoolean();

  private MetricsServer(WebServer server) {
    this.server = server;
  }

  /** Starts serving on {@code host:port} ({@code 0.0.0.0:10902} in Thanos; port 0 picks a free port). */
  public static MetricsServer start(String address, Supplier<String> metricsText) throws IOException {
    return start(address, WebConfig.NONE, metricsText);
  }

  /** As {@link #start(String, Supplier)}, with the TLS, headers and basic auth of {@code --http.config}. */
  public static MetricsServer start(String address, WebConfig config, Supplier<String> metricsText)
      throws IOException {
    MetricsServer ms = new MetricsServer(WebServer.start(address, config));
    ms.server.route("/metrics", ex -> WebServer.respond(ex, 200, TEXT_FORMAT, metricsText.get()));
    ms.server.route("/-/healthy", ex -> WebServer.respond(ex, 200, "text/plain", "OK\n"));
    ms.server.route("/-/ready", ex -> {
      if (ms.ready.get()) {
        WebServer.respond(ex, 200, "text/plain", "OK\n");
      } else {
        WebServer.respond(ex, 503, "text/plain", "NOT READY\n");
      }
    });
    return ms;
  }

  /** {@code host:port}, {@code :port} (all interfaces) or {@code [v6]:port}. */
  static InetSocketAddress parseAddress(String address) {
    return WebServer.parseAddress(address);
  }

  public void setReady(boolean r) {
    ready.set(r);
  }

  /** The bound address (its port is the one picked when started on port 0). */
  public InetSocketAddress address() {
    return server.address();
  }

  /** The bound port (useful when started on port 0). */
  public int port() {
    return server.port();
  }

  /** The server, to mount more endpoints on the same port. */
  public WebServer server() {
    return server;
  }

  /** Requests in flight when this server closes are given {@code grace} to finish. */
  public MetricsServer gracePeriod(java.time.Duration grace) {
    server.gracePeriod(grace);
    return this;
  }

  /** Turns not-ready first, so a probe in the grace period sees the process going away. */
  @Override
  public void close() {
    ready.set(false);
    server.close();
  }
}
