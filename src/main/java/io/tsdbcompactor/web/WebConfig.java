package io.tsdbcompactor.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdbcompactor.bucket.ConfigException;
import io.tsdbcompactor.bucket.GoDuration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Prometheus web configuration file that {@code --http.config} names, as the exporter-toolkit reads it
 * (<a href="https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md">format</a>,
 * <a href="https://github.com/prometheus/exporter-toolkit/blob/master/web/tls_config.go">tls_config.go</a>):
 *
 * <pre>
 * tls_server_config:          # absent or empty: plain HTTP
 *   cert_file | cert, key_file | key
 *   client_auth_type: NoClientCert | RequestClientCert | RequireAnyClientCert | VerifyClientCertIfGiven
 *                     | RequireAndVerifyClientCert
 *   client_ca_file | client_ca
 *   min_version / max_version: TLS10 | TLS11 | TLS12 (default min) | TLS13 (default max)
 *   cipher_suites: [IANA names], curve_preferences: [CurveP256, CurveP384, CurveP521, X25519]
 *   prefer_server_cipher_suites: true, client_allowed_sans: [SAN, ...]
 * http_server_config:
 *   http2: true               # accepted; the JDK server speaks HTTP/1.1
 *   headers: {Strict-Transport-Security, X-Content-Type-Options: nosniff, X-Frame-Options: deny|sameorigin,
 *             X-XSS-Protection, Content-Security-Policy}
 * basic_auth_users: {user: bcrypt hash}
 * rate_limit: {burst: N, interval: 1s}
 * </pre>
 *
 * Unknown keys are errors (the toolkit unmarshals strictly); relative file paths are relative to the file's
 * directory. Secrets (keys, hashes) never appear in messages.
 */
