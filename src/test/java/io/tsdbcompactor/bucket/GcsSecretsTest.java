package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A GCS bucket with an inline {@code service_account} key, against a scripted token endpoint and storage API on
 * 127.0.0.1 that refuse access: the key is used (requests carry a bearer token obtained with it), and neither the
 * private key nor the token reaches a log line at DEBUG, an error message or the config's text.
 */
class GcsSecretsTest {
  static final String TOKEN = "ya29.access-token-never-logged-5531";

  @Test
  void serviceAccountKeyAndTokenNeverReachLogsOrErrors() throws Exception {
    List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      byte[] body;
      int status;
      if (ex.getRequestURI().getPath().equals("/token")) {
        status = 200;
        body = ("{\"access_token\":\"" + TOKEN + "\",\"expires_in\":3600,\"token_type\":\"Bearer\"}").getBytes(StandardCharsets.UTF_8);
      } else {
        authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
        status = 403;
        body = "{\"error\":{\"code\":403,\"message\":\"sa does not have storage.objects.get access\"}}".getBytes(StandardCharsets.UTF_8);
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    String url = "http://127.0.0.1:" + server.getAddress().getPort();
    var kpg = KeyPairGenerator.getInstance("RSA");
    kpg.initialize(2048);
    String pkcs8 = Base64.getEncoder().encodeToString(kpg.generateKeyPair().getPrivate().getEncoded());
    String pem = "-----BEGIN PRIVATE KEY-----\\n" + pkcs8 + "\\n-----END PRIVATE KEY-----\\n";
    String json = "{\"type\":\"service_account\",\"project_id\":\"p\",\"private_key_id\":\"k1\",\"private_key\":\"" + pem
        + "\",\"client_email\":\"sa@p.iam.gserviceaccount.com\",\"client_id\":\"1\",\"token_uri\":\"" + url + "/token\"}";
    String keyPart = pkcs8.substring(100, 140);

    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    List<ch.qos.logback.classic.Logger> loggers = List.of(ctx.getLogger("com.google"), ctx.getLogger("io.tsdbcompactor"),
        ctx.getLogger("org.apache.http"), ctx.getLogger("io.grpc"), ctx.getLogger("io.opentelemetry"));
    List<Level> levels = new ArrayList<>();
    for (ch.qos.logback.classic.Logger l : loggers) {
      levels.add(l.getLevel());
      l.setLevel(Level.DEBUG);
      l.setAdditive(false);
      l.addAppender(appender);
    }
    List<String> texts = new ArrayList<>();
    try {
      ObjstoreConfig parsed = ObjstoreConfig.parse("type: GCS\nconfig:\n  bucket: locked\n  max_retries: 1\n"
          + "  service_account: '" + json + "'\n", Map.of());
      LoggerFactory.getLogger(getClass()).info("config in use: {}", parsed);
      texts.add(parsed.toString());
      GcsConfig c = parsed.gcs;
      try (GcsBucket b = new GcsBucket(c, GcsBucket.options(c, Map.of()).setHost(url).build().getService())) {
        BucketException get = assertThrows(BucketException.class, () -> b.attributes("01A/meta.json"));
        BucketException put = assertThrows(BucketException.class, () -> b.upload("01A/meta.json", new byte[] {1}));
        texts.add(get.getMessage());
        texts.add(put.getMessage());
        assertTrue(get.getMessage().contains("HTTP 403") && get.getMessage().contains("bucket locked"), get.getMessage());
        assertFalse(get.isRetryable());
      }
    } finally {
      for (int i = 0; i < loggers.size(); i++) {
        loggers.get(i).detachAppender(appender);
        loggers.get(i).setAdditive(true);
        loggers.get(i).setLevel(levels.get(i));
      }
      server.stop(0);
    }
    assertFalse(authorizations.isEmpty());
    assertTrue(authorizations.get(0).startsWith("Bearer "), "requests are signed with the key: " + authorizations);
    for (ILoggingEvent e : appender.list) {
      texts.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())));
    }
    assertTrue(appender.list.size() >= 1, "something was logged");
    for (String t : texts) {
      assertFalse(t.contains(keyPart), t);
      assertFalse(t.contains(TOKEN), t);
    }
  }
}
