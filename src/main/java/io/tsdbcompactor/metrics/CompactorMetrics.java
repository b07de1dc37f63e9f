package io.tsdbcompactor.metrics;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdbcompactor.compact.CompactMetrics;
import io.tsdbcompactor.compact.MicrometerCompactMetrics;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The compactor's metrics under the names {@code thanos compact} exports (docs/thanos-compactor.md §7.2),
 * so existing dashboards and alerts keep working, plus JVM and process metrics in place of Go's.
 *
 * <p>Micrometer names are written in Prometheus form; the registry appends {@code _total} to counters and
 * {@code _seconds} to timers, so the exported names are exactly Thanos's. Names Thanos has no equivalent for
 * start with {@code tsdb_compactor_}.
 */
public final class CompactorMetrics {
  /** Thanos's downsample duration buckets, in seconds. */
  private static final double[] DOWNSAMPLE_BUCKETS = {60, 300, 900, 1800, 3600, 7200, 14400};
  /** Thanos's meta fetcher buckets for the duration of a sync, in seconds. */
  private static final double[] SYNC_BUCKETS = {0.01, 1, 10, 100, 300, 600, 1000};
  /** Group compaction durations: a few seconds for small groups to hours for 14d ones. */
  private static final double[] COMPACTION_BUCKETS = {1, 10, 60, 300, 900, 1800, 3600, 7200, 14400};

  private final PrometheusMeterRegistry registry;
  private final AtomicLong todoCompactions = new AtomicLong();
  private final AtomicLong todoCompactionBlocks = new AtomicLong();
  private final AtomicLong todoDownsampleBlocks = new AtomicLong();
  private final AtomicLong todoDeletionBlocks = new AtomicLong();
  private final AtomicLong lastSuccess = new AtomicLong();
  private final AtomicLong lastRunFailures = new AtomicLong();
  private final java.util.Map<String, AtomicLong> syncedBlocks = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, ObjstoreMetrics> objstore = new java.util.concurrent.ConcurrentHashMap<>();
  private final MicrometerCompactMetrics groupCompaction;

  public CompactorMetrics(boolean jvmMetrics) {
    this(jvmMetrics, Clock.SYSTEM);
  }

  /** With the clock the meters time operations by (tests: one they move by hand). */
  public CompactorMetrics(boolean jvmMetrics, Clock clock) {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT,
        new PrometheusRegistry(), clock);
    // Always 0: nothing here halts as Thanos does. A bad block is marked and skipped, and any other error ends the
    // run (exit 1), or in --wait mode is counted in thanos_compact_retries_total and retried at the next interval.
    // Registered so that dashboards and the ThanosCompactHalted alert find the series.
    Gauge.builder("thanos_compact_halted", () -> 0)
        .description("Set to 1 if the compactor halted due to an unexpected error.").register(registry);
    Gauge.builder("thanos_compact_todo_compactions", todoCompactions, AtomicLong::get)
        .description("The number of planned compactions.").register(registry);
    Gauge.builder("thanos_compact_todo_compaction_blocks", todoCompactionBlocks, AtomicLong::get)
        .description("The number of blocks planned to be merged.").register(registry);
    Gauge.builder("thanos_compact_todo_downsample_blocks", todoDownsampleBlocks, AtomicLong::get)
        .description("The number of blocks to be downsampled.").register(registry);
    Gauge.builder("thanos_compact_todo_deletion_blocks", todoDeletionBlocks, AtomicLong::get)
        .description("The number of blocks that have crossed their retention period.").register(registry);
    Gauge.builder("tsdb_compactor_last_successful_run_timestamp_seconds", lastSuccess, AtomicLong::get)
        .description("Unix time of the end of the last run that left the bucket in its target state.").register(registry);
    Gauge.builder("tsdb_compactor_last_run_failures", lastRunFailures, AtomicLong::get)
        .description("Failures (skipped groups, blocks, held deletions) reported by the last run.").register(registry);
    // Pre-create the run counters so a scrape shows them at zero before the first run.
    iterations();
    retries();
    metaSyncs();
    metaSyncFailures();
    metaSyncDuration();
    // ... and the group compaction counters (the failure alert divides two of them), for every resolution.
    groupCompaction = new MicrometerCompactMetrics(registry).registerAtZero(0, 300_000, 3_600_000);
    if (jvmMetrics) {
      new JvmMemoryMetrics().bindTo(registry);
      new JvmGcTotals().bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
      new FileDescriptorMetrics().bindTo(registry);
    }
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text format (0.0.4) of every metric, as /metrics serves and the Pushgateway receives. */
  public String scrape() {
    return registry.scrape();
  }