public record WebConfig(Tls tls, boolean http2, Map<String, String> headers, Map<String, String> users,
    int rateLimitBurst, Duration rateLimitInterval, Path source) {

  /** No file: plain HTTP, no authentication, no extra headers. */
  public static final WebConfig NONE = new WebConfig(null, true, Map.of(), Map.of(), 0, Duration.ZERO, null);

  /** Headers the toolkit lets a config set, with the values it allows (empty: any value). */
  private static final Map<String, List<String>> SETTABLE_HEADERS = Map.of(
      "Strict-Transport-Security", List.of(),
      "X-Content-Type-Options", List.of("nosniff"),
      "X-Frame-Options", List.of("deny", "sameorigin"),
      "X-XSS-Protection", List.of(),
      "Content-Security-Policy", List.of());

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * The server side of TLS. Exactly one of each {@code *File} / inline pair is set (or neither for the CA).
   */
  public record Tls(Path certFile, String certPem, Path keyFile, String keyPem, Path clientCaFile,
      String clientCaPem, String clientAuthType, List<String> cipherSuites, List<String> curvePreferences,
      String minVersion, String maxVersion, boolean preferServerCipherSuites, List<String> clientAllowedSans) {

    /** Whether the client must present a certificate. */
    public boolean requiresClientCert() {
      return clientAuthType.equals("RequireAnyClientCert") || clientAuthType.equals("RequireClientCert")
          || clientAuthType.equals("RequireAndVerifyClientCert");
    }

    /** Whether a presented client certificate is checked against the client CA. */
    public boolean verifiesClientCert() {
      return clientAuthType.equals("VerifyClientCertIfGiven") || clientAuthType.equals("RequireAndVerifyClientCert");
    }

    public boolean requestsClientCert() {
      return !clientAuthType.isEmpty() && !clientAuthType.equals("NoClientCert");
    }
  }

  public boolean tlsEnabled() {
    return tls != null;
  }

  public boolean basicAuth() {
    return !users.isEmpty();
  }

  /** Checks that the TLS files can be read and used, so a bad file is a configuration error at start-up. */
  public WebConfig checked() {
    if (tls != null) {
      TlsContexts.parameters(TlsContexts.serverContext(tls), tls);
    }
    return this;
  }

  /** Reads {@code --http.config}; an empty path means {@link #NONE}. {@link ConfigException} names what is wrong. */
  public static WebConfig load(String path) throws IOException {
    if (path == null || path.isEmpty()) {
      return NONE;
    }
    Path file = Path.of(path);
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("--http.config: " + path + " does not exist");
    }
    return parse(text, file);
  }

  /** Parses the YAML; {@code file} (may be null) anchors relative paths and names the source in errors. */
  public static WebConfig parse(String yaml, Path file) {
    String what = "--http.config" + (file == null ? "" : " " + file);
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      throw new ConfigException(what + " is not valid YAML"
          + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"));
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return new WebConfig(null, true, Map.of(), Map.of(), 0, Duration.ZERO, file);
    }
    Node top = new Node(root, "", what);
    top.requireOnly(Set.of("tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"));
    Path dir = file == null || file.toAbsolutePath().getParent() == null ? Path.of(".")
        : file.toAbsolutePath().getParent();

    Node http = top.child("http_server_config");
    http.requireOnly(Set.of("http2", "headers"));
    Map<String, String> headers = http.stringMap("headers");
    for (Map.Entry<String, String> h : headers.entrySet()) {
      List<String> allowed = SETTABLE_HEADERS.get(h.getKey());
      if (allowed == null) {
        throw new ConfigException(what + ": HTTP header \"" + h.getKey() + "\" can not be configured");
      }
      if (!allowed.isEmpty() && !allowed.contains(h.getValue())) {
        throw new ConfigException(what + ": invalid value for " + h.getKey() + ", expected one of " + allowed);
      }
    }

    Map<String, String> users = top.stringMap("basic_auth_users");
    for (Map.Entry<String, String> u : users.entrySet()) {
      if (!Passwords.isBcryptHash(u.getValue())) {
        throw new ConfigException(what + ": basic_auth_users." + u.getKey() + " is not a bcrypt hash");
      }
    }

    Node rate = top.child("rate_limit");
    rate.requireOnly(Set.of("burst", "interval"));
    int burst = (int) rate.number("burst", 0);
    String interval = rate.string("interval", "0s");
    Duration rateInterval;
    try {
      rateInterval = GoDuration.parse(interval);
    } catch (ConfigException e) {
      throw new ConfigException(what + ": rate_limit.interval is not a duration like 1s or 100ms");
    }

    Tls tls = tls(top.child("tls_server_config"), dir, what);
    return new WebConfig(tls, http.bool("http2", true), Map.copyOf(headers), Map.copyOf(users), burst, rateInterval,
        file);
  }

  private static Tls tls(Node t, Path dir, String what) {
    t.requireOnly(Set.of("cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file",
        "cipher_suites", "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites",
        "client_allowed_sans"));
    Path certFile = path(dir, t.string("cert_file", ""));
    Path keyFile = path(dir, t.string("key_file", ""));
    Path caFile = path(dir, t.string("client_ca_file", ""));
    String cert = t.string("cert", "");
    String key = t.string("key", "");
    String ca = t.string("client_ca", "");
    String clientAuth = t.string("client_auth_type", "");
    boolean enabled = certFile != null || keyFile != null || caFile != null || !cert.isEmpty() || !key.isEmpty()
        || !ca.isEmpty() || !clientAuth.isEmpty();
    if (!enabled) {
      return null; // the toolkit falls back to plain HTTP
    }
    if (certFile == null && cert.isEmpty()) {
      throw new ConfigException(what + ": tls_server_config: missing one of cert or cert_file");
    }
    if (keyFile == null && key.isEmpty()) {
      throw new ConfigException(what + ": tls_server_config: missing one of key or key_file");
    }
    if (!List.of("", "NoClientCert", "RequestClientCert", "RequireAnyClientCert", "RequireClientCert",
        "VerifyClientCertIfGiven", "RequireAndVerifyClientCert").contains(clientAuth)) {
      throw new ConfigException(what + ": invalid client_auth_type: " + clientAuth);
    }
    boolean hasCa = caFile != null || !ca.isEmpty();
    if (hasCa && (clientAuth.isEmpty() || clientAuth.equals("NoClientCert"))) {
      throw new ConfigException(what + ": client CA's have been configured without a Client Auth Policy");
    }
    if ((clientAuth.equals("VerifyClientCertIfGiven") || clientAuth.equals("RequireAndVerifyClientCert")) && !hasCa) {
      throw new ConfigException(what + ": client_auth_type " + clientAuth + " needs client_ca_file");
    }
    List<String> sans = t.has("client_allowed_sans") ? t.stringList("client_allowed_sans") : null;
    if (sans != null && !(clientAuth.equals("RequireAnyClientCert") || clientAuth.equals("RequireClientCert")
        || clientAuth.equals("RequireAndVerifyClientCert"))) {
      throw new ConfigException(what + ": client_allowed_sans requires client_auth_type to be one of "
          + "RequireAnyClientCert or RequireAndVerifyClientCert");
    }
    String min = t.string("min_version", "TLS12");
    String max = t.string("max_version", "TLS13");
    for (String v : List.of(min, max)) {
      if (TlsContexts.protocol(v) == null) {
        throw new ConfigException(what + ": unknown TLS version: " + v);
      }
    }
    List<String> curves = t.stringList("curve_preferences");
    for (String c : curves) {
      if (TlsContexts.namedGroup(c) == null) {
        throw new ConfigException(what + ": unknown curve: " + c);
      }
    }
    return new Tls(certFile, cert, keyFile, key, caFile, ca, clientAuth, t.stringList("cipher_suites"), curves, min,
        max, t.bool("prefer_server_cipher_suites", true), sans == null ? List.of() : sans);
  }

  private static Path path(Path dir, String p) {
    return p.isEmpty() ? null : dir.resolve(p);
  }

  /** A strict view of one YAML mapping; messages name keys, never values. */
  private record Node(JsonNode node, String path, String what) {
    private String where(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    void requireOnly(Set<String> allowed) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!allowed.contains(k)) {
          throw new ConfigException(what + ": unknown key '" + where(k) + "'");
        }
      }
    }

    boolean has(String key) {
      JsonNode n = node.get(key);
      return n != null && !n.isNull();
    }

    Node child(String key) {
      JsonNode n = node.get(key);
      if (n == null || n.isNull()) {
        return new Node(YAML.createObjectNode(), where(key), what);
      }
      if (!n.isObject()) {
        throw new ConfigException(what + ": '" + where(key) + "' must be a mapping");
      }
      return new Node(n, where(key), what);
    }

    String string(String key, String dflt) {
      JsonNode n = node.get(key);
      if (n == null || n.isNull()) {
        return dflt;
      }
      if (!n.isValueNode()) {
        throw new ConfigException(what + ": '" + where(key) + "' must be a string");
      }
      return n.asText();
    }

    boolean bool(String key, boolean dflt) {
      JsonNode n = node.get(key);
      if (n == null || n.isNull()) {
        return dflt;
      }
      if (n.isBoolean()) {
        return n.booleanValue();
      }
      throw new ConfigException(what + ": '" + where(key) + "' must be true or false");
    }

    long number(String key, long dflt) {
      JsonNode n = node.get(key);
      if (n == null || n.isNull()) {
        return dflt;
      }
      if (n.isIntegralNumber() && n.canConvertToInt() && n.intValue() >= 0) {
        return n.intValue();
      }
      throw new ConfigException(what + ": '" + where(key) + "' must be a non-negative integer");
    }

    List<String> stringList(String key) {
      JsonNode n = node.get(key);
      List<String> out = new ArrayList<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!n.isArray()) {
        throw new ConfigException(what + ": '" + where(key) + "' must be a list of strings");
      }
      n.forEach(e -> out.add(e.asText()));
      return out;
    }

    Map<String, String> stringMap(String key) {
      JsonNode n = node.get(key);
      Map<String, String> out = new LinkedHashMap<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!n.isObject()) {
        throw new ConfigException(what + ": '" + where(key) + "' must be a mapping of strings");
      }
      n.fields().forEachRemaining(e -> {
        if (!e.getValue().isValueNode()) {
          throw new ConfigException(what + ": '" + where(key) + "." + e.getKey() + "' must be a string");
        }
        out.put(e.getKey(), e.getValue().asText());
      });
      return out;
    }
  }
}
