package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.MetaMemo;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import io.tsdbcompactor.tracing.Span;
import io.tsdbcompactor.tracing.Tracing;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of {@code compact}: every step that takes a bucket to its target state, in the order that gets there
 * in one run.
 *
 * <ol>
 *   <li>sync the bucket, clean up (blocks marked past {@code --delete-delay}, partial uploads past 48 h), mark
 *       leftover duplicates for deletion (garbage collection);
 *   <li>compact every raw group until the planner has nothing left;
 *   <li>downsample raw → 5m (Thanos's rules, plus raw blocks retention is about to remove that no 5m block
 *       covers yet, whatever their range);
 *   <li>compact the 5m groups, so 5m data reaches 14d blocks <em>before</em> the 1h pass looks at it;
 *   <li>downsample 5m → 1h (same rules), compact the 1h groups;
 *   <li>apply retention: mark expired blocks for deletion, never the last copy of some data;
 *   <li>sync and clean up again.
 * </ol>
 *
 * <p>Thanos compacts every resolution first and downsamples after, so on a bucket with a months-long backlog its
 * first run leaves the 5m data in 2d blocks, which are too short for the 1h pass, and retention then deletes
 * them: the 1h tier is lost for most of the backlog. Compacting each resolution between the two downsampling
 * passes avoids that.
 *
 * <p>Each of these is a {@link Step} with a plan and an execute side; this class only walks the list. The run
 * executes each step's plan, and syncs again before each step that follows one that did something. The dry run
 * ({@code --dry-run}) plans each step on the state the previous steps would leave ({@link BucketState}) and
 * executes nothing; the run does that same pass first, for its progress totals. Both record their
 * {@link Action}s in the {@link RunReport}.
 *
 * <p>Errors: a bucket that cannot be listed or read fails the run ({@link IOException}). A group or block that
 * fails is recorded in the {@link RunReport} (one line each), its bad blocks are marked (no-compact or
 * no-downsample), and the run goes on with everything else. A step after one that acted syncs again, so it
 * sees what the previous step wrote. Blocks carrying a deletion mark are never planned again.
 */
public final class CompactionRun {
  private static final Logger LOG = LoggerFactory.getLogger(CompactionRun.class);

  private final RunOptions options;
  private final RunContext ctx;
  private final ProgressGauges progressGauges;
  private final RunReport report = new RunReport();
  /** Blocks the syncs of this run could not use, reported once each. */
  private final Set<String> reportedUnreadable = ConcurrentHashMap.newKeySet();
  /** The last sync's state with every step simulated on it, and the actions that predicted. */
  private BucketState lastSimulated;
  private List<Action> lastPredicted = List.of();

  /** What this run's syncs (and, in a {@code --wait} process, earlier runs') parsed: a run syncs between steps. */
  private final MetaMemo memo;

  /** Closed at the end of each entry point when the run made its own pools; null when they are the caller's. */
  private final Workers ownWorkers;

  /** A run with its own worker pools, made from {@code options}' flags and closed when each entry point ends. */
  public CompactionRun(Bucket bucket, RunOptions options, CompactorMetrics metrics, Clock clock, RunProgress progress) {
    this(bucket, options, metrics, clock, progress, null);
  }

  /**
   * A run on the caller's worker pools ({@code workers} null: its own), so that the runs and background passes of
   * one {@code --wait} process share one bound per flag.
   */
  public CompactionRun(Bucket bucket, RunOptions options, CompactorMetrics metrics, Clock clock, RunProgress progress,
      Workers workers) {
    this(bucket, options, metrics, clock, progress, workers, new MetaMemo());
  }

  /**
   * A run on the caller's worker pools and with the caller's memo of parsed metas, so that a {@code --wait}
   * process reads each block's meta.json once, not once per run and step.
   */
  public CompactionRun(Bucket bucket, RunOptions options, CompactorMetrics metrics, Clock clock, RunProgress progress,
      Workers workers, MetaMemo memo) {
    this.options = options;
    this.memo = memo;
    this.progressGauges = new ProgressGauges(metrics);
    this.ownWorkers = workers == null ? Workers.forOptions(options) : null;
    this.ctx = new RunContext(bucket, options, metrics, clock, progress, report,
        workers == null ? ownWorkers : workers, progressGauges);
  }

  /** The steps of one run, in order. */
  private List<Step> steps() {
    List<Step> steps = new ArrayList<>();
    steps.add(new CleanUpStep(ctx));
    steps.add(new GarbageCollectStep(ctx));
    steps.add(new CompactStep(ctx, Resolution.RAW));
    if (options.downsampling()) {
      steps.add(new DownsampleStep(ctx, Resolution.RAW, Resolution.FIVE_MINUTES));
      steps.add(new CompactStep(ctx, Resolution.FIVE_MINUTES));
      steps.add(new DownsampleStep(ctx, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR));
      steps.add(new CompactStep(ctx, Resolution.ONE_HOUR));
    }
    steps.add(new RetentionStep(ctx));
    steps.add(new CleanUpStep(ctx));
    return steps;
  }

