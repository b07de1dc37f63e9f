package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The {@code http_config:} section that Thanos's AZURE and GCS providers share (thanos-io/objstore
 * {@code exthttp.HTTPConfig}), with its defaults. The cloud SDKs run their own connection pools, so the pool keys
 * are accepted and left to them; the timeouts and a CA bundle are applied; settings that would weaken TLS or need
 * client certificates are refused with a message rather than ignored.
 */
final class ExtHttpConfig {
  static final Set<String> KEYS = Set.of("idle_conn_timeout", "response_header_timeout", "insecure_skip_verify",
      "tls_handshake_timeout", "expect_continue_timeout", "max_idle_conns", "max_idle_conns_per_host",
      "max_conns_per_host", "tls_config", "force_attempt_http2", "disable_compression");
  private static final Set<String> TLS_KEYS = Set.of("ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify");

  Duration idleConnTimeout = Duration.ofSeconds(90);
  Duration responseHeaderTimeout = Duration.ofMinutes(2);
  Duration tlsHandshakeTimeout = Duration.ofSeconds(10);
  int maxConnsPerHost;
  String caFile = "";

  static ExtHttpConfig from(YamlTree h, String provider) {
    h.requireOnly(KEYS);
    ExtHttpConfig c = new ExtHttpConfig();
    c.idleConnTimeout = h.duration("idle_conn_timeout", c.idleConnTimeout);
    c.responseHeaderTimeout = h.duration("response_header_timeout", c.responseHeaderTimeout);
    c.tlsHandshakeTimeout = h.duration("tls_handshake_timeout", c.tlsHandshakeTimeout);
    h.duration("expect_continue_timeout", Duration.ZERO);
    h.number("max_idle_conns", 0);
    h.number("max_idle_conns_per_host", 0);
    c.maxConnsPerHost = (int) Math.min(Integer.MAX_VALUE, h.number("max_conns_per_host", 0));
    h.bool("disable_compression", false);
    h.bool("force_attempt_http2", false);
    YamlTree tls = h.child("tls_config");
    tls.requireOnly(TLS_KEYS);
    c.caFile = tls.string("ca_file", "");
    if (h.bool("insecure_skip_verify", false) || tls.bool("insecure_skip_verify", false)) {
      throw new ConfigException("http_config insecure_skip_verify: true is not supported for " + provider
          + ": give the server's CA with http_config.tls_config.ca_file instead");
    }
    for (String k : new String[] {"cert_file", "key_file", "server_name"}) {
      if (!tls.string(k, "").isEmpty()) {
        throw new ConfigException("http_config.tls_config." + k + " is not supported for " + provider
            + " (client certificates and server name overrides are not implemented)");
      }
    }
    return c;
  }

  /** The trust store holding {@code ca_file}'s certificates, or null to use the JDK's. */
  KeyStore trustStore() throws IOException {
    return caFile.isEmpty() ? null : trustStore(caFile);
  }

  /** A trust store holding the certificates of a {@code tls_config.ca_file} (PEM, one or more). */
  static KeyStore trustStore(String caFile) throws IOException {
    try (InputStream in = Files.newInputStream(Path.of(caFile))) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca-" + i++, cert);
      }
      if (i == 0) {
        throw new ConfigException("http_config.tls_config.ca_file " + caFile + " holds no certificate");
      }
      return ks;
    } catch (GeneralSecurityException e) {
      throw new ConfigException("http_config.tls_config.ca_file " + caFile + " cannot be read: " + e.getMessage());
    }
  }

  /** An SSL context trusting {@code ca_file} only, or null to use the JDK's default. */
  SSLContext sslContext() throws IOException {
    KeyStore ks = trustStore();
    if (ks == null) {
      return null;
    }
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS with ca_file " + caFile + ": " + e.getMessage(), e);
    }
  }
}
