package io.tsdbcompactor.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * The one HTTP(S) server of a process, on the JDK's {@code com.sun.net.httpserver}: every path we serve
 * ({@code /metrics}, the probes, the block viewer and its API) goes through it, so {@code --http.config}'s TLS,
 * headers, rate limit and basic auth apply to all of them, as the exporter-toolkit applies them to Thanos's
 * whole mux. Paths are matched exactly; anything else is 404.
 */
public final class WebServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final WebConfig config;
  private final Map<String, HttpHandler> routes = new ConcurrentHashMap<>();
  private final Passwords passwords = new Passwords();
  private final RateLimiter limiter;
  private volatile Duration gracePeriod = Duration.ZERO;
  /** Guards {@link #inFlight} and {@link #closing}; close waits on it for the exchanges in flight to end. */
  private final Object exchanges = new Object();
  private int inFlight;
  private boolean closing;

  private WebServer(HttpServer server, ExecutorService executor, WebConfig config) {
    this.server = server;
    this.executor = executor;
    this.config = config;
    this.limiter = config.rateLimitInterval().isZero() ? null
        : new RateLimiter(config.rateLimitBurst(), config.rateLimitInterval().toNanos());
  }

  /**
   * Binds {@code address} ({@code host:port}, {@code :port}, {@code [v6]:port}; port 0 picks a free one) and
   * starts serving with {@code config}: HTTPS when it has a {@code tls_server_config}, else HTTP.
   */
  public static WebServer start(String address, WebConfig config) throws IOException {
    InetSocketAddress bind = parseAddress(address);
    HttpServer server;
    if (config.tlsEnabled()) {
      SSLContext ctx = TlsContexts.serverContext(config.tls());
      var params = TlsContexts.parameters(ctx, config.tls());
      HttpsServer https = HttpsServer.create(bind, 64);
      https.setHttpsConfigurator(new HttpsConfigurator(ctx) {
        @Override
        public void configure(HttpsParameters p) {
          p.setSSLParameters(params);
        }
      });
      server = https;
    } else {
      server = HttpServer.create(bind, 64);
    }
    AtomicInteger n = new AtomicInteger();
    // A few threads: a slow bucket listing behind the viewer must not hold up /metrics scrapes or probes.
    ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    WebServer ws = new WebServer(server, executor, config);
    server.createContext("/", ws::dispatch);
    server.setExecutor(executor);
    server.start();
    return ws;
  }

  /** Serves {@code handler} at exactly {@code path} (replacing an earlier handler of that path). */
  public WebServer route(String path, HttpHandler handler) {
    routes.put(path, handler);
    return this;
  }

  /** The bound address (the real port when started on port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http} or {@code https}. */
  public String scheme() {
    return config.tlsEnabled() ? "https" : "http";
  }

  public WebConfig config() {
    return config;
  }

  private void dispatch(HttpExchange ex) throws IOException {
    synchronized (exchanges) {
      if (closing) {
        try (ex) {
          respond(ex, 503, "text/plain; charset=utf-8", "shutting down\n");
        }
        return;
      }
      inFlight++;
    }
    try {
      serve(ex);
    } finally {
      synchronized (exchanges) {
        inFlight--;
        exchanges.notifyAll();
      }
    }
  }

  private void serve(HttpExchange ex) throws IOException {
    try (ex) {
      if (limiter != null && !limiter.allow()) {
        respond(ex, 429, "text/plain; charset=utf-8", "Too Many Requests\n");
        return;
      }
      config.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
      if (config.basicAuth() && !authorized(ex)) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Basic");
        respond(ex, 401, "text/plain; charset=utf-8", "Unauthorized\n");
        return;
      }
      HttpHandler h = routes.get(ex.getRequestURI().getPath());
      if (h == null) {
        respond(ex, 404, "text/plain; charset=utf-8", "404 page not found\n");
        return;
      }
      h.handle(ex);
    }
  }

  private boolean authorized(HttpExchange ex) {
    String header = ex.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return false;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false;
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return false;
    }
    return passwords.check(config.users(), decoded.substring(0, colon), decoded.substring(colon + 1));
  }

  /** Writes a whole response (no body for HEAD). */
  public static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    respond(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  public static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    if ("HEAD".equals(ex.getRequestMethod()) || status == 204) {
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** {@code host:port}, {@code :port} (all interfaces) or {@code [v6]:port}. */
  public static InetSocketAddress parseAddress(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("address must be host:port, got \"" + address + "\"");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address must be host:port, got \"" + address + "\"");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  /**
   * {@code --http-grace-period}: how long {@link #close} lets requests already received finish. New connections
   * are refused as soon as closing starts.
   */
  public WebServer gracePeriod(Duration grace) {
    this.gracePeriod = grace.isNegative() ? Duration.ZERO : grace;
    return this;
  }

  /**
   * Answers new requests with 503, waits up to the grace period for the exchanges in flight to end, then stops.
   * The count is ours, not the JDK's: on Java 17 {@code HttpServer.stop(delay)} waits the whole delay when no
   * exchange is in flight (JDK-8304065), which would hold every shutdown for the full grace period.
   */
  @Override
  public void close() {
    long deadline = System.nanoTime() + gracePeriod.toNanos();
    // Closing usually follows the interrupt that stops the process; that one must not cut the grace short.
    boolean interrupted = Thread.interrupted();
    synchronized (exchanges) {
      closing = true;
      while (inFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          exchanges.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          interrupted = true; // a second interrupt cuts the grace period short
          break;
        }
      }
    }
    server.stop(0);
    executor.shutdownNow();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The toolkit's rate_limit: a token bucket of {@code burst} tokens, one added every {@code interval}. */
  static final class RateLimiter {
    private final int burst;
    private final long intervalNanos;
    private double tokens;
    private long last = System.nanoTime();

    RateLimiter(int burst, long intervalNanos) {
      this.burst = Math.max(burst, 1);
      this.intervalNanos = intervalNanos;
      this.tokens = this.burst;
    }

    synchronized boolean allow() {
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (double) (now - last) / intervalNanos);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }
}