  /** Runs every step (or, for a dry run, plans every step); returns what was done. */
  public RunReport run() throws IOException {
    try (Span span = Tracing.span(options.dryRun() ? "compact plan" : "compact run").attribute("bucket", ctx.bucket.name())) {
      try {
        return runSteps();
      } catch (IOException | RuntimeException e) {
        span.error(e);
        throw e;
      }
    } finally {
      closeOwnWorkers();
    }
  }

  /**
   * Every fan-out already waited for its tasks; closing the pools the run made also ends their idle threads, so
   * a run leaves no thread of its own behind.
   */
  private void closeOwnWorkers() {
    if (ownWorkers != null) {
      ownWorkers.close();
    }
  }

  private RunReport runSteps() throws IOException {
    report.startMillis = ctx.now;
    report.dryRun = options.dryRun();
    try {
      if (!options.dryRun()) {
        DataDirLeftovers.clean(options.dataDir()); // a killed run's work files
      }
      BucketState first = sync();
      // The sync planned the whole run already (for the todo gauges): that is the prediction, not planned twice.
      BucketState simulated = lastSimulated;
      report.predicted.addAll(lastPredicted);
      if (options.dryRun()) {
        report.actions.addAll(report.predicted);
        report.survivors.addAll(ctx.workable(simulated));
        return report;
      }
      announce(report.predicted);

      BucketState state = first;
      boolean changed = false;
      for (Step step : steps()) {
        if (changed) {
          state = sync(false); // each step sees what the previous one wrote
        }
        ctx.progress.step(step.name());
        try (Span span = Tracing.span(step.name())) {
          Step.Planned planned = step.plan(state);
          planned.execute();
          // A step that planned nothing wrote nothing: the next one plans on the same state, without listing the
          // bucket again (a LIST per 1000 objects on S3, seconds on a big bucket).
          changed = !planned.actions().isEmpty();
        }
      }
      BucketState last = sync();
      for (BlockMeta m : ctx.workable(last)) {
        if (!report.deletedNow.contains(m.ulid)) {
          report.survivors.add(m);
        }
      }
      report.countHeldBack(last.asSyncResult(), ctx::workableHere);
      return report;
    } finally {
      report.endMillis = ctx.clock.millis();
      ctx.progress.done();
    }
  }

  /**
   * The dry run: plans every step on {@code state} and applies each plan to it instead of executing it, so each
   * step plans on what the previous ones would leave. Returns the predicted actions; {@code state} ends as the
   * bucket the run would leave.
   */
  List<Action> simulate(BucketState state) throws IOException {
    List<Action> actions = new ArrayList<>();
    for (Step step : steps()) {
      Step.Planned p = step.plan(state);
      actions.addAll(p.actions());
      p.simulate(state);
    }
    return actions;
  }

  /**
   * The dry run over metas alone, without a bucket (the block viewer's plan): the actions a run would take on a
   * bucket holding {@code metas} with the given marks, at {@code clock}'s time.
   */
  public static List<Action> plan(RunOptions options, List<BlockMeta> metas, Set<String> noCompact,
      Set<String> noDownsample, Clock clock) throws IOException {
    java.util.SortedMap<String, BlockMeta> all = new java.util.TreeMap<>();
    metas.forEach(m -> all.put(m.ulid, m));
    java.util.SortedMap<String, io.tsdbcompactor.sync.Marker.NoCompactMark> nc = new java.util.TreeMap<>();
    noCompact.forEach(u -> nc.put(u, new io.tsdbcompactor.sync.Marker.NoCompactMark(u, "", 0, "")));
    java.util.SortedMap<String, io.tsdbcompactor.sync.Marker.NoDownsampleMark> nd = new java.util.TreeMap<>();
    noDownsample.forEach(u -> nd.put(u, new io.tsdbcompactor.sync.Marker.NoDownsampleMark(u, "", 0, "")));
    SyncResult s = new SyncResult(new ArrayList<>(all.values()), all, new java.util.TreeMap<>(), nc, nd,
        new java.util.TreeMap<>(), Set.of(), Set.of(), new java.util.TreeMap<>(), Map.of(), clock.instant());
    CompactionRun run = new CompactionRun(null, options.withDryRun(true), new CompactorMetrics(false), clock,
        RunProgress.NONE);
    try {
      return run.simulate(BucketState.of(s));
    } finally {
      run.closeOwnWorkers();
    }
  }

