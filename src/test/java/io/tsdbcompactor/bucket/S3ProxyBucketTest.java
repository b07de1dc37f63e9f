package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The S3 suite against S3Proxy (jclouds filesystem provider) on 127.0.0.1, started here. */
class S3ProxyBucketTest extends AbstractS3BucketTest {
  @TempDir
  static Path serverDir;
  static S3ProxyServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new S3ProxyServer(serverDir);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Override
  protected S3Config config(String bucket) {
    return server.config(bucket);
  }

  @Test
  void sdkDefaultChecksumsAreRejectedByS3ProxyWhichIsWhyWeTurnThemOff() throws Exception {
    S3Config c = config(((S3Bucket) bucket).name());
    c.checksumMode = S3Config.ChecksumMode.WHEN_SUPPORTED;
    c.maxRetries = 0;
    // More than one 128 KiB chunk (the body is not chunked over plain HTTP: S3Bucket.buildClient); a body of a
    // few bytes passes S3Proxy with the checksum header, this one does not.
    byte[] data = S3FaultProxyTest.bytes(300 * 1024, 9);
    try (S3Bucket b = new S3Bucket(c)) {
      BucketException e = assertThrows(BucketException.class, () -> b.upload("c/x", data));
      assertTrue(e.getMessage().contains("HTTP 501 NotImplemented"), e.getMessage());
    }
    bucket.upload("c/x", data); // AUTO mode: fine
    assertArrayEquals(data, bucket.getBytes("c/x"));
  }

  @Test
  void secretsNeverReachTheLogs() throws Exception {
    String secret = "Log-Secret-Never-Printed-77";
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    // Capture everything the SDK and our code log, at DEBUG, without printing it.
    java.util.List<ch.qos.logback.classic.Logger> loggers =
        java.util.List.of(ctx.getLogger("software.amazon"), ctx.getLogger("io.tsdbcompactor"), ctx.getLogger("org.apache.http"));
    java.util.List<Level> levels = new java.util.ArrayList<>();
    for (ch.qos.logback.classic.Logger l : loggers) {
      levels.add(l.getLevel());
      l.setLevel(Level.DEBUG);
      l.setAdditive(false);
      l.addAppender(appender);
    }
    try {
      S3Config c = config(((S3Bucket) bucket).name());
      c.secretKey = secret;
      c.trace = true;
      c.maxRetries = 1;
      try (Bucket b = new RetryingBucket(new S3Bucket(c), RetryPolicies.immediate(2))) {
        assertThrows(BucketException.class, () -> b.upload("l/x", new byte[] {1}));
        assertThrows(BucketException.class, () -> b.getBytes("l/x"));
        LoggerFactory.getLogger(getClass()).info("config in use: {}", c);
      }
      String good = "type: S3\nconfig:\n  bucket: " + c.bucket + "\n  endpoint: " + c.endpoint
          + "\n  access_key: " + c.accessKey + "\n  secret_key: " + S3ProxyServer.SECRET_KEY + "\n  insecure: true\n"
          + "  trace:\n    enable: true\n";
      try (Bucket b = ObjstoreConfig.parse(good).open()) {
        b.upload("l/y", new byte[] {1});
        b.getBytes("l/y");
      }
    } finally {
      for (int i = 0; i < loggers.size(); i++) {
        loggers.get(i).detachAppender(appender);
        loggers.get(i).setAdditive(true);
        loggers.get(i).setLevel(levels.get(i));
      }
    }
    assertTrue(appender.list.size() > 3, "something was logged");
    for (ILoggingEvent e : appender.list) {
      String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy()));
      assertFalse(text.contains(secret), text);
      assertFalse(text.contains(S3ProxyServer.SECRET_KEY), text);
    }
  }
}
