package io.tsdbcompactor.bucket;

import java.util.Set;

/**
 * The {@code config:} section of Thanos's {@code type: GCS} objstore YAML (thanos-io/objstore providers/gcs), with
 * the same keys and defaults. Without {@code service_account} the client uses Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, or the metadata server: Workload Identity on GKE).
 * {@link #toString()} never shows the service account key.
 */
public final class GcsConfig {
  static final Set<String> KEYS = Set.of("bucket", "service_account", "use_grpc", "grpc_conn_pool_size",
      "http_config", "chunk_size_bytes", "max_retries");

  public String bucket = "";
  /** A service account key file's JSON content, inline. */
  public String serviceAccount = "";
  public boolean useGrpc;
  /**
   * Accepted for compatibility: Go's client sizes its gRPC pool from it; the Java client sizes its own channel
   * pool, so the value is not used.
   */
  public int grpcConnPoolSize;
  /** Bytes sent per request of a resumable upload; 0: the client's default (16 MiB). */
  public int chunkSizeBytes;
  /** Attempts of each idempotent request; 0: the client's default (6). */
  public int maxRetries;
  ExtHttpConfig http = new ExtHttpConfig();

  static GcsConfig from(YamlTree c) {
    c.requireOnly(KEYS);
    GcsConfig g = new GcsConfig();
    g.bucket = c.string("bucket", "");
    g.serviceAccount = c.string("service_account", "");
    g.useGrpc = c.bool("use_grpc", false);
    g.grpcConnPoolSize = (int) Math.min(1024, c.number("grpc_conn_pool_size", 0));
    g.http = ExtHttpConfig.from(c.child("http_config"), "GCS");
    long chunk = c.number("chunk_size_bytes", 0);
    if (chunk > Integer.MAX_VALUE) {
      throw new ConfigException("chunk_size_bytes must be below 2 GiB");
    }
    g.chunkSizeBytes = (int) chunk;
    g.maxRetries = (int) Math.min(1000, c.number("max_retries", 0));
    g.validate();
    return g;
  }

  /** Thanos's check, with its message. */
  public void validate() {
    if (bucket.isEmpty()) {
      throw new ConfigException("missing Google Cloud Storage bucket name for stored blocks");
    }
  }

  @Override
  public String toString() {
    return "GcsConfig{bucket=" + bucket + ", service_account=" + (serviceAccount.isEmpty() ? "<application default>" : "<redacted>")
        + ", use_grpc=" + useGrpc + ", chunk_size_bytes=" + chunkSizeBytes + ", max_retries=" + maxRetries + "}";
  }
}
