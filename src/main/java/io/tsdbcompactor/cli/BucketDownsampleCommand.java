package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.job.Action;
import io.tsdbcompactor.job.CompactionRun;
import io.tsdbcompactor.job.RelabelFilter;
import io.tsdbcompactor.job.RunOptions;
import io.tsdbcompactor.job.RunProgress;
import io.tsdbcompactor.job.RunReport;
import io.tsdbcompactor.job.Sharding;
import io.tsdbcompactor.job.TimeWindow;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.model.TimeOrDuration;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.downsample.Resolution;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tools bucket downsample}: the downsampling steps of {@code compact}'s step list
 * ({@link CompactionRun#downsampleOnly()}: raw → 5m, then 5m → 1h, Thanos's rules, each new block verified before it
 * is uploaded), once, or with {@code --wait} every {@code --wait-interval}. Thanos's flags, plus the sync and
 * selection flags {@code compact} has. Unlike Thanos's tool, which always loops, one pass is the default here.
 */
@Command(name = "downsample", mixinStandardHelpOptions = true,
    description = "Downsamples the blocks of a bucket (raw to 5m, then 5m to 1h) as compact's downsampling steps do: "
        + "one pass, or with --wait every --wait-interval. Please make sure no compactor downsamples the same bucket "
        + "at the same time.")
final class BucketDownsampleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin
  ObjstoreOptions objstore;

  @CommandLine.ParentCommand
  BucketToolsCommand parent;

  @Mixin
  BucketToolsCommand.PushOptions push;

  @Option(names = {"-w", "--wait"}, negatable = true,
      description = "Keep running: downsample again every --wait-interval (Thanos's tool always does).")
  boolean wait;

  @Option(names = "--wait-interval", defaultValue = "5m", converter = PromDurationConverter.class,
      description = "Wait interval between downsample runs (start to start). Default: ${DEFAULT-VALUE}.")
  Duration waitInterval;

  @Option(names = "--data-dir", defaultValue = "./data", paramLabel = "<dir>",
      description = "Data directory in which to cache blocks and process downsamplings. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--downsample.concurrency", defaultValue = "1", paramLabel = "<n>",
      description = "Number of blocks downsampled at once. Default: ${DEFAULT-VALUE}.")
  int downsampleConcurrency;

  @Option(names = "--block-files-concurrency", defaultValue = "1", paramLabel = "<n>",
      description = "Number of threads fetching and uploading the files of one block. Default: ${DEFAULT-VALUE}.")
  int blockFilesConcurrency;

  @Option(names = "--block-meta-fetch-concurrency", defaultValue = "32", paramLabel = "<n>",
      description = "Number of threads fetching block metadata and markers. Default: ${DEFAULT-VALUE}.")
  int metaFetchConcurrency;

  @Option(names = "--hash-func", defaultValue = "", paramLabel = "<func>",
      description = "Hash written for each file of a new block in meta.json: \"\" (none) or SHA256.")
  String hashFunc;

  @Option(names = "--consistency-delay", defaultValue = "30m", converter = PromDurationConverter.class,
      description = "Minimum age of fresh (non-compactor) blocks before they are downsampled. Default: ${DEFAULT-VALUE}.")
  Duration consistencyDelay;

  @Option(names = "--delete-delay", defaultValue = "48h", converter = PromDurationConverter.class,
      description = "Blocks marked for deletion longer than half of this are no longer seen. Default: ${DEFAULT-VALUE}.")
  Duration deleteDelay;

  @Option(names = "--min-time", defaultValue = TimeWindow.DEFAULT_MIN, converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks whose maxTime is at or after this: RFC 3339 or a duration "
          + "before now (-2w).")
  TimeOrDuration minTime;

  @Option(names = "--max-time", defaultValue = TimeWindow.DEFAULT_MAX, converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks whose minTime is at or before this: RFC 3339 or a duration "
          + "before now.")
  TimeOrDuration maxTime;

  static final class Relabel {
    @Option(names = "--selector.relabel-config-file", paramLabel = "<file>",
        description = "Relabel rules (keep, drop, hashmod) on external labels choosing the blocks to downsample.")
    Path file;

    @Option(names = "--selector.relabel-config", paramLabel = "<yaml>", description = "The relabel rules YAML itself.")
    String yaml;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Relabel relabel;

  @Option(names = "--shard.total", defaultValue = "1",
      description = "Number of shards splitting the blocks by a stable hash of their external labels. Default: ${DEFAULT-VALUE}.")
  int shardTotal;

  @Option(names = "--shard.index", defaultValue = "${env:JOB_COMPLETION_INDEX:-0}",
      description = "This process's shard, 0-based; defaults to the Indexed Job's JOB_COMPLETION_INDEX.")
  int shardIndex;

  @Option(names = "--dry-run", description = "Print the blocks that would be downsampled; write nothing.")
  boolean dryRun;

  /** The run options of the flags: compact's, with downsampling on and nothing else to do. */
  RunOptions runOptions() throws IOException {
    String relabelYaml = null;
    if (relabel != null) {
      try {
        relabelYaml = relabel.file != null ? Files.readString(relabel.file, StandardCharsets.UTF_8) : relabel.yaml;
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("--selector.relabel-config-file " + relabel.file + " does not exist");
      }
      RelabelFilter.parse(relabelYaml); // refused here, before the bucket is opened
    }
    if (wait && waitInterval.isZero()) {
      throw new IllegalArgumentException("--wait-interval must be positive with --wait");
    }
    return new RunOptions(dataDir, consistencyDelay, deleteDelay, RetentionPolicy.KEEP_FOREVER, 1,
        downsampleConcurrency, true, List.of(), "", relabelYaml, dryRun,
        new Sharding(shardTotal, shardTotal == 1 ? 0 : shardIndex),
        new RunOptions.Tuning(metaFetchConcurrency, blockFilesConcurrency, 1, hashFunc, 4),
        new TimeWindow(minTime, maxTime));
  }

  @Override
  public Integer call() {
    RunOptions options;
    try {
      options = runOptions();
    } catch (IOException | IllegalArgumentException e) {
      return BucketToolsCommand.fail("downsample", e instanceof IOException ? new IllegalArgumentException(e.getMessage()) : e);
    }
    CliEnvironment env = CliEnvironment.of(spec);
    Clock clock = env.clock();
    CompactorMetrics metrics = new CompactorMetrics(false);
    try (Bucket bucket = objstore.orElse(parent == null ? null : parent.objstore).open(metrics, clock)) {
      while (true) {
        if (wait && Thread.currentThread().isInterrupted()) {
          return 0; // a termination signal between passes (Main's shutdown hook interrupts us)
        }
        long start = clock.millis();
        boolean success = pass(bucket, options, metrics, clock);
        push.push("downsample", metrics);
        if (!wait) {
          return success ? 0 : 1;
        }
        env.listener().runEnded(success);
        long sleep = start + waitInterval.toMillis() - clock.millis();
        if (sleep > 0) {
          Thread.sleep(sleep);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } catch (IOException | RuntimeException e) {
      push.push("downsample", metrics);
      return BucketToolsCommand.fail("downsample", e);
    }
  }

  /** One pass; prints what it did (or would do) and its failures. Whether nothing failed. */
  private boolean pass(Bucket bucket, RunOptions options, CompactorMetrics metrics, Clock clock) throws IOException {
    RunReport r = new CompactionRun(bucket, options, metrics, clock, new RunProgress() {}).downsampleOnly();
    int n5m = 0;
    int n1h = 0;
    synchronized (r.actions) {
      for (Action a : r.actions) {
        if (a.step().equals(Action.DOWNSAMPLE)) {
          if (a.resolution() == Resolution.FIVE_MINUTES) {
            n5m++;
          } else {
            n1h++;
          }
          System.out.println((options.dryRun() ? "would downsample " : "downsampled ") + a.sources() + " ["
              + a.minTime() + ", " + a.maxTime() + ") to " + Resolution.name(a.resolution())
              + (a.ulid() == null ? "" : " as " + a.ulid()));
        } else if (a.step().equals(Action.NO_DOWNSAMPLE)) {
          System.out.println("marked " + a.ulid() + " no-downsample: " + a.reason());
        }
      }
    }
    for (String f : r.failures) {
      System.err.println("tools bucket downsample: " + f);
    }
    System.out.println((options.dryRun() ? "dry run: would write " : "downsample: wrote ") + (n5m + n1h)
        + " downsampled blocks (5m: " + n5m + ", 1h: " + n1h + ")"
        + (r.failures.isEmpty() ? "" : ", " + r.failures.size() + " failures"));
    return r.failures.isEmpty();
  }
}
