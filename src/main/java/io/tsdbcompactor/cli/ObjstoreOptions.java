package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ConfigException;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.metrics.InstrumentedBucket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/**
 * The objstore flags of every command that reads a bucket, as Thanos names them. Use with
 * {@code @Mixin ObjstoreOptions objstore;} and then {@code objstore.open()}. The YAML is Thanos's unchanged
 * ({@link ObjstoreConfig}); {@code $(VAR)} is replaced from the environment. The content flag is never
 * echoed: not in {@code --help}, not in errors.
 */
public final class ObjstoreOptions {
  @Option(names = "--objstore.config-file", paramLabel = "<file-path>",
      description = "Path to YAML file that contains object store configuration (Thanos format: type S3, AZURE, GCS or FILESYSTEM).")
  Path configFile;

  @Option(names = "--objstore.config", paramLabel = "<content>",
      description = "Alternative to 'objstore.config-file' flag (mutually exclusive). Content of YAML file that "
          + "contains object store configuration.")
  String configContent;

  /**
   * The parsed configuration; {@link ConfigException} when the flags are missing, both given, or wrong, or when
   * a FILESYSTEM directory does not exist: on the command line that is a wrong path (a typo, a volume not
   * mounted), not an empty bucket to create.
   */
  public ObjstoreConfig config() throws IOException {
    ObjstoreConfig c = parsed();
    if (c.type == ObjstoreConfig.Type.FILESYSTEM && !Files.isDirectory(c.directory)) {
      throw new ConfigException("FILESYSTEM bucket directory " + c.directory + " does not exist or is not a directory");
    }
    return c;
  }

  private ObjstoreConfig parsed() throws IOException {
    if (configFile != null && configContent != null) {
      throw new ConfigException("--objstore.config-file and --objstore.config are mutually exclusive");
    }
    if (configFile != null) {
      String text;
      try {
        text = Files.readString(configFile);
      } catch (NoSuchFileException e) {
        throw new ConfigException("objstore config file " + configFile + " does not exist");
      }
      return ObjstoreConfig.parse(text);
    }
    if (configContent != null) {
      return ObjstoreConfig.parse(configContent);
    }
    throw new ConfigException("no object store configuration: give --objstore.config-file or --objstore.config");
  }

  /** Opens the configured bucket (with retries). */
  public Bucket open() throws IOException {
    return config().open();
  }

  /** These options when any objstore flag was given, else {@code fallback} (the flags of a parent command). */
  public ObjstoreOptions orElse(ObjstoreOptions fallback) {
    return configFile != null || configContent != null || fallback == null ? this : fallback;
  }

  /**
   * Opens the configured bucket (with retries) inside an {@link InstrumentedBucket} recording Thanos's objstore
   * metrics into {@code metrics}; {@code clock} dates the last upload.
   */
  public Bucket open(CompactorMetrics metrics, Clock clock) throws IOException {
    return open(config(), metrics, clock);
  }

  /** {@link ObjstoreConfig#open()} wrapped in Thanos's objstore metrics, labelled as Thanos labels them. */
  static Bucket open(ObjstoreConfig config, CompactorMetrics metrics, Clock clock) throws IOException {
    return new InstrumentedBucket(config.open(), metrics.objstore(config.bucketName()), clock);
  }

  /**
   * The YAML of a second bucket's flag pair, {@code --<prefix>.config-file} or {@code --<prefix>.config} (replicate's
   * target, verify's backup); null when neither is given. Both at once, or a missing file, is a {@link ConfigException}.
   */
  static String secondBucketYaml(String prefix, Path file, String content) throws IOException {
    if (file != null && content != null) {
      throw new ConfigException("--" + prefix + ".config-file and --" + prefix + ".config are mutually exclusive");
    }
    if (file == null) {
      return content;
    }
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(prefix + " config file " + file + " does not exist");
    }
  }
}
