package io.tsdbcompactor.job;

import io.tsdbcompactor.retention.RetentionPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything one {@code compact} run is told by its flags ({@code thanos compact}'s names, docs/thanos-compactor.md
 * §7.1).
 *
 * @param dataDir {@code --data-dir}: local work space (downloads, merge output), emptied after each step
 * @param consistencyDelay {@code --consistency-delay}: fresher non-compactor blocks are not touched yet
 * @param deleteDelay {@code --delete-delay}: marked blocks are deleted once their mark is older
 * @param retention {@code --retention.resolution-*}
 * @param compactConcurrency {@code --compact.concurrency}: groups compacted at once
 * @param downsampleConcurrency {@code --downsample.concurrency}: blocks downsampled at once
 * @param downsampling false with {@code --downsampling.disable}
 * @param replicaLabels {@code --deduplication.replica-label}, split on commas
 * @param dedupFunc {@code --deduplication.func}: "" or "penalty"
 * @param relabelConfigYaml {@code --selector.relabel-config(-file)}: keep/drop/hashmod rules on external labels, or null
 * @param dryRun {@code --dry-run}: plan and print, change nothing
 * @param sharding {@code --shard.total/--shard.index}
 * @param tuning Thanos's concurrency and format knobs that change no behaviour
 * @param timeWindow {@code --min-time/--max-time}: only blocks touching this window are worked on
 */
public record RunOptions(
    Path dataDir,
    Duration consistencyDelay,
    Duration deleteDelay,
    RetentionPolicy retention,
    int compactConcurrency,
    int downsampleConcurrency,
    boolean downsampling,
    List<String> replicaLabels,
    String dedupFunc,
    String relabelConfigYaml,
    boolean dryRun,
    Sharding sharding,
    Tuning tuning,
    TimeWindow timeWindow) {

  /**
   * @param metaFetchConcurrency {@code --block-meta-fetch-concurrency}
   * @param blockFilesConcurrency {@code --block-files-concurrency}
   * @param blocksFetchConcurrency {@code --compact.blocks-fetch-concurrency}
   * @param hashFunc {@code --hash-func}: "" or "SHA256" for thanos.files hashes
   * @param maxCompactionLevel {@code --debug.max-compaction-level}: 0..4 of the range set 1h, 2h, 8h, 2d, 14d
   * @param blockMaxIndexSizeBytes {@code --compact.block-max-index-size}: a compaction whose output index would be
   *     bigger is split into partitions (docs/partitioned-output.md)
   * @param maxBlockSeries {@code --compact.max-block-series}: a compaction whose output would hold more series is
   *     split into partitions; 0 for no limit
   */
  public record Tuning(int metaFetchConcurrency, int blockFilesConcurrency, int blocksFetchConcurrency,
      String hashFunc, int maxCompactionLevel, long blockMaxIndexSizeBytes, long maxBlockSeries) {
    public static final Tuning DEFAULTS = new Tuning(32, 1, 1, "", 4);

    public Tuning(int metaFetchConcurrency, int blockFilesConcurrency, int blocksFetchConcurrency, String hashFunc,
        int maxCompactionLevel) {
      this(metaFetchConcurrency, blockFilesConcurrency, blocksFetchConcurrency, hashFunc, maxCompactionLevel,
          io.tsdbcompactor.compact.CompactorOptions.DEFAULT_MAX_INDEX_SIZE, 0);
    }

    /** These knobs with other partition limits. */
    public Tuning withPartitionLimits(long maxSeries, long maxIndexBytes) {
      return new Tuning(metaFetchConcurrency, blockFilesConcurrency, blocksFetchConcurrency, hashFunc,
          maxCompactionLevel, maxIndexBytes, maxSeries);
    }

    public Tuning {
      if (metaFetchConcurrency < 1 || blockFilesConcurrency < 1 || blocksFetchConcurrency < 1) {
        throw new IllegalArgumentException("concurrency flags must be at least 1");
      }
      if (!hashFunc.isEmpty() && !hashFunc.equals("SHA256")) {
        throw new IllegalArgumentException("--hash-func must be \"\" or SHA256, got \"" + hashFunc + "\"");
      }
      if (maxCompactionLevel < 0 || maxCompactionLevel > 4) {
        throw new IllegalArgumentException("--debug.max-compaction-level must be in 0..4, got " + maxCompactionLevel);
      }
      if (blockMaxIndexSizeBytes <= 0) {
        throw new IllegalArgumentException("--compact.block-max-index-size must be positive");
      }
      if (maxBlockSeries < 0) {
        throw new IllegalArgumentException("--compact.max-block-series must be 0 (no limit) or more");
      }
    }
  }

  /** Options without a time window (every block is seen). */
  public RunOptions(Path dataDir, Duration consistencyDelay, Duration deleteDelay, RetentionPolicy retention,
      int compactConcurrency, int downsampleConcurrency, boolean downsampling, List<String> replicaLabels,
      String dedupFunc, String relabelConfigYaml, boolean dryRun, Sharding sharding, Tuning tuning) {
    this(dataDir, consistencyDelay, deleteDelay, retention, compactConcurrency, downsampleConcurrency, downsampling,
        replicaLabels, dedupFunc, relabelConfigYaml, dryRun, sharding, tuning, TimeWindow.ALL);
  }

  public RunOptions {
    replicaLabels = List.copyOf(replicaLabels);
    if (compactConcurrency < 1) {
      throw new IllegalArgumentException("--compact.concurrency must be at least 1, got " + compactConcurrency);
    }
    if (downsampleConcurrency < 1) {
      throw new IllegalArgumentException("--downsample.concurrency must be at least 1, got " + downsampleConcurrency);
    }
    if (consistencyDelay.isNegative() || deleteDelay.isNegative()) {
      throw new IllegalArgumentException("delays must not be negative");
    }
  }

  /** Thanos's defaults on a given data dir (retention keeps everything). */
  public static RunOptions defaults(Path dataDir) {
    return new RunOptions(dataDir, Duration.ofMinutes(30), Duration.ofHours(48), RetentionPolicy.KEEP_FOREVER,
        1, 1, true, List.of(), "", null, false, Sharding.NONE, Tuning.DEFAULTS);
  }

  public RunOptions withDelays(Duration consistency, Duration delete) {
    return new RunOptions(dataDir, consistency, delete, retention, compactConcurrency, downsampleConcurrency,
        downsampling, replicaLabels, dedupFunc, relabelConfigYaml, dryRun, sharding, tuning, timeWindow);
  }

  public RunOptions withDryRun(boolean d) {
    return new RunOptions(dataDir, consistencyDelay, deleteDelay, retention, compactConcurrency,
        downsampleConcurrency, downsampling, replicaLabels, dedupFunc, relabelConfigYaml, d, sharding, tuning, timeWindow);
  }
}