  /** Thanos's objstore meters for one {@code bucket} label, created (at zero) on first use. */
  public ObjstoreMetrics objstore(String bucketLabel) {
    return objstore.computeIfAbsent(bucketLabel, l -> new ObjstoreMetrics(registry, l));
  }

  // ------------------------------------------------------------------ iteration state

  public Counter iterations() {
    return counter("thanos_compact_iterations", "Total number of iterations that were executed successfully.");
  }

  public Counter retries() {
    return counter("thanos_compact_retries", "Total number of retries after retriable compactor error.");
  }

  public void runFinished(boolean success, int failures, long endMillis) {
    lastRunFailures.set(failures);
    if (success) {
      lastSuccess.set(endMillis / 1000);
    }
  }

  public void setTodo(long compactions, long compactionBlocks, long downsampleBlocks, long deletionBlocks) {
    todoCompactions.set(compactions);
    todoCompactionBlocks.set(compactionBlocks);
    todoDownsampleBlocks.set(downsampleBlocks);
    todoDeletionBlocks.set(deletionBlocks);
  }

  /**
   * {@code thanos_blocks_meta_synced{state}}: the blocks the last sync found in one state (Thanos's states:
   * loaded, no-meta-json, corrupted-meta-json, failed, too-fresh, marked-for-deletion, marked-for-no-compact,
   * marked-for-no-downsample).
   */
  public void setSyncedBlocks(String state, long blocks) {
    syncedBlocks.computeIfAbsent(state, st -> {
      AtomicLong holder = new AtomicLong();
      Gauge.builder("thanos_blocks_meta_synced", holder, AtomicLong::get)
          .description("Number of block metadata synced").tag("state", st).register(registry);
      return holder;
    }).set(blocks);
  }

  /**
   * One sync of the bucket's metas ended, after {@code took}: {@code thanos_blocks_meta_syncs_total},
   * {@code thanos_blocks_meta_sync_failures_total} when it failed, {@code thanos_blocks_meta_sync_duration_seconds}
   * (the "Sync Meta" row of Thanos's compactor dashboard).
   */
  public void metaSynced(Duration took, boolean failed) {
    metaSyncs().increment();
    if (failed) {
      metaSyncFailures().increment();
    }
    metaSyncDuration().record(took);
  }

  private Counter metaSyncs() {
    return counter("thanos_blocks_meta_syncs", "Total blocks metadata synchronization attempts");
  }

  private Counter metaSyncFailures() {
    return counter("thanos_blocks_meta_sync_failures", "Total blocks metadata synchronization failures");
  }

  private Timer metaSyncDuration() {
    return Timer.builder("thanos_blocks_meta_sync_duration")
        .description("Duration of the blocks metadata synchronization in seconds")
        .serviceLevelObjectives(seconds(SYNC_BUCKETS))
        .register(registry);
  }

  /** Configuration gauges Thanos exports, so alerts comparing ages against them keep working. */
  public void setConfig(Duration deleteDelay, Duration consistencyDelay) {
    double dd = deleteDelay.toMillis() / 1000.0;
    double cd = consistencyDelay.toMillis() / 1000.0;
    Gauge.builder("thanos_delete_delay_seconds", () -> dd)
        .description("Configured delete delay in seconds.").register(registry);
    Gauge.builder("thanos_consistency_delay_seconds", () -> cd)
        .description("Configured consistency delay in seconds.").register(registry);
  }

  // ------------------------------------------------------------------ cleanup and markers

  public Counter blocksCleaned() {
    return counter("thanos_compact_blocks_cleaned", "Total number of blocks deleted in compactor.");
  }

  public Counter blockCleanupFailures() {
    return counter("thanos_compact_block_cleanup_failures", "Failures encountered while deleting blocks in compactor.");
  }