  /** The blocks of {@code state} the steps would work on (this shard's, not marked, no duplicates). */
  List<BlockMeta> workable(BucketState state) {
    return ctx.workable(state);
  }

  /**
   * Only the clean-up step: deletes blocks marked past the delete delay and partial uploads past 48 h, as a
   * {@code --wait} process does every {@code --compact.cleanup-interval} between runs.
   */
  public RunReport cleanUpOnly() throws IOException {
    report.startMillis = ctx.clock.millis();
    try (Span span = Tracing.span("clean up")) {
      new CleanUpStep(ctx).plan(sync()).execute();
    } finally {
      closeOwnWorkers();
    }
    report.endMillis = ctx.clock.millis();
    return report;
  }

  /**
   * Only the downsampling steps of the step list (raw → 5m, then 5m → 1h), each on a fresh sync so that a 5m block
   * written by the first can be picked by the second, without the compactions, retention and clean-up between them:
   * {@code tools bucket downsample}. With {@link RunOptions#dryRun()} the steps are planned one after the other on
   * the state the previous would leave, and nothing is written. Requires {@link RunOptions#downsampling()}.
   */
  public RunReport downsampleOnly() throws IOException {
    if (!options.downsampling()) {
      throw new IllegalStateException("downsampleOnly with downsampling disabled");
    }
    report.startMillis = ctx.clock.millis();
    report.dryRun = options.dryRun();
    try {
      if (!options.dryRun()) {
        DataDirLeftovers.clean(options.dataDir()); // a killed run's work files
      }
      BucketState planned = options.dryRun() ? sync(false) : null;
      for (Step step : steps()) {
        if (!(step instanceof DownsampleStep)) {
          continue;
        }
        ctx.progress.step(step.name());
        try (Span span = Tracing.span(step.name())) {
          if (options.dryRun()) {
            Step.Planned p = step.plan(planned);
            report.actions.addAll(p.actions());
            p.simulate(planned);
          } else {
            step.plan(sync(false)).execute();
          }
        }
      }
      return report;
    } finally {
      report.endMillis = ctx.clock.millis();
      ctx.progress.done();
    }
  }

  /**
   * Syncs and plans the whole run, to refresh the progress gauges ({@code thanos_compact_todo_*},
   * {@code thanos_blocks_meta_synced}) between runs, by the same rules a run keeps them: what {@code --wait} does
   * every {@code --compact.progress-interval}, as Thanos's progress calculator does. Writes nothing to the bucket
   * with dry-run options (as {@code --wait} passes); otherwise a meta.json found unreadable is marked no-compact, as
   * any sync of a run does.
   */
  public void refreshProgress() throws IOException {
    try {
      sync();
    } finally {
      closeOwnWorkers();
    }
  }

  public RunReport report() {
    return report;
  }

  /** Compactions, their inputs, input bytes (as int pairs), downsamplings, retention deletions and holds. */
  private static int[] totals(List<Action> predicted) {
    int[] t = new int[5];
    for (Action a : predicted) {
      switch (a.step()) {
        case Action.COMPACT -> t[0]++;
        case Action.RETIRE -> t[1]++;
        case Action.DOWNSAMPLE -> t[3]++;
        case Action.RETENTION, Action.RETENTION_HOLD -> t[4]++;
        default -> { }
      }
    }
    return t;
  }

  /** Tells progress what the run is expected to do. */
  private void announce(List<Action> predicted) {
    int compactions = 0;
    int inputs = 0;
    long inputBytes = 0;
    int downsamplings = 0;
    int deletions = 0;
    for (Action a : predicted) {
      switch (a.step()) {
        case Action.COMPACT -> compactions++;
        case Action.RETIRE -> {
          inputs++;
          inputBytes += a.sizeBytes();
        }
        case Action.DOWNSAMPLE -> downsamplings++;
        case Action.RETENTION -> deletions++;
        default -> { }
      }
    }
    ctx.progress.planned(compactions, inputs, inputBytes, downsamplings, deletions);
  }

  /** {@link #sync(boolean)} with the whole run planned again for the todo gauges. */
  private BucketState sync() throws IOException {
    return sync(true);
  }

