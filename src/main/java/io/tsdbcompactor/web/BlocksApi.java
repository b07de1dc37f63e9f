package io.tsdbcompactor.web;

import com.sun.net.httpserver.HttpExchange;
import io.tsdbcompactor.block.Ulid;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts the block viewer on a {@link WebServer}, under {@code --web.route-prefix}, as Thanos's bucket UI does:
 *
 * <pre>
 * GET  /                         redirect to PREFIX/blocks (only when there is a prefix: PREFIX/ does it then)
 * GET  PREFIX/blocks             the page (PREFIX/ redirects to it)
 * GET  PREFIX/api/v1/blocks      Thanos's blocks API: {"status":"success","data":{"label","blocks","refreshedAt","err"}}
 * POST PREFIX/api/v1/blocks/mark form id, action (DELETION | NO_COMPACTION), detail: writes the marker; 204
 * GET  PREFIX/api/v1/blocks/view what the page draws (ours): blocks, marks, lanes with totals, plan, retention
 * GET  PREFIX/api/v1/status/flags the web flags, as Thanos's UI reads disable-admin-operations from them
 * </pre>
 *
 * Errors have Thanos's API shape ({@code {"status":"error","errorType":"bad_data","error":"…"}}, 400). API
 * responses carry Thanos's CORS headers unless {@code --web.disable-cors}. Links in the page use
 * {@code --web.external-prefix}, else the {@code --web.prefix-header} request header, else the route prefix.
 */
public final class BlocksApi {
  private static final Logger LOG = LoggerFactory.getLogger(BlocksApi.class);
  private static final Map<String, String> CORS = Map.of(
      "Access-Control-Allow-Headers", "Accept, Accept-Encoding, Authorization, Content-Type, Origin",
      "Access-Control-Allow-Methods", "GET, OPTIONS",
      "Access-Control-Allow-Origin", "*",
      "Access-Control-Expose-Headers", "Date");

  /** The web flags. */
  public record Options(String routePrefix, String externalPrefix, String prefixHeader, boolean disableCors) {
    public Options {
      externalPrefix = trimSlash(externalPrefix == null ? "" : externalPrefix);
      // Thanos: the route prefix defaults to the external prefix's path.
      String route = routePrefix == null || routePrefix.isEmpty() ? pathOf(externalPrefix) : routePrefix;
      routePrefix = trimSlash(route.isEmpty() || route.startsWith("/") ? route : "/" + route);
      prefixHeader = prefixHeader == null ? "" : prefixHeader;
    }

    public static final Options DEFAULTS = new Options("", "", "", false);

    private static String trimSlash(String s) {
      return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String pathOf(String url) {
      int scheme = url.indexOf("://");
      if (scheme < 0) {
        return url;
      }
      int slash = url.indexOf('/', scheme + 3);
      return slash < 0 ? "" : url.substring(slash);
    }
  }

  private final BlockViewer viewer;
  private final Options options;
  private final String page;

  private BlocksApi(BlockViewer viewer, Options options) {
    this.viewer = viewer;
    this.options = options;
    this.page = ViewerPage.template();
  }

  /** Mounts the viewer's routes on {@code server}. */
  public static void mount(WebServer server, BlockViewer viewer, Options options) {
    BlocksApi api = new BlocksApi(viewer, options);
    String p = options.routePrefix();
    if (!p.isEmpty()) {
      server.route("/", ex -> api.redirect(ex, "/blocks"));
    }
    server.route(p + "/", ex -> api.redirect(ex, "/blocks"));
    server.route(p + "/blocks", api::page);
    server.route(p + "/api/v1/blocks", ex -> api.api(ex, "GET", () -> ViewJson.blocks(viewer.snapshot(),
        viewer.settings().label())));
    server.route(p + "/api/v1/blocks/view", ex -> api.api(ex, "GET", () -> ViewJson.view(viewer.snapshot(),
        viewer.settings(), false)));
    server.route(p + "/api/v1/status/flags", ex -> api.api(ex, "GET", api::flags));
    server.route(p + "/api/v1/blocks/mark", api::mark);
  }

  /** The prefix of links in the page for this request. */
  private String linkPrefix(HttpExchange ex) {
    if (!options.externalPrefix().isEmpty()) {
      return Options.pathOf(options.externalPrefix());
    }
    if (!options.prefixHeader().isEmpty()) {
      String h = ex.getRequestHeaders().getFirst(options.prefixHeader());
      if (h != null && !h.isEmpty()) {
        return h.endsWith("/") ? h.substring(0, h.length() - 1) : h;
      }
    }
    return options.routePrefix();
  }

  private void redirect(HttpExchange ex, String to) throws IOException {
    ex.getResponseHeaders().set("Location", linkPrefix(ex) + to);
    WebServer.respond(ex, 302, "text/plain; charset=utf-8", "");
  }

