package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Thanos's objstore configuration, unchanged:
 *
 * <pre>
 * type: S3            # or AZURE, GCS, FILESYSTEM
 * config:
 *   bucket: ...       # S3: see {@link S3Config}; AZURE: {@link AzureConfig}; GCS: {@link GcsConfig};
 *                     # FILESYSTEM: directory: /path
 * prefix: ""          # optional: every key lives under this folder
 * </pre>
 *
 * {@code $(VAR)} in the text is replaced by the environment variable, as Thanos does for config files. Other
 * Thanos providers (SWIFT, COS, ...) are recognised and refused with a clear message.
 */
public final class ObjstoreConfig {
  private static final Set<String> TOP_KEYS = Set.of("type", "config", "prefix");
  private static final Set<String> OTHER_PROVIDERS =
      Set.of("SWIFT", "COS", "ALIYUNOSS", "BOS", "OCI", "OBS");
  private static final String SUPPORTED = "S3, AZURE, GCS and FILESYSTEM";

  /** The stores we support. */
  public enum Type { S3, FILESYSTEM, AZURE, GCS }

  public final Type type;
  /** For S3. */
  public final S3Config s3;
  /** For FILESYSTEM. */
  public final Path directory;
  /** For AZURE. */
  public final AzureConfig azure;
  /** For GCS. */
  public final GcsConfig gcs;
  public final String prefix;

  private ObjstoreConfig(Type type, S3Config s3, Path directory, String prefix) {
    this(type, s3, directory, null, null, prefix);
  }

  private ObjstoreConfig(Type type, S3Config s3, Path directory, AzureConfig azure, GcsConfig gcs, String prefix) {
    this.type = type;
    this.s3 = s3;
    this.directory = directory;
    this.azure = azure;
    this.gcs = gcs;
    this.prefix = prefix;
  }

  public static ObjstoreConfig filesystem(Path directory) {
    return new ObjstoreConfig(Type.FILESYSTEM, null, directory, "");
  }

  public static ObjstoreConfig s3(S3Config s3) {
    s3.validate();
    return new ObjstoreConfig(Type.S3, s3, null, "");
  }

  /** Parses the YAML text, substituting environment variables from the process environment. */
  public static ObjstoreConfig parse(String yaml) {
    return parse(yaml, System.getenv());
  }

  public static ObjstoreConfig parse(String yaml, Map<String, String> env) {
    YamlTree root = YamlTree.parse(YamlTree.substituteEnv(yaml, env), "objstore config");
    root.requireOnly(TOP_KEYS);
    String type = root.string("type", "").toUpperCase(Locale.ROOT);
    String prefix = Bucket.dirPrefix(root.string("prefix", ""));
    YamlTree config = root.child("config");
    switch (type) {
      case "S3":
        return new ObjstoreConfig(Type.S3, S3Config.from(config), null, prefix);
      case "AZURE":
        return new ObjstoreConfig(Type.AZURE, null, null, AzureConfig.from(config), null, prefix);
      case "GCS":
        return new ObjstoreConfig(Type.GCS, null, null, null, GcsConfig.from(config), prefix);
      case "FILESYSTEM": {
        config.requireOnly(Set.of("directory"));
        String dir = config.string("directory", "");
        if (dir.isEmpty()) {
          throw new ConfigException("missing directory for filesystem bucket");
        }
        return new ObjstoreConfig(Type.FILESYSTEM, null, Path.of(dir), prefix);
      }
      case "":
        throw new ConfigException("objstore config has no 'type' (" + SUPPORTED + ")");
      default:
        if (OTHER_PROVIDERS.contains(type)) {
          throw new ConfigException("objstore type " + type + " is not supported; supported types are " + SUPPORTED);
        }
        throw new ConfigException("unknown objstore type " + type + "; supported types are " + SUPPORTED);
    }
  }

