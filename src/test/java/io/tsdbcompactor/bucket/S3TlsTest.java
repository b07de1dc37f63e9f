package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.web.TestCerts;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * S3 over HTTPS, against S3Proxy serving a self-signed certificate (made by the JDK's keytool), and over plain HTTP:
 * the client trusts the CA {@code ca_file} names, refuses a certificate the JVM's trust store does not vouch for,
 * and reads that trust store only when an HTTPS endpoint needs it.
 */
class S3TlsTest {
  private static final byte[] CONTENT = "over TLS".getBytes(StandardCharsets.UTF_8);

  @TempDir
  static Path tmp;
  private static TestCerts cert;
  private static S3ProxyServer https;

  @BeforeAll
  static void startHttpsServer() throws Exception {
    cert = TestCerts.generate(tmp, "s3proxy", "RSA");
    https = S3ProxyServer.https(Files.createDirectories(tmp.resolve("https")), cert.keystore);
    https.blobStore().createContainerInLocation(null, "tls");
  }

  @AfterAll
  static void stopHttpsServer() throws Exception {
    if (https != null) {
      https.close();
    }
  }

  @Test
  void anHttpsEndpointWhoseCaIsInCaFileIsUsed() throws Exception {
    S3Config c = https.config("tls");
    c.caFile = cert.certPem.toString();
    try (S3Bucket bucket = new S3Bucket(c)) {
      bucket.upload("01X/meta.json", CONTENT);
      try (InputStream in = bucket.get("01X/meta.json")) {
        assertArrayEquals(CONTENT, in.readAllBytes());
      }
    }
  }

  @Test
  void anHttpsEndpointWithACertificateTheJvmDoesNotTrustIsRefused() throws Exception {
    S3Config c = https.config("tls");
    c.maxRetries = 0;
    try (S3Bucket bucket = new S3Bucket(c)) {
      IOException e = assertThrows(IOException.class, () -> bucket.exists("01X/meta.json"));
      assertTrue(causes(e).contains("PKIX path building failed"), causes(e));
      assertTrue(bucket.readDefaultTrustStore(), "the refusal came from somewhere other than the JVM's trust");
    }
  }

  @Test
  void aPlainHttpEndpointNeverReadsTheTrustStore() throws Exception {
    try (S3ProxyServer http = new S3ProxyServer(Files.createDirectories(tmp.resolve("http")))) {
      S3Config c = http.config("plain");
      S3TestBuckets.create(c);
      try (S3Bucket bucket = new S3Bucket(c)) {
        bucket.upload("01X/meta.json", CONTENT);
        try (InputStream in = bucket.get("01X/meta.json")) {
          assertArrayEquals(CONTENT, in.readAllBytes());
        }
        assertFalse(bucket.readDefaultTrustStore());
      }
    }
  }

  /** The messages of {@code e} and its causes, one per line. */
  private static String causes(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      b.append(t).append('\n');
    }
    return b.toString();
  }
}
