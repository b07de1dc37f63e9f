package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Thanos's objstore configuration, unchanged:
 *
 * <pre>
 * type: S3            # or FILESYSTEM
 * config:
 *   bucket: ...       # S3: see {@link S3Config}; FILESYSTEM: directory: /path
 * prefix: ""          # optional: every key lives under this folder
 * </pre>
 *
 * {@code $(VAR)} in the text is replaced by the environment variable, as Thanos does for config files. Other
 * Thanos providers (GCS, AZURE, SWIFT, COS, ...) are recognised and refused with a clear message.
 */
public final class ObjstoreConfig {
  private static final Set<String> TOP_KEYS = Set.of("type", "config", "prefix");
  private static final Set<String> OTHER_PROVIDERS =
      Set.of("GCS", "AZURE", "SWIFT", "COS", "ALIYUNOSS", "BOS", "OCI", "OBS");

  /** The two stores we support. */
  public enum Type { S3, FILESYSTEM }

  public final Type type;
  /** For S3. */
  public final S3Config s3;
  /** For FILESYSTEM. */
  public final Path directory;
  public final String prefix;

  private ObjstoreConfig(Type type, S3Config s3, Path directory, String prefix) {
    this.type = type;
    this.s3 = s3;
    this.directory = directory;
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
      case "FILESYSTEM": {
        config.requireOnly(Set.of("directory"));
        String dir = config.string("directory", "");
        if (dir.isEmpty()) {
          throw new ConfigException("missing directory for filesystem bucket");
        }
        return new ObjstoreConfig(Type.FILESYSTEM, null, Path.of(dir), prefix);
      }
      case "":
        throw new ConfigException("objstore config has no 'type' (S3 or FILESYSTEM)");
      default:
        if (OTHER_PROVIDERS.contains(type)) {
          throw new ConfigException("objstore type " + type + " is not supported; supported types are S3 and FILESYSTEM");
        }
        throw new ConfigException("unknown objstore type " + type + "; supported types are S3 and FILESYSTEM");
    }
  }

  public static ObjstoreConfig readFile(Path file) throws IOException {
    return parse(Files.readString(file));
  }

  /**
   * The bucket as Thanos names it in its metrics' {@code bucket} label: the S3 bucket name or the filesystem
   * directory, without the {@code prefix}.
   */
  public String bucketName() {
    return type == Type.S3 ? s3.bucket : directory.toString();
  }

  /**
   * Opens the bucket, wrapped in a {@link RetryingBucket}. S3 requests are already retried by the SDK
   * ({@code max_retries}), so the outer layer there only resumes broken streams and rides out longer outages.
   */
  public Bucket open() throws IOException {
    return open(type == Type.S3
        ? new RetryPolicy(3, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(10), RetryPolicy.THREAD_SLEEP)
        : RetryPolicy.defaults());
  }

  public Bucket open(RetryPolicy retries) throws IOException {
    Bucket raw = switch (type) {
      case S3 -> new S3Bucket(s3);
      case FILESYSTEM -> new FilesystemBucket(directory);
    };
    Bucket b = prefix.isEmpty() ? raw : new PrefixedBucket(raw, prefix);
    return new RetryingBucket(b, retries);
  }

  @Override
  public String toString() {
    return "ObjstoreConfig{type=" + type + (s3 != null ? ", " + s3 : ", directory=" + directory)
        + (prefix.isEmpty() ? "" : ", prefix=" + prefix) + "}";
  }
}
