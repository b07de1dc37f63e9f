package io.tsdbcompactor.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.tsdbcompactor.bucket.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --http.config}: the Prometheus web config file's basic auth, headers and TLS on our server. */
class WebServerSecurityTest {
  @TempDir
  static Path dir;
  static TestCerts server;
  static TestCerts client;
  static TestCerts stranger;

  /** keytool starts a JVM per certificate: made once for the class. */
  @BeforeAll
  static void certificates() throws Exception {
    server = TestCerts.generate(dir, "server", "RSA");
    client = TestCerts.generate(dir, "client", "RSA");
    stranger = TestCerts.generate(dir, "stranger", "EC");
  }

  static String hash(String password, BCrypt.Version version) {
    return BCrypt.with(version).hashToString(4, password.toCharArray()); // cost 4: the lowest, for a fast test
  }

  static WebServer start(String yaml) throws IOException {
    Path file = dir.resolve("web.yml");
    Files.writeString(file, yaml);
    WebServer s = WebServer.start("127.0.0.1:0", WebConfig.load(file.toString()).checked());
    s.route("/metrics", ex -> WebServer.respond(ex, 200, "text/plain", "up 1\n"));
    return s;
  }

  static HttpResponse<String> get(HttpClient http, String url, String user, String password) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (user != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
          (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void basicAuthRefusesMissingAndWrongPasswordsAndAcceptsTheRightOne() throws Exception {
    // $2y$ is what htpasswd -B writes, $2a$/$2b$ what other tools do: all three are accepted.
    try (WebServer s = start("basic_auth_users:\n  alice: " + hash("s3cret", BCrypt.Version.VERSION_2Y) + "\n"
        + "  bob: " + hash("hunter2", BCrypt.Version.VERSION_2A) + "\n"
        + "http_server_config:\n  headers:\n    X-Frame-Options: deny\n")) {
      HttpClient http = HttpClient.newHttpClient();
      String url = "http://127.0.0.1:" + s.port() + "/metrics";
      HttpResponse<String> none = get(http, url, null, null);
      assertEquals(401, none.statusCode());
      assertEquals("Basic", none.headers().firstValue("WWW-Authenticate").orElse(""));
      assertEquals("deny", none.headers().firstValue("X-Frame-Options").orElse(""), "headers on every response");
      assertEquals(401, get(http, url, "alice", "wrong").statusCode());
      assertEquals(401, get(http, url, "mallory", "s3cret").statusCode());
      assertEquals(401, get(http, url, "bob", "s3cret").statusCode());
      HttpResponse<String> ok = get(http, url, "alice", "s3cret");
      assertEquals(200, ok.statusCode());
      assertEquals("up 1\n", ok.body());
      assertEquals(200, get(http, url, "bob", "hunter2").statusCode());
      assertEquals(200, get(http, url, "alice", "s3cret").statusCode(), "a cached outcome is still right");
      assertEquals(404, get(http, "http://127.0.0.1:" + s.port() + "/nope", "alice", "s3cret").statusCode());
    }
  }

  @Test
  void tlsServesWithTheConfiguredCertificateAndRefusesPlainHttp() throws Exception {
    try (WebServer s = start("tls_server_config:\n  cert_file: server-cert.pem\n  key_file: server-key.pem\n"
        + "  min_version: TLS12\n")) {
      assertEquals("https", s.scheme());
      HttpClient https = HttpClient.newBuilder().sslContext(server.clientContext(null)).build();
      assertEquals(200, get(https, "https://127.0.0.1:" + s.port() + "/metrics", null, null).statusCode());
      assertThrows(IOException.class, () -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + s.port() + "/metrics",
          null, null));
    }
  }

  @Test
  void pkcs1RsaAndSec1EcKeysAreReadAsOpensslWritesThem() throws Exception {
    Path rsaKey = dir.resolve("rsa-key.pem");
    Files.writeString(rsaKey, TestCerts.pem("RSA PRIVATE KEY", server.innerKey("server")));
    Path ecKey = dir.resolve("ec-key.pem");
    byte[] sec1 = stranger.innerKey("stranger");
    // keytool's PKCS#8 keeps the curve in the algorithm identifier only; openssl's SEC1 names it inside, as [0].
    byte[] withCurve = TlsContexts.Der.seq(java.util.Arrays.copyOfRange(sec1, 2, sec1.length),
        TlsContexts.Der.tlv(0xa0, TlsContexts.Der.oid(new byte[] {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03,
            0x01, 0x07})));
    Files.writeString(ecKey, TestCerts.pem("EC PRIVATE KEY", withCurve));
    for (TestCerts c : new TestCerts[] {server, stranger}) {
      String name = c.certPem.getFileName().toString().replace("-cert.pem", "");
      String key = c == server ? "rsa-key.pem" : "ec-key.pem";
      try (WebServer s = start("tls_server_config:\n  cert_file: " + name + "-cert.pem\n  key_file: " + key
          + "\n")) {
        HttpClient https = HttpClient.newBuilder().sslContext(c.clientContext(null)).build();
        assertEquals(200, get(https, "https://127.0.0.1:" + s.port() + "/metrics", null, null).statusCode(), name);
      }
    }
  }

  @Test
  void clientCertificatesAreRequiredAndVerifiedAgainstTheClientCa() throws Exception {
    try (WebServer s = start("tls_server_config:\n  cert_file: server-cert.pem\n  key_file: server-key.pem\n"
        + "  client_ca_file: client-cert.pem\n  client_auth_type: RequireAndVerifyClientCert\n")) {
      String url = "https://127.0.0.1:" + s.port() + "/metrics";
      SSLContext withCert = server.clientContext(client);
      assertEquals(200, get(HttpClient.newBuilder().sslContext(withCert).build(), url, null, null).statusCode());
      assertThrows(IOException.class,
          () -> get(HttpClient.newBuilder().sslContext(server.clientContext(null)).build(), url, null, null));
      assertThrows(IOException.class,
          () -> get(HttpClient.newBuilder().sslContext(server.clientContext(stranger)).build(), url, null, null));
    }
  }

  @Test
  void configErrorsNameWhatIsWrong() {
    String[][] cases = {
        {"tls_server_config:\n  cert_file: x.pem\n", "missing one of key or key_file"},
        {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n", "without a Client Auth Policy"},
        {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", "unknown TLS version"},
        {"http_server_config:\n  headers:\n    Server: x\n", "can not be configured"},
        {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "invalid value for X-Frame-Options"},
        {"basic_auth_users:\n  alice: plaintext\n", "alice is not a bcrypt hash"},
        {"tls_config:\n  cert_file: a\n", "unknown key 'tls_config'"},
        {"tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.pem\n", "failed to read cert_file"},
    };
    for (String[] c : cases) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> WebConfig.parse(c[0], dir.resolve("web.yml")).checked(), c[0]);
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
    assertEquals(WebConfig.NONE, assertDoesNotThrowLoad(""));
  }

  private static WebConfig assertDoesNotThrowLoad(String path) {
    try {
      return WebConfig.load(path);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