  /**
   * The bucket's state now; blocks it cannot use are reported once each (by the shard that owns ungrouped work).
   * With {@code replan}, the whole run is planned on it and the todo gauges set from that plan: at a run's first
   * and last sync, and when a {@code --wait} process refreshes them. The syncs between steps do not: the gauges
   * are counted down as the work completes, and planning a bucket of 100,000 blocks again before every step cost
   * more than the sync itself.
   */
  private BucketState sync(boolean replan) throws IOException {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = options.consistencyDelay();
    o.deleteDelay = options.deleteDelay();
    o.clock = ctx.clock;
    o.concurrency = options.tuning().metaFetchConcurrency();
    o.metaFetch = ctx.workers.metadata;
    o.memo = memo;
    long started = ctx.clock.millis();
    SyncResult s;
    try {
      s = new BlockSyncer(ctx.bucket, options.dataDir(), o).sync();
    } catch (IOException | RuntimeException e) {
      ctx.metrics.metaSynced(Duration.ofMillis(ctx.clock.millis() - started), true);
      throw e;
    }
    ctx.metrics.metaSynced(Duration.ofMillis(ctx.clock.millis() - started), false);
    s = withoutUnlabelled(s);
    progressGauges.synced(s);
    if (replan) {
      lastSimulated = BucketState.of(s);
      lastPredicted = simulate(lastSimulated);
      int[] rest = totals(lastPredicted);
      progressGauges.planned(rest[0], rest[1], rest[3], rest[4]);
    }
    for (Map.Entry<String, String> f : s.failed().entrySet()) {
      LOG.debug("block {} skipped: {}", f.getKey(), f.getValue());
      // Blocks without a usable meta.json have no labels to shard by: the shard that owns ungrouped work names them.
      if (options.sharding().ownsUngrouped() && reportedUnreadable.add(f.getKey())) {
        BlockMeta m = s.allMetas().get(f.getKey());
        unreadable(s, f.getKey(), f.getValue(), m != null && m.externalLabels().size() == 0
            ? Marker.REASON_NO_EXTERNAL_LABELS : Marker.REASON_CORRUPTED_BLOCK);
      }
    }
    // A meta.json that is there but unreadable is damage, not an upload in progress: it is named, and the block
    // is left alone (the cleaner does not take it for an aborted upload).
    for (PartialBlock p : s.partial().values()) {
      if (p.metaUnreadable() && options.sharding().ownsUngrouped() && reportedUnreadable.add(p.ulid())) {
        unreadable(s, p.ulid(), p.ulid() + "/" + BlockMeta.FILE_NAME + ": " + p.reason(), Marker.REASON_CORRUPTED_BLOCK);
      }
    }
    return BucketState.of(s);
  }

  /**
   * The sync with the blocks that have no external labels moved from the usable ones to the failed ones. Thanos
   * uploads no block without them (its compactor merges such a group, then fails at the upload, every run): here
   * they are set aside before any work, named once, and marked no-compact with a reason of their own, which leaves
   * them whole and counts them as no copy of anything. A rewrite with {@code --prom-blocks} handles such blocks.
   */
  private static SyncResult withoutUnlabelled(SyncResult s) {
    List<BlockMeta> usable = new java.util.ArrayList<>(s.metas().size());
    java.util.SortedMap<String, String> failed = null;
    for (BlockMeta m : s.metas()) {
      if (m.externalLabels().size() == 0 && !s.deletionMarks().containsKey(m.ulid)) {
        if (failed == null) {
          failed = new java.util.TreeMap<>(s.failed());
        }
        failed.put(m.ulid, m.ulid + "/" + BlockMeta.FILE_NAME + ": no external labels (thanos.labels); Thanos "
            + "compacts and uploads no block without them");
      } else {
        usable.add(m);
      }
    }
    if (failed == null) {
      return s;
    }
    return new SyncResult(java.util.Collections.unmodifiableList(usable), s.allMetas(), s.deletionMarks(),
        s.noCompactMarks(), s.noDownsampleMarks(), s.partial(), s.tooFresh(), s.hiddenByDeletionMark(), failed,
        s.objects(), s.syncTime());
  }

  /**
   * A block whose meta.json cannot be used: the first run that finds it marks it no-compact and fails (a new bad
   * block); later runs see the mark and only count it, so one damaged block does not fail every run after.
   */
  private void unreadable(SyncResult s, String ulid, String why, String reason) {
    String markKey = ulid + "/" + Marker.NO_COMPACT_MARK;
    boolean marked = s.objects().getOrDefault(ulid, List.of()).stream().anyMatch(e -> e.key().equals(markKey));
    if (marked) {
      report.unreadableMarked.add(ulid);
      return;
    }
    if (options.dryRun()) {
      report.fail("block " + ulid + " skipped: " + why);
      return;
    }
    try {
      report.markedNow.add(ulid);
      Markers.markNoCompact(ctx.bucket, ulid, reason, why, ctx.clock);
      ctx.metrics.blockMarked(Marker.NO_COMPACT_MARK, reason);
      report.markedNoCompact.incrementAndGet();
      report.fail("block " + ulid + " skipped: " + why + " (marked no-compact)");
    } catch (IOException e) {
      report.fail("block " + ulid + " skipped: " + why + "; marking it no-compact failed: " + ErrorText.of(e));
    }
  }

}