  public Counter blockCleanupLoops() {
    return counter("thanos_compact_block_cleanup_loops", "Total number of concurrent cleanup loops of partially uploaded blocks and marked blocks run.");
  }

  public Counter partialUploadDeletionAttempts() {
    return counter("thanos_compact_aborted_partial_uploads_deletion_attempts",
        "Total number of started deletions of blocks that are assumed aborted and only partially uploaded.");
  }

  public Counter garbageCollectedBlocks() {
    return counter("thanos_compact_garbage_collected_blocks", "Total number of blocks marked for deletion by compactor.");
  }

  /** {@code thanos_compact_blocks_marked_total{marker,reason}}; marker is the marker file name. */
  public void blockMarked(String marker, String reason) {
    groupCompaction.blockMarked(marker, reason);
  }

  // ------------------------------------------------------------------ compaction and downsampling

  /**
   * The group compaction counters ({@code thanos_compact_group_compaction_runs_started_total},
   * {@code ..._runs_completed_total}, {@code ..._compactions_total}, {@code ..._compactions_failures_total},
   * {@code thanos_compact_group_vertical_compactions_total}, each by resolution), which
   * {@link io.tsdbcompactor.compact.GroupCompactor} moves.
   */
  public CompactMetrics groupCompaction() {
    return groupCompaction;
  }

  public Timer groupCompactionDuration(long resolution) {
    return Timer.builder("thanos_compact_group_compaction_duration")
        .description("Duration of group compactions that produced a new block.")
        .tag("resolution", Long.toString(resolution))
        .serviceLevelObjectives(seconds(COMPACTION_BUCKETS))
        .register(registry);
  }

  public Counter downsamples(long resolution) {
    return resCounter("thanos_compact_downsample", "Total number of downsampling attempts.", resolution);
  }

  public Counter downsampleFailures(long resolution) {
    return resCounter("thanos_compact_downsample_failures", "Total number of failed downsampling attempts.", resolution);
  }

  public Timer downsampleDuration(long resolution) {
    return Timer.builder("thanos_compact_downsample_duration")
        .description("Duration of downsample runs")
        .tag("resolution", Long.toString(resolution))
        .serviceLevelObjectives(seconds(DOWNSAMPLE_BUCKETS))
        .register(registry);
  }

  /** Blocks retention marked for deletion in this process, by resolution. */
  public Counter retentionDeletions(long resolution) {
    return resCounter("tsdb_compactor_retention_marked_blocks", "Blocks retention marked for deletion.", resolution);
  }

  /** Expired blocks kept because no coarser block covers their data yet. */
  public Counter retentionHolds(long resolution) {
    return resCounter("tsdb_compactor_retention_held_blocks",
        "Expired blocks kept because they are the last copy of their data.", resolution);
  }

  // ------------------------------------------------------------------ known problems and the push

  private final java.util.Map<String, AtomicLong> heldBack = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * {@code tsdb_compactor_blocks_held_back{reason}}: blocks the last run left alone because of an earlier finding
   * (reason no-compact, no-downsample, retention, unreadable-meta). They are warnings, not failures.
   */
  public void setHeldBack(String reason, long blocks) {
    heldBack.computeIfAbsent(reason, r -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder("tsdb_compactor_blocks_held_back", v, AtomicLong::get)
          .description("Blocks the last run left alone because of an earlier finding (a mark, retention's hold, "
              + "an unusable meta.json).")
          .tag("reason", r).register(registry);
      return v;
    }).set(blocks);
  }

  /** Pushes to the Pushgateway that failed (a warning; the run's outcome does not change). */
  public Counter pushgatewayFailures() {
    return counter("tsdb_compactor_pushgateway_push_failures", "Pushes of the metrics to the Pushgateway that failed.");
  }

  private Counter counter(String name, String help) {
    return Counter.builder(name).description(help).register(registry);
  }

  private Counter resCounter(String name, String help, long resolution) {
    return Counter.builder(name).description(help).tag("resolution", Long.toString(resolution)).register(registry);
  }

  private static Duration[] seconds(double[] s) {
    Duration[] out = new Duration[s.length];
    for (int i = 0; i < s.length; i++) {
      out[i] = Duration.ofNanos((long) (s[i] * TimeUnit.SECONDS.toNanos(1)));
    }
    return out;
  }
}