  /**
   * The bucket as Thanos names it in its metrics' {@code bucket} label: the S3 or GCS bucket, the Azure
   * container or the filesystem directory, without the {@code prefix}.
   */
  public String bucketName() {
    return switch (type) {
      case S3 -> s3.bucket;
      case GCS -> gcs.bucket;
      case AZURE -> azure.container;
      case FILESYSTEM -> directory.toString();
    };
  }

  /**
   * Opens the bucket. An S3 bucket retries each request itself ({@code max_retries}, see {@link S3Bucket}) and is
   * probed first, so an unreachable or misconfigured one fails here within seconds, naming endpoint and cause. A
   * filesystem, Azure or GCS bucket is wrapped in a {@link RetryingBucket}.
   */
  public Bucket open() throws IOException {
    if (type == Type.S3) {
      S3Bucket s3Bucket;
      try {
        s3Bucket = new S3Bucket(s3);
      } catch (NoClassDefFoundError e) {
        throw missingSdk(e);
      }
      try {
        s3Bucket.probe();
      } catch (IOException | RuntimeException e) {
        s3Bucket.close();
        throw e;
      }
      return prefix.isEmpty() ? s3Bucket : new PrefixedBucket(s3Bucket, prefix);
    }
    return open(switch (type) {
      case GCS, S3 -> new RetryPolicy(3, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(10), RetryPolicy.THREAD_SLEEP);
      // reader_config.max_retry_requests: how often a broken download is resumed
      case AZURE -> new RetryPolicy(Math.max(3, azure.readerMaxRetryRequests + 1), java.time.Duration.ofSeconds(1),
          java.time.Duration.ofSeconds(10), RetryPolicy.THREAD_SLEEP);
      case FILESYSTEM -> RetryPolicy.defaults();
    });
  }

  /** Opens the bucket wrapped in a {@link RetryingBucket} with this policy, without a probe. */
  public Bucket open(RetryPolicy retries) throws IOException {
    Bucket raw;
    try {
      raw = switch (type) {
        case S3 -> new S3Bucket(s3);
        case FILESYSTEM -> new FilesystemBucket(directory);
        case AZURE -> new AzureBucket(azure);
        case GCS -> new GcsBucket(gcs);
      };
    } catch (NoClassDefFoundError e) {
      throw missingSdk(e);
    }
    Bucket b = prefix.isEmpty() ? raw : new PrefixedBucket(raw, prefix);
    return new RetryingBucket(b, retries);
  }

  /**
   * The bucket as the operator wrote it, for summaries and logs: {@code S3 bucket "metrics" at
   * s3.eu-west-1.amazonaws.com}, {@code GCS bucket "metrics"}, {@code FILESYSTEM directory /var/lib/blocks}, ...,
   * plus the prefix. No secrets.
   */
  public String describe() {
    String where = switch (type) {
      case S3 -> "S3 bucket \"" + s3.bucket + "\"" + (s3.endpoint.isEmpty() ? "" : " at " + s3.endpoint);
      case GCS -> "GCS bucket \"" + gcs.bucket + "\"";
      case AZURE -> "AZURE container \"" + azure.container + "\" of storage account \"" + azure.storageAccount
          + "\" at " + azure.endpoint;
      case FILESYSTEM -> "FILESYSTEM directory " + directory;
    };
    return where + (prefix.isEmpty() ? "" : " under prefix " + prefix);
  }

  /** The cloud SDKs are optional dependencies of the library; the CLI jar carries them all. */
  private ConfigException missingSdk(NoClassDefFoundError e) {
    return new ConfigException("objstore type " + type + " needs its cloud SDK on the class path (missing "
        + e.getMessage() + "); use tsdb-compactor.jar or add the SDK to the application");
  }

  @Override
  public String toString() {
    Object detail = switch (type) {
      case S3 -> s3;
      case AZURE -> azure;
      case GCS -> gcs;
      case FILESYSTEM -> "directory=" + directory;
    };
    return "ObjstoreConfig{type=" + type + ", " + detail
        + (prefix.isEmpty() ? "" : ", prefix=" + prefix) + "}";
  }
}
