package io.tsdbcompactor.bucket;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JVM's default trust manager, read from its trust store at the first certificate it checks rather than when
 * the client is built. The S3 client's HTTP client sets up TLS as it is built, whatever the endpoint's scheme; with
 * the default trust manager that reads the JDK's trust store (about 150 certificates: 1.4 MB of heap and a tenth of
 * a second of every run's start, benchmarks/README.md) even for a plain-HTTP endpoint, which never uses it.
 * Over HTTPS it checks exactly as the default does.
 */
final class LazyDefaultTrustManager extends X509ExtendedTrustManager {
  private volatile X509ExtendedTrustManager loaded;

  /** Whether the trust store has been read: not until a certificate is checked. */
  boolean isLoaded() {
    return loaded != null;
  }

  private X509ExtendedTrustManager trust() throws CertificateException {
    X509ExtendedTrustManager t = loaded;
    if (t == null) {
      synchronized (this) {
        t = loaded;
        if (t == null) {
          loaded = t = load();
        }
      }
    }
    return t;
  }

  private static X509ExtendedTrustManager load() throws CertificateException {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new CertificateException("the JVM's default trust manager factory offers no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new CertificateException("cannot read the JVM's default trust store: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    trust().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    trust().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    trust().checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    trust().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    trust().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    trust().checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    try {
      return trust().getAcceptedIssuers();
    } catch (CertificateException e) {
      return new X509Certificate[0];
    }
  }
}
