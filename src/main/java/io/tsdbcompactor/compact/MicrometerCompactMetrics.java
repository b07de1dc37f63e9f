package io.tsdbcompactor.compact;

import io.micrometer.core.instrument.MeterRegistry;

/** {@link CompactMetrics} as Micrometer counters; the Prometheus registry renders the Thanos names. */
public final class MicrometerCompactMetrics implements CompactMetrics {
  private final MeterRegistry registry;

  public MicrometerCompactMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  // Micrometer's Prometheus naming appends "_total" to counters, so the base names leave it off.
  private void inc(String name, long resolution) {
    registry.counter(name, "resolution", Long.toString(resolution)).increment();
  }

  @Override
  public void runStarted(long resolution) {
    inc("thanos_compact_group_compaction_runs_started", resolution);
  }

  @Override
  public void runCompleted(long resolution) {
    inc("thanos_compact_group_compaction_runs_completed", resolution);
  }

  @Override
  public void compaction(long resolution) {
    inc("thanos_compact_group_compactions", resolution);
  }

  @Override
  public void verticalCompaction(long resolution) {
    inc("thanos_compact_group_vertical_compactions", resolution);
  }

  @Override
  public void compactionFailure(long resolution) {
    inc("thanos_compact_group_compactions_failures", resolution);
  }

  @Override
  public void blockMarked(String marker, String reason) {
    registry.counter("thanos_compact_blocks_marked", "marker", marker, "reason", reason).increment();
  }

  @Override
  public void groupSkippedForDiskSpace(long resolution) {
    registry.counter("tsdb_compactor_groups_skipped_disk_full", "resolution", Long.toString(resolution)).increment();
  }
}
