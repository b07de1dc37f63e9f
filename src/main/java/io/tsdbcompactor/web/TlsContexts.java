package io.tsdbcompactor.web;

import io.tsdbcompactor.bucket.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK TLS setup for a {@link WebConfig.Tls}: PEM certificate chain and key (PKCS#8 {@code PRIVATE KEY},
 * PKCS#1 {@code RSA PRIVATE KEY} or SEC1 {@code EC PRIVATE KEY}, as openssl and cert-manager write them), the
 * client CA, client-auth policy, protocol range, cipher suites and curves. As the exporter-toolkit reloads its
 * certificate on each new connection, the key manager re-reads the files when they change on disk, so a rotated
 * certificate is served without a restart.
 */
final class TlsContexts {
  private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

  private TlsContexts() {}

  /** Go's TLS version names to the JDK's protocol names. */
  static String protocol(String goName) {
    return switch (goName) {
      case "TLS10" -> "TLSv1";
      case "TLS11" -> "TLSv1.1";
      case "TLS12" -> "TLSv1.2";
      case "TLS13" -> "TLSv1.3";
      default -> null;
    };
  }

  /** Go's curve names to the JDK's named groups. */
  static String namedGroup(String goName) {
    return Map.of("CurveP256", "secp256r1", "CurveP384", "secp384r1", "CurveP521", "secp521r1", "X25519", "x25519")
        .get(goName);
  }

  /** A server context for the config; {@link ConfigException} when files are missing or do not parse. */
  static SSLContext serverContext(WebConfig.Tls tls) {
    ReloadingKeyManager km = new ReloadingKeyManager(tls);
    km.current(); // fail now, not at the first handshake
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {km}, new TrustManager[] {clientTrust(tls)}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new ConfigException("--http.config: TLS setup failed: " + e.getMessage());
    }
  }

  /** The SSL parameters of each connection: protocols, suites, client auth. */
  static SSLParameters parameters(SSLContext ctx, WebConfig.Tls tls) {
    SSLParameters p = ctx.getDefaultSSLParameters();
    List<String> order = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");
    int lo = order.indexOf(protocol(tls.minVersion()));
    int hi = order.indexOf(protocol(tls.maxVersion()));
    Set<String> supported = Set.of(ctx.getSupportedSSLParameters().getProtocols());
    List<String> protocols = new ArrayList<>();
    for (int i = lo; i <= hi; i++) {
      if (supported.contains(order.get(i))) {
        protocols.add(order.get(i));
      }
    }
    if (protocols.isEmpty()) {
      throw new ConfigException("--http.config: no TLS version between " + tls.minVersion() + " and "
          + tls.maxVersion() + " is enabled in this JVM");
    }
    p.setProtocols(protocols.toArray(new String[0]));
    if (!tls.cipherSuites().isEmpty()) {
      Set<String> known = Set.of(ctx.getSupportedSSLParameters().getCipherSuites());
      Set<String> suites = new LinkedHashSet<>();
      for (String s : tls.cipherSuites()) {
        if (!known.contains(s)) {
          throw new ConfigException("--http.config: unknown cipher: " + s);
        }
        suites.add(s);
      }
      // As in Go, the list configures TLS 1.2 and below; TLS 1.3's suites stay enabled.
      for (String s : p.getCipherSuites()) {
        if (s.startsWith("TLS_AES_") || s.startsWith("TLS_CHACHA20_")) {
          suites.add(s);
        }
      }
      p.setCipherSuites(suites.toArray(new String[0]));
    }
    if (!tls.curvePreferences().isEmpty()) {
      String[] groups = tls.curvePreferences().stream().map(TlsContexts::namedGroup).toArray(String[]::new);
      try {
        Method m = SSLParameters.class.getMethod("setNamedGroups", String[].class); // Java 20+
        m.invoke(p, (Object) groups);
      } catch (ReflectiveOperationException e) {
        LOG.warn("curve_preferences needs Java 20+; this JVM uses its default groups (set -Djdk.tls.namedGroups)");
      }
    }
    p.setUseCipherSuitesOrder(tls.preferServerCipherSuites());
    if (tls.requiresClientCert()) {
      p.setNeedClientAuth(true);
    } else if (tls.requestsClientCert()) {
      p.setWantClientAuth(true);
    }
    return p;
  }

  /** Verifies against the client CA when the policy says so, accepts any certificate otherwise; then SANs. */
  private static X509TrustManager clientTrust(WebConfig.Tls tls) {
    X509TrustManager verifier = null;
    X509Certificate[] issuers = new X509Certificate[0];
    if (tls.clientCaFile() != null || !tls.clientCaPem().isEmpty()) {
      List<X509Certificate> cas = certificates(pemText(tls.clientCaFile(), tls.clientCaPem(), "client_ca_file"),
          "client_ca_file");
      issuers = cas.toArray(new X509Certificate[0]);
      try {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        for (int i = 0; i < cas.size(); i++) {
          ks.setCertificateEntry("ca" + i, cas.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        verifier = (X509TrustManager) tmf.getTrustManagers()[0];
      } catch (GeneralSecurityException | IOException e) {
        throw new ConfigException("--http.config: client CA cannot be used: " + e.getMessage());
      }
    }
    X509TrustManager verify = tls.verifiesClientCert() ? verifier : null;
    X509Certificate[] accepted = issuers;
    List<String> sans = tls.clientAllowedSans();
    return new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (verify != null) {
          verify.checkClientTrusted(chain, authType);
        }
        if (!sans.isEmpty() && !hasAllowedSan(chain[0], sans)) {
          throw new CertificateException("could not find allowed SANs in client cert, found: " + sans);
        }
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("server certificates are not checked by a server");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return accepted.clone();
      }
    };
  }

  private static boolean hasAllowedSan(X509Certificate cert, List<String> allowed) throws CertificateParsingException {
    if (cert.getSubjectAlternativeNames() == null) {
      return false;
    }
    for (List<?> san : cert.getSubjectAlternativeNames()) {
      if (san.size() > 1 && allowed.contains(String.valueOf(san.get(1)))) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------------------------------- PEM

  static String pemText(Path file, String inline, String what) {
    if (file == null) {
      return inline;
    }
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException("--http.config: failed to read " + what + " (" + file + "): " + e.getMessage());
    }
  }

  static List<X509Certificate> certificates(String pem, String what) {
    try {
      List<X509Certificate> out = new ArrayList<>();
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      Matcher m = PEM.matcher(pem);
      while (m.find()) {
        if (m.group(1).equals("CERTIFICATE")) {
          byte[] der = Base64.getMimeDecoder().decode(m.group(2));
          out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
        }
      }
      if (out.isEmpty()) {
        throw new ConfigException("--http.config: " + what + " holds no PEM CERTIFICATE");
      }
      return out;
    } catch (CertificateException e) {
      throw new ConfigException("--http.config: " + what + " is not a valid certificate: " + e.getMessage());
    }
  }

  /** The first private key in PEM text, in any of the three unencrypted encodings. */
  static PrivateKey privateKey(String pem) {
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      byte[] pkcs8 = switch (m.group(1)) {
        case "PRIVATE KEY" -> der;
        case "RSA PRIVATE KEY" -> Der.seq(Der.INT_ZERO,
            Der.seq(Der.oid(Der.RSA_ENCRYPTION), Der.NULL), Der.tlv(0x04, der));
        case "EC PRIVATE KEY" -> Der.seq(Der.INT_ZERO,
            Der.seq(Der.oid(Der.EC_PUBLIC_KEY), Der.ecCurveOid(der)), Der.tlv(0x04, der));
        default -> null;
      };
      if (pkcs8 == null) {
        continue;
      }
      for (String alg : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
        try {
          return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
          // not this algorithm
        }
      }
      throw new ConfigException("--http.config: the private key is neither RSA, EC nor Ed25519");
    }
    throw new ConfigException("--http.config: no unencrypted PEM private key found (PRIVATE KEY, RSA PRIVATE KEY "
        + "or EC PRIVATE KEY)");
  }

  /** Minimal DER, just enough to wrap PKCS#1 and SEC1 keys in PKCS#8. */
  static final class Der {
    static final byte[] INT_ZERO = {0x02, 0x01, 0x00};
    static final byte[] NULL = {0x05, 0x00};
    static final byte[] RSA_ENCRYPTION = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    static final byte[] EC_PUBLIC_KEY = {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    static byte[] oid(byte[] body) {
      return tlv(0x06, body);
    }

    static byte[] seq(byte[]... parts) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (byte[] p : parts) {
        b.writeBytes(p);
      }
      return tlv(0x30, b.toByteArray());
    }

    static byte[] tlv(int tag, byte[] body) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.write(tag);
      int n = body.length;
      if (n < 0x80) {
        b.write(n);
      } else {
        int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
        b.write(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
          b.write(n >>> (8 * i));
        }
      }
      b.writeBytes(body);
      return b.toByteArray();
    }

    /** The curve OID TLV of a SEC1 ECPrivateKey: SEQUENCE { version, OCTET STRING key, [0] { OID } , ... }. */
    static byte[] ecCurveOid(byte[] sec1) {
      int[] pos = {0};
      header(sec1, pos, 0x30);
      skip(sec1, pos); // version
      skip(sec1, pos); // private key
      if (pos[0] < sec1.length && (sec1[pos[0]] & 0xff) == 0xa0) {
        header(sec1, pos, 0xa0);
        int start = pos[0];
        skip(sec1, pos);
        return java.util.Arrays.copyOfRange(sec1, start, pos[0]);
      }
      throw new ConfigException("--http.config: EC PRIVATE KEY does not name its curve");
    }

    private static int header(byte[] d, int[] pos, int tag) {
      if (pos[0] >= d.length || (d[pos[0]] & 0xff) != tag) {
        throw new ConfigException("--http.config: malformed EC PRIVATE KEY");
      }
      pos[0]++;
      int len = d[pos[0]++] & 0xff;
      if (len >= 0x80) {
        int bytes = len & 0x7f;
        len = 0;
        for (int i = 0; i < bytes; i++) {
          len = (len << 8) | (d[pos[0]++] & 0xff);
        }
      }
      return len;
    }

    private static void skip(byte[] d, int[] pos) {
      int len = header(d, pos, d[pos[0]] & 0xff);
      pos[0] += len;
    }
  }

  // ------------------------------------------------------------------------------------------- key manager

  /** Serves the configured certificate, re-reading cert and key files when either changes on disk. */
  static final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "server";
    private final WebConfig.Tls tls;
    private record Loaded(X509Certificate[] chain, PrivateKey key, String stamp) {}
    private volatile Loaded loaded;

    ReloadingKeyManager(WebConfig.Tls tls) {
      this.tls = tls;
    }

    Loaded current() {
      String stamp = stamp(tls.certFile()) + "|" + stamp(tls.keyFile());
      Loaded l = loaded;
      if (l != null && l.stamp.equals(stamp)) {
        return l;
      }
      synchronized (this) {
        try {
          List<X509Certificate> chain = certificates(pemText(tls.certFile(), tls.certPem(), "cert_file"), "cert_file");
          PrivateKey key = privateKey(pemText(tls.keyFile(), tls.keyPem(), "key_file"));
          loaded = new Loaded(chain.toArray(new X509Certificate[0]), key, stamp);
        } catch (ConfigException e) {
          if (loaded == null) {
            throw e;
          }
          LOG.atWarn().addKeyValue("err", e.getMessage()).log("reloading the TLS certificate failed; serving the old one");
          loaded = new Loaded(loaded.chain, loaded.key, stamp);
        }
        return loaded;
      }
    }

    private static String stamp(Path p) {
      if (p == null) {
        return "";
      }
      try {
        return Files.getLastModifiedTime(p).toMillis() + ":" + Files.size(p);
      } catch (IOException e) {
        return "missing";
      }
    }

    private String aliasFor(String keyType) {
      String alg = current().key.getAlgorithm();
      return keyType != null && (keyType.equalsIgnoreCase(alg) || keyType.startsWith(alg + "_")
          || (alg.equals("RSA") && keyType.equals("RSASSA-PSS"))) ? ALIAS : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, SSLEngine engine) {
      return aliasFor(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
      return aliasFor(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
      String a = aliasFor(keyType);
      return a == null ? null : new String[] {a};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return ALIAS.equals(alias) ? current().chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return ALIAS.equals(alias) ? current().key : null;
    }

    @Override
    public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
      return null;
    }
  }
}
