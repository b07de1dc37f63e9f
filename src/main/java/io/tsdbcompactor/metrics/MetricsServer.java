package io.tsdbcompactor.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The HTTP endpoints {@code thanos compact} serves on {@code --http-address}: {@code /metrics},
 * {@code /-/healthy} (200 while the process runs) and {@code /-/ready} (200 once the compactor has started,
 * 503 before). Built on the JDK's HTTP server: three plain endpoints need no framework.
 */
public final class MetricsServer implements AutoCloseable {
  public static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final AtomicBoolean ready = new AtomicBoolean();

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Starts serving on {@code host:port} ({@code 0.0.0.0:10902} in Thanos; port 0 picks a free port). */
  public static MetricsServer start(String address, Supplier<String> metricsText) throws IOException {
    InetSocketAddress bind = parseAddress(address);
    HttpServer server = HttpServer.create(bind, 16);
    MetricsServer ms = new MetricsServer(server);
    server.createContext("/metrics", ex -> respond(ex, 200, TEXT_FORMAT, metricsText.get()));
    server.createContext("/-/healthy", ex -> respond(ex, 200, "text/plain", "OK\n"));
    server.createContext("/-/ready", ex -> {
      if (ms.ready.get()) {
        respond(ex, 200, "text/plain", "OK\n");
      } else {
        respond(ex, 503, "text/plain", "NOT READY\n");
      }
    });
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "http-" + bind.getPort());
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return ms;
  }

  /** {@code host:port}, {@code :port} (all interfaces) or {@code [v6]:port}. */
  static InetSocketAddress parseAddress(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("--http-address must be host:port, got \"" + address + "\"");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--http-address must be host:port, got \"" + address + "\"");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  public void setReady(boolean r) {
    ready.set(r);
  }

  /** The bound address (its port is the one picked when started on port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The bound port (useful when started on port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    try (ex) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      if ("HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(status, -1);
        return;
      }
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
