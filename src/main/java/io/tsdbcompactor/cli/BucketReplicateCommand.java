package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ConfigException;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.labels.LabelMatchers;
import io.tsdbcompactor.sync.BlockReplicator;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tools bucket replicate}: copies blocks from the bucket of {@code --objstore.config} to the bucket of
 * {@code --objstore-to.config}, with Thanos's flags and selection. Any bucket type to any other; byte for byte;
 * meta.json last; blocks the target has are skipped; partial and (by default) deletion-marked blocks never copied.
 * Without {@code --single-run} or {@code --id} it repeats every {@code --wait-interval} (ours; Thanos waits 1m).
 */
@Command(name = "replicate", mixinStandardHelpOptions = true,
    description = "Replicate data from one object storage to another. Only blocks with a meta.json are copied, "
        + "meta.json last; blocks already in the target are skipped.")
final class BucketReplicateCommand extends BucketToolsCommand.SyncingCommand {
  @Mixin
  ObjstoreToOptions objstoreTo;

  @Option(names = "--resolution", split = ",", defaultValue = "0s,5m,1h",
      converter = PromDurationConverter.class, paramLabel = "<duration>",
      description = "Only blocks with these resolutions will be replicated. Repeated flag (default 0s, 5m, 1h).")
  List<Duration> resolutions;

  @Option(names = "--compaction-min", defaultValue = "1", paramLabel = "<level>",
      description = "Only blocks with at least this compaction level will be replicated (default ${DEFAULT-VALUE}).")
  int compactionMin;

  @Option(names = "--compaction-max", defaultValue = "4", paramLabel = "<level>",
      description = "Only blocks up to a maximum of this compaction level will be replicated (default ${DEFAULT-VALUE}).")
  int compactionMax;

  @Option(names = "--compaction", paramLabel = "<level>",
      description = "Only blocks with these compaction levels will be replicated. Repeated flag. Overrides "
          + "compaction-min and compaction-max if set.")
  List<Integer> compactionLevels = new ArrayList<>();

  @Option(names = "--matcher", paramLabel = "<selector>",
      description = "Blocks whose external labels match this selector will be replicated, e.g. '{cluster=\"eu1\"}'. "
          + "All Prometheus matchers are supported: =, !=, =~ and !~.")
  String matcher;

  @Option(names = "--single-run", description = "Run replication only one time, then exit.")
  boolean singleRun;

  @Option(names = "--wait-interval", defaultValue = "1m", converter = PromDurationConverter.class,
      paramLabel = "<duration>", description = "Wait between replication runs without --single-run (default ${DEFAULT-VALUE}).")
  Duration waitInterval;

  @Option(names = "--min-time", defaultValue = "0000-01-01T00:00:00Z", converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks with data at or after this time: RFC 3339, or a duration "
          + "relative to now such as -1d or 2h45m (default ${DEFAULT-VALUE}).")
  TimeOrDuration minTime;

  @Option(names = "--max-time", defaultValue = "9999-12-31T23:59:59Z", converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks with data at or before this time: RFC 3339, or a duration "
          + "relative to now such as -1d (default ${DEFAULT-VALUE}).")
  TimeOrDuration maxTime;

  @Option(names = "--id", paramLabel = "<ULID>",
      description = "Block to be replicated (repeated). With --id the other selectors are ignored and the command runs once.")
  List<String> ids = new ArrayList<>();

  @Option(names = "--ignore-marked-for-deletion", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Do not replicate blocks that have a deletion mark (default: true; Thanos's default is false).")
  boolean ignoreMarked;

  @Override
  String name() {
    return "replicate";
  }

  @Override
  int run(Bucket from) throws IOException {
    for (String id : ids) {
      if (!Ulid.isValid(id)) {
        throw new IllegalArgumentException("'" + id + "' is not a block ULID");
      }
    }
    LabelMatchers labels = matcher == null || matcher.isBlank() ? null : LabelMatchers.parse(matcher);
    Clock clock = CliEnvironment.of(spec).clock();
    try (Bucket to = objstoreTo.open()) {
      while (true) {
        long min = minTime.toEpochMillis(clock);
        long max = maxTime.toEpochMillis(clock);
        Predicate<BlockMeta> select = ids.isEmpty() ? m -> selected(m, labels, min, max) : m -> ids.contains(m.ulid);
        SyncResult source = BucketToolsCommand.sync(from, dataDir, syncOptions());
        for (String id : ids) {
          if (!source.allMetas().containsKey(id)) {
            throw new IllegalArgumentException("block " + id + " not found in bucket " + from.name()
                + " (or it has no usable meta.json)");
          }
        }
        BlockReplicator.Result r = new BlockReplicator(from, to).replicate(source, select, ignoreMarked);
        r.copied().forEach(id -> System.out.println("replicated block " + id));
        r.skippedMarked().forEach(id -> System.out.println("skipped block " + id + " (marked for deletion)"));
        System.out.println("replicated " + r.copied().size() + " blocks; " + r.alreadyThere().size()
            + " already in " + to.name() + ", " + r.skippedMarked().size() + " marked for deletion");
        System.out.flush();
        if (singleRun || !ids.isEmpty()) {
          return 0;
        }
        try {
          Thread.sleep(waitInterval.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return 0;
        }
      }
    }
  }

  private boolean selected(BlockMeta m, LabelMatchers labels, long min, long max) {
    if (!resolutions.contains(Duration.ofMillis(m.resolution()))) {
      return false;
    }
    int level = m.compaction.level;
    if (compactionLevels.isEmpty() ? level < compactionMin || level > compactionMax : !compactionLevels.contains(level)) {
      return false;
    }
    if (labels != null && !labels.matches(m.externalLabels())) {
      return false;
    }
    return m.maxTime >= min && m.minTime <= max;
  }

  /** {@code --objstore-to.config(-file)}: the bucket replicated to. */
  static final class ObjstoreToOptions {
    @Option(names = "--objstore-to.config-file", paramLabel = "<file-path>",
        description = "Path to YAML file that contains object store-to configuration: the bucket replicated to.")
    Path configFile;

    @Option(names = "--objstore-to.config", paramLabel = "<content>",
        description = "Alternative to 'objstore-to.config-file' flag (mutually exclusive).")
    String configContent;

    Bucket open() throws IOException {
      String yaml = ObjstoreOptions.secondBucketYaml("objstore-to", configFile, configContent);
      if (yaml == null) {
        throw new ConfigException("no target bucket: give --objstore-to.config-file or --objstore-to.config");
      }
      return ObjstoreConfig.parse(yaml).open();
    }
  }
}
