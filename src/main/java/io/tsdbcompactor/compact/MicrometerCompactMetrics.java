package io.tsdbcompactor.compact;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link CompactMetrics} as Micrometer counters, with the names and help texts Thanos registers in
 * <a href="https://github.com/thanos-io/thanos/blob/main/pkg/compact/compact.go">pkg/compact/compact.go</a>; a
 * Prometheus registry renders them as Thanos does. The compactor program registers them through this class too, so
 * these names are written only here.
 */
public final class MicrometerCompactMetrics implements CompactMetrics {
  /** The counters labelled {@code resolution}. Micrometer's Prometheus naming appends "_total" to each. */
  private enum GroupCounter {
    RUNS_STARTED("thanos_compact_group_compaction_runs_started", "Total number of group compaction attempts."),
    RUNS_COMPLETED("thanos_compact_group_compaction_runs_completed", "Total number of group completed compaction "
        + "runs. This also includes compactor group runs that resulted with no compaction."),
    COMPACTIONS("thanos_compact_group_compactions",
        "Total number of group compaction attempts that resulted in a new block."),
    VERTICAL_COMPACTIONS("thanos_compact_group_vertical_compactions",
        "Total number of group compaction attempts that resulted in a new block based on overlapping blocks."),
    FAILURES("thanos_compact_group_compactions_failures", "Total number of failed group compactions."),
    SKIPPED_DISK_FULL("tsdb_compactor_groups_skipped_disk_full",
        "Group compactions left for a later run because they would not fit in the data directory.");

    final String metricName;
    final String help;

    GroupCounter(String metricName, String help) {
      this.metricName = metricName;
      this.help = help;
    }
  }

  private final MeterRegistry registry;

  public MicrometerCompactMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Registers every group counter of each resolution at zero, so that a scrape shows them (and a failure ratio has
   * its denominator) before the first group of that resolution is compacted.
   */
  public MicrometerCompactMetrics registerAtZero(long... resolutions) {
    for (long resolution : resolutions) {
      for (GroupCounter c : GroupCounter.values()) {
        counter(c, resolution);
      }
    }
    return this;
  }

  private Counter counter(GroupCounter c, long resolution) {
    return Counter.builder(c.metricName).description(c.help).tag("resolution", Long.toString(resolution))
        .register(registry);
  }

  @Override
  public void runStarted(long resolution) {
    counter(GroupCounter.RUNS_STARTED, resolution).increment();
  }

  @Override
  public void runCompleted(long resolution) {
    counter(GroupCounter.RUNS_COMPLETED, resolution).increment();
  }

  @Override
  public void compaction(long resolution) {
    counter(GroupCounter.COMPACTIONS, resolution).increment();
  }

  @Override
  public void verticalCompaction(long resolution) {
    counter(GroupCounter.VERTICAL_COMPACTIONS, resolution).increment();
  }

  @Override
  public void compactionFailure(long resolution) {
    counter(GroupCounter.FAILURES, resolution).increment();
  }

  @Override
  public void blockMarked(String marker, String reason) {
    Counter.builder("thanos_compact_blocks_marked").description("Total number of blocks marked in compactor.")
        .tag("marker", marker).tag("reason", reason).register(registry).increment();
  }

  @Override
  public void groupSkippedForDiskSpace(long resolution) {
    counter(GroupCounter.SKIPPED_DISK_FULL, resolution).increment();
  }
}
