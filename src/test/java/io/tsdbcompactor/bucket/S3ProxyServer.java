package io.tsdbcompactor.bucket;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * An S3Proxy on 127.0.0.1 (port 0: the port it bound is read back) backed by jclouds' filesystem provider in a
 * directory, or by its in-memory one ({@link #inMemory}).
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "test-access-key";
  public static final String SECRET_KEY = "test-secret-Zq8uTT2mVb1x";

  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final boolean secure;

  public S3ProxyServer(Path dir) throws Exception {
    this(dir, true);
  }

  /**
   * @param checkSignatures false accepts any request signature, so a proxy in front may rewrite requests (see
   *     {@link S3FaultProxy#ignoreListingStart})
   */
  public S3ProxyServer(Path dir, boolean checkSignatures) throws Exception {
    this(filesystemStore(dir), checkSignatures, null);
  }

  /**
   * An S3Proxy serving HTTPS alone, with the key and certificate of {@code keystore} (PKCS#12, password
   * {@code TestCerts.PASS}), on jclouds' filesystem provider in {@code dir}.
   */
  public static S3ProxyServer https(Path dir, Path keystore) throws Exception {
    return new S3ProxyServer(filesystemStore(dir), true, keystore);
  }

  /**
   * An S3Proxy holding its objects in memory (jclouds' transient provider): for buckets of many small objects,
   * which the filesystem provider lists too slowly (a listing of 100,000 blocks' objects did not finish in 3
   * minutes).
   */
  public static S3ProxyServer inMemory(String... buckets) throws Exception {
    BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("x", "y")
        .build(BlobStoreContext.class);
    for (String bucket : buckets) {
      context.getBlobStore().createContainerInLocation(null, bucket);
    }
    return new S3ProxyServer(context, true, null);
  }

  private static BlobStoreContext filesystemStore(Path dir) {
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toString());
    return ContextBuilder.newBuilder("filesystem").overrides(props).credentials("x", "y")
        .build(BlobStoreContext.class);
  }

  private S3ProxyServer(BlobStoreContext context, boolean checkSignatures, Path keystore) throws Exception {
    this.context = context;
    this.secure = keystore != null;
    BlobStore store = context.getBlobStore();
    S3Proxy.Builder builder = S3Proxy.builder().blobStore(store)
        .awsAuthentication(checkSignatures ? AuthenticationType.AWS_V2_OR_V4 : AuthenticationType.NONE, ACCESS_KEY,
            SECRET_KEY);
    if (secure) {
      builder.secureEndpoint(URI.create("https://127.0.0.1:0"))
          .keyStore(keystore.toString(), new String(io.tsdbcompactor.web.TestCerts.PASS));
    } else {
      builder.endpoint(URI.create("http://127.0.0.1:0"));
    }
    proxy = builder.build();
    // Jetty's start() returns once the connector is bound and the server started, or throws.
    proxy.start();
    if (!"STARTED".equals(proxy.getState())) {
      throw new IllegalStateException("S3Proxy did not start: state " + proxy.getState());
    }
  }

  /** The store behind the server, to fill a bucket without going through HTTP. */
  public BlobStore blobStore() {
    return context.getBlobStore();
  }

  public String endpoint() {
    return "127.0.0.1:" + port();
  }

  public int port() {
    return secure ? proxy.getSecurePort() : proxy.getPort();
  }

  /** A Thanos objstore YAML for this server. */
  public String yaml(String bucket, long partSize) {
    return "type: S3\nconfig:\n  bucket: " + bucket + "\n  endpoint: " + endpoint() + "\n  region: us-east-1\n"
        + "  access_key: " + ACCESS_KEY + "\n  secret_key: " + SECRET_KEY + "\n  insecure: " + !secure + "\n"
        + "  part_size: " + partSize + "\n";
  }

  public S3Config config(String bucket) {
    S3Config c = new S3Config();
    c.bucket = bucket;
    c.endpoint = endpoint();
    c.region = "us-east-1";
    c.accessKey = ACCESS_KEY;
    c.secretKey = SECRET_KEY;
    c.insecure = !secure;
    c.maxRetries = 2;
    return c;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
