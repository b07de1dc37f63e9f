package io.tsdbcompactor.cli;

import io.tsdbcompactor.job.RunOptions;
import io.tsdbcompactor.job.Sharding;
import io.tsdbcompactor.job.TimeWindow;
import io.tsdbcompactor.model.TimeOrDuration;
import io.tsdbcompactor.retention.RetentionPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code compact}: one compaction run over a bucket (or repeated runs with {@code --wait}). Flags carry
 * {@code thanos compact}'s names and defaults wherever they mean the same, so a Thanos compactor's arguments
 * run unchanged; an unknown flag is an error.
 */
@Command(
    name = "compact",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Compacts, downsamples and applies retention to the blocks of a bucket, in one run that reaches the "
          + "target state: clean up, compact raw, downsample to 5m, compact 5m, downsample to 1h, compact 1h, "
          + "retention, clean up.",
      "It needs --objstore.config(-file); --demo runs it on a generated demo bucket under <data-dir>/demo-bucket."
    })
public final class CompactCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ObjstoreOptions objstore;

  @Option(names = "--data-dir", defaultValue = "./data", description = "Local work directory. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = {"-w", "--wait"}, negatable = true, description = "Keep running: repeat the run every --wait-interval and serve "
      + "/metrics, /-/healthy and /-/ready on --http-address.")
  boolean wait;

  @Option(names = "--wait-interval", defaultValue = "5m", converter = PromDurationConverter.class,
      description = "Time between runs with --wait (start to start). Default: ${DEFAULT-VALUE}.")
  Duration waitInterval;

  @Option(names = "--consistency-delay", defaultValue = "30m", converter = PromDurationConverter.class,
      description = "Minimum age of fresh (non-compactor) blocks before they are processed. Default: ${DEFAULT-VALUE}.")
  Duration consistencyDelay;

  @Option(names = "--delete-delay", defaultValue = "48h", converter = PromDurationConverter.class,
      description = "Time from a block's deletion mark to its deletion; 0 deletes at the next cleanup. Default: ${DEFAULT-VALUE}.")
  Duration deleteDelay;

  @Option(names = "--retention.resolution-raw", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "How long raw blocks are kept (0d = forever). Default: ${DEFAULT-VALUE}.")
  Duration retentionRaw;

  @Option(names = "--retention.resolution-5m", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "How long 5m blocks are kept (0d = forever). Default: ${DEFAULT-VALUE}.")
  Duration retention5m;

  @Option(names = "--retention.resolution-1h", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "How long 1h blocks are kept (0d = forever). Default: ${DEFAULT-VALUE}.")
  Duration retention1h;

  @Option(names = "--compact.concurrency", defaultValue = "1", description = "Groups compacted at once. Default: ${DEFAULT-VALUE}.")
  int compactConcurrency;

  @Option(names = "--downsample.concurrency", defaultValue = "1", description = "Blocks downsampled at once. Default: ${DEFAULT-VALUE}.")
  int downsampleConcurrency;

  @Option(names = "--downsampling.disable", negatable = true, description = "Do not downsample (retention then protects nothing).")
  boolean downsamplingDisable;

  @Option(names = "--deduplication.replica-label", paramLabel = "<label>", split = ",",
      description = "External label(s) naming replicas; blocks differing only in them are merged (repeatable or comma-separated).")
  List<String> replicaLabels = new ArrayList<>();

  @Option(names = "--deduplication.func", defaultValue = "", paramLabel = "<func>",
      description = "\"\" (1:1 merge of identical samples) or \"penalty\" (Thanos's HA-pair deduplication).")
  String dedupFunc;

  static final class Relabel {
    @Option(names = "--selector.relabel-config-file", paramLabel = "<file>",
        description = "Relabel rules (keep, drop, hashmod) on external labels choosing the blocks this compactor owns.")
    Path file;

    @Option(names = "--selector.relabel-config", paramLabel = "<yaml>", description = "The relabel rules YAML itself.")
    String yaml;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Relabel relabel;

  @Option(names = "--http-address", defaultValue = "0.0.0.0:10902",
      description = "Listen address for /metrics and the probes: always with --wait, during a one-off run only "
          + "when given. Default: ${DEFAULT-VALUE}.")
  String httpAddress;

  @Option(names = "--http.config", defaultValue = "", paramLabel = "<file>",
      description = "Prometheus web config file (TLS, client CA, basic auth with bcrypt hashes, headers) for every "
          + "endpoint on --http-address: /metrics, the probes and the block viewer.")
  String httpConfig;

  @Option(names = "--web.disable", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Do not serve the block viewer (with --wait).")
  boolean webDisable;

  @Option(names = "--web.route-prefix", defaultValue = "", paramLabel = "<path>",
      description = "Prefix of the viewer's and its API's paths. Defaults to the path of --web.external-prefix.")
  String webRoutePrefix;

  @Option(names = "--web.external-prefix", defaultValue = "", paramLabel = "<url>",
      description = "Static prefix for the viewer's links and redirects (behind a reverse proxy).")
  String webExternalPrefix;

  @Option(names = "--web.prefix-header", defaultValue = "", paramLabel = "<header>",
      description = "Request header whose value prefixes the viewer's links; ignored with --web.external-prefix.")
  String webPrefixHeader;

  @Option(names = "--web.disable-cors", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Do not send CORS headers with API responses.")
  boolean webDisableCors;

  @Option(names = "--block-viewer.global.sync-block-interval", defaultValue = "1m",
      converter = PromDurationConverter.class,
      description = "How often the block viewer re-reads the bucket. Default: ${DEFAULT-VALUE}.")
  Duration viewerSyncInterval;

  @Option(names = "--block-viewer.global.sync-block-timeout", defaultValue = "5m",
      converter = PromDurationConverter.class,
      description = "Longest a block viewer refresh may take; a slower one keeps the last view. Default: ${DEFAULT-VALUE}.")
  Duration viewerSyncTimeout;

  @Option(names = "--bucket-web-label", defaultValue = "", paramLabel = "<label>",
      description = "External label whose value titles each group's lane in the block viewer.")
  String bucketWebLabel;

  @Option(names = "--disable-admin-operations", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Refuse marking blocks from the block viewer and its API.")
  boolean disableAdminOperations;

  @Option(names = "--log.level", defaultValue = "info", description = "debug, info, warn or error. Default: ${DEFAULT-VALUE}.")
  Logging.LogLevel logLevel;

  @Option(names = "--log.format", defaultValue = "logfmt", description = "logfmt or json. Default: ${DEFAULT-VALUE}.")
  Logging.LogFormat logFormat;

  @Option(names = "--dry-run", negatable = true, description = "Print the plan (compactions, downsamplings, retention deletions) and change nothing.")
  boolean dryRun;

  @Option(names = "--report-file", paramLabel = "<path>",
      description = "Write what the run did (or, with --dry-run, would do) to each block as JSON: one action per "
          + "block produced, marked or deleted.")
  java.nio.file.Path reportFile;

  @Option(names = "--metrics.pushgateway-url", paramLabel = "<url>",
      defaultValue = "${env:TSDB_COMPACTOR_PUSHGATEWAY_URL:-}",
      description = "Push the metrics to this Pushgateway at the end of the run (PUT <url>/metrics/job/<job>).")
  String pushgatewayUrl;

  @Option(names = "--metrics.pushgateway-job", defaultValue = "tsdb-compactor",
      description = "Job name of the pushed metrics. Default: ${DEFAULT-VALUE}.")
  String pushgatewayJob;

  @Option(names = "--shard.total", defaultValue = "1",
      description = "Number of shards (pods) splitting the blocks by a stable hash of their external labels. Default: ${DEFAULT-VALUE}.")
  int shardTotal;

  @Option(names = "--shard.index", defaultValue = "${env:JOB_COMPLETION_INDEX:-0}",
      description = "This pod's shard, 0-based; defaults to the Indexed Job's JOB_COMPLETION_INDEX.")
  int shardIndex;

  @Option(names = "--demo", negatable = true, description = "Run on the generated demo bucket <data-dir>/demo-bucket (created if absent).")
  boolean demo;

  @Option(names = "--demo.days", defaultValue = "28", description = "Days of data in a newly generated demo bucket. Default: ${DEFAULT-VALUE}.")
  int demoDays;

  @Option(names = "--block-meta-fetch-concurrency", defaultValue = "32",
      description = "meta.json and marker reads at once. Default: ${DEFAULT-VALUE}.")
  int metaFetchConcurrency;

  @Option(names = "--block-files-concurrency", defaultValue = "1",
      description = "Files of one block transferred at once. Default: ${DEFAULT-VALUE}.")
  int blockFilesConcurrency;

  @Option(names = "--compact.blocks-fetch-concurrency", defaultValue = "1",
      description = "Blocks of one compaction downloaded at once. Default: ${DEFAULT-VALUE}.")
  int blocksFetchConcurrency;

  @Option(names = "--hash-func", defaultValue = "", description = "\"\" or SHA256: hashes written into meta.json's thanos.files.")
  String hashFunc;

  @Option(names = "--debug.max-compaction-level", defaultValue = "4", hidden = true,
      description = "Highest compaction level (0..4 of 1h, 2h, 8h, 2d, 14d).")
  int maxCompactionLevel;

  @Option(names = "--compact.enable-vertical-compaction", hidden = true, negatable = true,
      description = "Accepted for Thanos compatibility: overlapping blocks are always merged.")
  boolean enableVerticalCompaction;

  @Option(names = "--min-time", defaultValue = TimeWindow.DEFAULT_MIN, converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks whose maxTime is at or after this: RFC 3339 or a duration "
          + "relative to now (-2w). Default: ${DEFAULT-VALUE}.")
  TimeOrDuration minTime;

  @Option(names = "--max-time", defaultValue = TimeWindow.DEFAULT_MAX, converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks whose minTime is at or before this: RFC 3339 or a duration "
          + "relative to now (-36h). Default: ${DEFAULT-VALUE}.")
  TimeOrDuration maxTime;

  @Option(names = "--compact.cleanup-interval", defaultValue = "5m", converter = PromDurationConverter.class,
      description = "With --wait: delete partial uploads and blocks past --delete-delay this often, between runs "
          + "as well (0s: only at the start and end of each run). Default: ${DEFAULT-VALUE}.")
  Duration cleanupInterval;

  @Option(names = "--compact.progress-interval", defaultValue = "5m", converter = PromDurationConverter.class,
      description = "With --wait: recompute the thanos_compact_todo_* gauges from the bucket this often "
          + "(0s disables). Default: ${DEFAULT-VALUE}.")
  Duration progressInterval;

  @Option(names = "--block-discovery-strategy", defaultValue = "concurrent", paramLabel = "<strategy>",
      description = "concurrent or recursive: how Thanos lists blocks. Both list the same blocks here (one "
          + "recursive listing). Default: ${DEFAULT-VALUE}.")
  String blockDiscoveryStrategy;

  @Option(names = "--http-grace-period", defaultValue = "2m", converter = PromDurationConverter.class,
      description = "Time to wait after an interrupt for received HTTP requests. Default: ${DEFAULT-VALUE}.")
  Duration httpGracePeriod;

  static final class TracingFlags {
    @Option(names = "--tracing.config-file", paramLabel = "<file>",
        description = "Tracing YAML (Thanos's format; type OTLP, client_type http or grpc).")
    Path file;

    @Option(names = "--tracing.config", paramLabel = "<yaml>", description = "The tracing YAML itself.")
    String yaml;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  TracingFlags tracing;

  @Option(names = "--enable-auto-gomemlimit", negatable = true,
      description = "Go-specific: accepted and ignored (the JVM sizes its heap from the container limit).")
  boolean autoGoMemLimit;

  @Option(names = "--auto-gomemlimit.ratio", defaultValue = "0.9",
      description = "Go-specific: accepted and ignored. Default: ${DEFAULT-VALUE}.")
  double autoGoMemLimitRatio;

  @Option(names = "--debug.halt-on-error", defaultValue = "true", fallbackValue = "true", negatable = true,
      hidden = true, description = "Accepted for Thanos compatibility: a bad block never halts the run; it is marked.")
  boolean haltOnError;

  @Option(names = "--debug.accept-malformed-index", negatable = true, hidden = true,
      description = "Accepted for Thanos compatibility: blocks whose index fails to read are marked no-compact.")
  boolean acceptMalformedIndex;

  @Option(names = "--compact.block-max-index-size", defaultValue = "64GB", converter = io.tsdbcompactor.model.ByteSize.Converter.class,
      description = "Split a compaction's output into partitions by a hash of the series labels so that no block's "
          + "index is bigger (Thanos's units: 64GB = 64 GiB = 64GiB). Unlike Thanos, which marks a block no-compact "
          + "instead. Default: ${DEFAULT-VALUE}.")
  long blockMaxIndexSize;

  @Option(names = "--compact.max-block-series", defaultValue = "0",
      description = "Split a compaction's output into partitions by a hash of the series labels so that no block "
          + "holds more series; 0 for no limit. Ours; Thanos has no such flag. Default: ${DEFAULT-VALUE}.")
  long maxBlockSeries;

  @Option(names = "--compact.skip-block-with-out-of-order-chunks", negatable = true, hidden = true,
      description = "Accepted for Thanos compatibility: blocks with out-of-order chunks are always marked no-compact.")
  boolean skipOutOfOrderChunks;

  /** Whether an objstore flag was given. */
  boolean objstoreGiven() {
    return objstore.configFile != null || objstore.configContent != null;
  }

  /** The tracing YAML of --tracing.config(-file), or null without tracing. */
  String tracingYaml() throws IOException {
    if (tracing == null) {
      return null;
    }
    if (tracing.file != null) {
      if (!Files.isRegularFile(tracing.file)) {
        throw new IllegalArgumentException("tracing config file " + tracing.file + " does not exist");
      }
      return Files.readString(tracing.file, StandardCharsets.UTF_8);
    }
    return tracing.yaml;
  }

  /** Builds the run options from the flags; {@link IllegalArgumentException} with a one-line reason. */
  RunOptions runOptions() throws IOException {
    RetentionPolicy retention = new RetentionPolicy(retentionRaw, retention5m, retention1h);
    String relabelYaml = null;
    if (relabel != null) {
      relabelYaml = relabel.file != null ? Files.readString(relabel.file, StandardCharsets.UTF_8) : relabel.yaml;
    }
    if (!blockDiscoveryStrategy.equals("concurrent") && !blockDiscoveryStrategy.equals("recursive")) {
      throw new IllegalArgumentException("--block-discovery-strategy must be concurrent or recursive, got \""
          + blockDiscoveryStrategy + "\"");
    }
    if (wait && waitInterval.isZero()) {
      throw new IllegalArgumentException("--wait-interval must be positive with --wait");
    }
    if (!dedupFunc.isEmpty() && !dedupFunc.equals("penalty")) {
      throw new IllegalArgumentException("--deduplication.func must be \"\" or \"penalty\", got \"" + dedupFunc + "\"");
    }
    List<String> labels = new ArrayList<>();
    for (String l : replicaLabels) {
      if (!l.isBlank()) {
        labels.add(l.trim());
      }
    }
    return new RunOptions(dataDir, consistencyDelay, deleteDelay, retention, compactConcurrency,
        downsampleConcurrency, !downsamplingDisable, labels, dedupFunc, relabelYaml, dryRun,
        // An unsharded run ignores JOB_COMPLETION_INDEX (an Indexed Job without --shard.total).
        new Sharding(shardTotal, shardTotal == 1 ? 0 : shardIndex),
        new RunOptions.Tuning(metaFetchConcurrency, blockFilesConcurrency, blocksFetchConcurrency, hashFunc,
            maxCompactionLevel, blockMaxIndexSize, maxBlockSeries),
        new TimeWindow(minTime, maxTime));
  }

  /**
   * Whether a person watches: a terminal, a one-off run and text logs. Then a progress line replaces the info
   * logs; JSON logs are for machines and get no carriage-return progress in between.
   */
  boolean interactive() {
    return System.console() != null && !wait && logFormat != Logging.LogFormat.json;
  }

  @Override
  public Integer call() throws Exception {
    // On a terminal the progress line replaces info logs, unless the user asked for a level.
    boolean quiet = interactive() && !spec.commandLine().getParseResult().hasMatchedOption("--log.level");
    Logging.configure(quiet ? Logging.LogLevel.warn : logLevel, logFormat);
    return CompactLauncher.launch(this, CliEnvironment.of(spec));
  }
}
