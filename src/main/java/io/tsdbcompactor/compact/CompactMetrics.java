package io.tsdbcompactor.compact;

/**
 * The counters group compaction moves, named as Thanos names them (docs/thanos-compactor.md §7.2). Helper "job" owns the registry and
 * exposes them; {@link MicrometerCompactMetrics} binds them to a Micrometer registry.
 */
public interface CompactMetrics {
  /**
   * {@code thanos_compact_group_compaction_runs_started_total{resolution}}: one per {@link GroupCompactor#compact}
   * of a group. Thanos's {@code Group.Compact} makes at most one compaction per call and is called again while it
   * has work; ours loops until the planner has nothing left, so one run here may hold several compactions.
   */
  void runStarted(long resolution);

  /**
   * {@code thanos_compact_group_compaction_runs_completed_total{resolution}}: a group run that ended without an
   * error, including one whose compactions all came out empty or whose blocks were all marked no-compact.
   */
  void runCompleted(long resolution);

  /** {@code thanos_compact_group_compactions_total{resolution}}: compactions that produced and uploaded a block. */
  void compaction(long resolution);

  /** {@code thanos_compact_group_vertical_compactions_total{resolution}}: compactions of overlapping blocks. */
  void verticalCompaction(long resolution);

  /** {@code thanos_compact_group_compactions_failures_total{resolution}} */
  void compactionFailure(long resolution);

  /** {@code thanos_compact_blocks_marked_total{marker,reason}} ({@code marker} is the marker file name). */
  void blockMarked(String marker, String reason);

  /**
   * {@code tsdb_compactor_groups_skipped_disk_full_total{resolution}} (ours): a group left for a later run because
   * its next compaction would not fit in the data directory.
   */
  default void groupSkippedForDiskSpace(long resolution) {}

  CompactMetrics NOOP = new CompactMetrics() {
    @Override
    public void runStarted(long resolution) {}

    @Override
    public void runCompleted(long resolution) {}

    @Override
    public void compaction(long resolution) {}

    @Override
    public void verticalCompaction(long resolution) {}

    @Override
    public void compactionFailure(long resolution) {}

    @Override
    public void blockMarked(String marker, String reason) {}
  };
}