  private void page(HttpExchange ex) throws IOException {
    if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
      WebServer.respond(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
      return;
    }
    String html = ViewerPage.live(page, linkPrefix(ex));
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    WebServer.respond(ex, 200, "text/html; charset=utf-8", html);
  }

  private interface Body {
    byte[] get() throws IOException;
  }

  private void api(HttpExchange ex, String method, Body body) throws IOException {
    if (!options.disableCors()) {
      CORS.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    }
    if (ex.getRequestMethod().equals("OPTIONS")) {
      WebServer.respond(ex, 204, "application/json", new byte[0]);
      return;
    }
    if (!ex.getRequestMethod().equals(method)) {
      error(ex, 405, "bad_data", "method " + ex.getRequestMethod() + " not allowed");
      return;
    }
    WebServer.respond(ex, 200, "application/json", body.get());
  }

  private byte[] flags() {
    Map<String, String> flags = new TreeMap<>();
    flags.put("disable-admin-operations", Boolean.toString(viewer.settings().adminDisabled()));
    flags.put("bucket-web-label", viewer.settings().label());
    flags.put("web.route-prefix", options.routePrefix());
    flags.put("web.external-prefix", options.externalPrefix());
    flags.put("web.prefix-header", options.prefixHeader());
    flags.put("web.disable-cors", Boolean.toString(options.disableCors()));
    StringBuilder sb = new StringBuilder("{\"status\":\"success\",\"data\":{");
    boolean first = true;
    for (Map.Entry<String, String> f : flags.entrySet()) {
      sb.append(first ? "" : ",").append(quote(f.getKey())).append(':').append(quote(f.getValue()));
      first = false;
    }
    return sb.append("}}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private void mark(HttpExchange ex) throws IOException {
    if (!options.disableCors()) {
      CORS.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    }
    if (ex.getRequestMethod().equals("OPTIONS")) {
      WebServer.respond(ex, 204, "application/json", new byte[0]);
      return;
    }
    if (!ex.getRequestMethod().equals("POST")) {
      error(ex, 405, "bad_data", "method " + ex.getRequestMethod() + " not allowed");
      return;
    }
    if (viewer.settings().adminDisabled()) {
      error(ex, 400, "bad_data", "Admin operations are disabled");
      return;
    }
    Map<String, String> form = form(ex);
    String id = form.getOrDefault("id", "");
    String action = form.getOrDefault("action", "");
    String detail = form.getOrDefault("detail", "");
    if (id.isEmpty()) {
      error(ex, 400, "bad_data", "ID cannot be empty");
      return;
    }
    if (action.isEmpty()) {
      error(ex, 400, "bad_data", "Action cannot be empty");
      return;
    }
    if (!Ulid.isValid(id)) {
      error(ex, 400, "bad_data", "ULID \"" + id + "\" is not valid");
      return;
    }
    BlockViewer.Action a;
    try {
      a = BlockViewer.Action.valueOf(action);
    } catch (IllegalArgumentException e) {
      error(ex, 400, "bad_data", "not supported marker " + action);
      return;
    }
    try {
      viewer.mark(id, a, detail);
    } catch (IllegalArgumentException | IllegalStateException e) {
      error(ex, 400, "bad_data", e.getMessage());
      return;
    } catch (IOException | UncheckedIOException e) {
      LOG.atWarn().addKeyValue("block", id).addKeyValue("err", e.getMessage()).log("marking a block failed");
      error(ex, 500, "internal", "marking block " + id + " failed: " + e.getMessage());
      return;
    }
    LOG.atInfo().addKeyValue("block", id).addKeyValue("action", action).log("block marked from the web API");
    WebServer.respond(ex, 204, "application/json", new byte[0]);
  }

  /** The URL query and an {@code application/x-www-form-urlencoded} body, as Go's FormValue reads them. */
  static Map<String, String> form(HttpExchange ex) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    String query = ex.getRequestURI().getRawQuery();
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    String body = "";
    if (type == null || type.startsWith("application/x-www-form-urlencoded")) {
      try (InputStream in = ex.getRequestBody()) {
        body = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
      }
    }
    // Go's FormValue: body values come before query values.
    Map<String, String> fromQuery = parse(query);
    out.putAll(fromQuery);
    out.putAll(parse(body));
    return out;
  }

  private static Map<String, String> parse(String encoded) {
    Map<String, String> out = new HashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return out;
    }
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }

  private static void error(HttpExchange ex, int status, String type, String message) throws IOException {
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    WebServer.respond(ex, status, "application/json",
        "{\"status\":\"error\",\"errorType\":" + quote(type) + ",\"error\":" + quote(message) + "}");
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '<' -> sb.append("\\u003c");
        case '>' -> sb.append("\\u003e");
        case '&' -> sb.append("\\u0026");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
