package io.tsdbcompactor.web;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A key pair and self-signed certificate made by the JDK's keytool, written as the PEM files a web config names
 * ({@code cert.pem}, {@code key.pem} in PKCS#8), plus client-side SSL contexts that trust it and present it.
 */
public final class TestCerts {
  public static final char[] PASS = "changeit".toCharArray();
  public final Path keystore;
  public final Path certPem;
  public final Path keyPem;
  final KeyStore ks;

  private TestCerts(Path keystore, Path certPem, Path keyPem, KeyStore ks) {
    this.keystore = keystore;
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.ks = ks;
  }

  /** Generates {@code name}.p12, {@code name}-cert.pem and {@code name}-key.pem in {@code dir}. */
  public static TestCerts generate(Path dir, String name, String keyAlg) throws Exception {
    Path p12 = dir.resolve(name + ".p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> cmd = new java.util.ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-alias", name,
        "-keyalg", keyAlg, "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost,dns:" + name,
        "-validity", "3650", "-keystore", p12.toString(), "-storetype", "PKCS12",
        "-storepass", new String(PASS), "-keypass", new String(PASS)));
    if (keyAlg.equals("RSA")) {
      cmd.addAll(List.of("-keysize", "2048"));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + out);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      ks.load(in, PASS);
    }
    Certificate cert = ks.getCertificate(name);
    PrivateKey key = (PrivateKey) ks.getKey(name, PASS);
    Path certPem = dir.resolve(name + "-cert.pem");
    Path keyPem = dir.resolve(name + "-key.pem");
    Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
    return new TestCerts(p12, certPem, keyPem, ks);
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** The PKCS#8 key's inner key (PKCS#1 for RSA, SEC1 for EC): the OCTET STRING at the end of the structure. */
  byte[] innerKey(String name) throws GeneralSecurityException {
    byte[] der = ((PrivateKey) ks.getKey(name, PASS)).getEncoded();
    int[] pos = {0};
    header(der, pos); // SEQUENCE
    skip(der, pos); // version
    skip(der, pos); // algorithm
    int len = header(der, pos); // OCTET STRING
    return java.util.Arrays.copyOfRange(der, pos[0], pos[0] + len);
  }

  private static int header(byte[] d, int[] pos) {
    pos[0]++;
    int len = d[pos[0]++] & 0xff;
    if (len >= 0x80) {
      int n = len & 0x7f;
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (d[pos[0]++] & 0xff);
      }
    }
    return len;
  }

  private static void skip(byte[] d, int[] pos) {
    int len = header(d, pos);
    pos[0] += len;
  }

  /** A client context trusting this certificate, presenting {@code clientCert} (may be null). */
  SSLContext clientContext(TestCerts clientCert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", ks.getCertificate(ks.aliases().nextElement()));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (clientCert != null) {
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(clientCert.ks, PASS);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }
}
