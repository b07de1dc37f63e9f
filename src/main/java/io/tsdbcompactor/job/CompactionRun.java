package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.compact.CompactionBucket;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.GroupCompactor;
import io.tsdbcompactor.compact.Grouper;
import io.tsdbcompactor.compact.MicrometerCompactMetrics;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.downsample.DownsampleSelector;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.retention.RetentionPlanner;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.BlocksCleaner;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import io.tsdbcompactor.tracing.Span;
import io.tsdbcompactor.tracing.Tracing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of {@code compact}: every step that takes a bucket to its target state, in the order that gets there
 * in one run.
 *
 * <ol>
 *   <li>sync the bucket, clean up (blocks marked past {@code --delete-delay}, partial uploads past 48 h);
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
 * <p>Errors: a bucket that cannot be listed or read fails the run ({@link IOException}). A group or block that
 * fails is recorded in the {@link RunReport} (one line each), its bad blocks are marked (no-compact or
 * no-downsample), and the run goes on with everything else. Every step syncs again, so it sees what the
 * previous step wrote. Blocks carrying a deletion mark are never planned again.
 */
public final class CompactionRun {
  private static final Logger LOG = LoggerFactory.getLogger(CompactionRun.class);
  /** Reason of the no-downsample marks this run writes for blocks that fail to read. */
  static final String CORRUPTED_BLOCK = "corrupted-block";

  private final Bucket bucket;
  private final RunOptions options;
  private final CompactorMetrics metrics;
  private final Clock clock;
  private final RunProgress progress;
  private final Grouper grouper;
  private final RetentionPlanner retention;
  private final CompactorOptions compactorOptions;
  private final BlockTransfer transfer;
  private final RelabelFilter relabel;
  private final RunReport report = new RunReport();
  private final ProgressGauges progressGauges;
  /** Details of the no-compact marks written in this run, for the failure lines. */
  private final Map<String, String> noCompactDetails = new ConcurrentHashMap<>();
  /** Blocks the syncs of this run could not use, reported once each. */
  private final Set<String> reportedUnreadable = ConcurrentHashMap.newKeySet();
  private long now;

  public CompactionRun(Bucket bucket, RunOptions options, CompactorMetrics metrics, Clock clock, RunProgress progress) {
    this.bucket = bucket;
    this.options = options;
    this.metrics = metrics;
    this.clock = clock;
    this.progress = progress;
    this.progressGauges = new ProgressGauges(metrics);
    this.grouper = new Grouper(options.replicaLabels());
    this.retention = new RetentionPlanner(options.retention(), options.downsampling());
    this.compactorOptions = CompactorOptions.defaults()
        .withRanges(CompactorOptions.rangesForMaxLevel(options.tuning().maxCompactionLevel()))
        .withConcurrency(options.compactConcurrency())
        .withBlocksFetchConcurrency(options.tuning().blocksFetchConcurrency())
        .withBlockMaxIndexSize(options.tuning().blockMaxIndexSizeBytes())
        .withDeduplication(options.replicaLabels(), CompactorOptions.DedupFunc.parse(options.dedupFunc()));
    BlockTransfer.Options t = new BlockTransfer.Options();
    t.clock = clock;
    t.filesConcurrency = options.tuning().blockFilesConcurrency();
    t.hashFunc = options.tuning().hashFunc();
    t.refuseBlocksBeingDeleted = true; // planned before another run replaced it: dropped, not compacted twice
    this.transfer = new BlockTransfer(bucket, t);
    this.relabel = RelabelFilter.parse(options.relabelConfigYaml());
  }

  /** Runs every step; returns what was done. {@link IOException} when the bucket cannot be reached. */
  public RunReport run() throws IOException {
    now = clock.millis();
    report.startMillis = now;
    try (Span span = Tracing.span(options.dryRun() ? "compact plan" : "compact run").attribute("bucket", bucket.name())) {
      return runSteps(span);
    }
  }

  private RunReport runSteps(Span span) throws IOException {
    try {
      if (!options.dryRun()) {
        DataDirLeftovers.clean(options.dataDir());
      }
      SyncResult first = sync();
      if (options.dryRun()) {
        report.plan = plan(first);
        return report;
      }
      PlanSimulator.Plan plan = plan(first);
      progress.planned(plan.compactions().size(),
          plan.compactions().stream().mapToInt(c -> c.inputs().size()).sum(),
          plan.compactions().stream().flatMap(c -> c.inputs().stream()).mapToLong(PlanSimulator::sizeBytes).sum(),
          plan.downsamplings().size(), plan.deletions().size());

      progress.step("clean up");
      cleanUp(first);
      progress.step("compact raw");
      compact(Resolution.RAW);
      if (options.downsampling()) {
        progress.step("downsample raw -> 5m");
        downsample(Resolution.RAW, Resolution.FIVE_MINUTES);
        progress.step("compact 5m");
        compact(Resolution.FIVE_MINUTES);
        progress.step("downsample 5m -> 1h");
        downsample(Resolution.FIVE_MINUTES, Resolution.ONE_HOUR);
        progress.step("compact 1h");
        compact(Resolution.ONE_HOUR);
      }
      progress.step("retention");
      try (Span r = Tracing.span("retention")) {
        applyRetention();
      }
      progress.step("clean up");
      SyncResult last = sync();
      cleanUp(last);
      for (BlockMeta m : workable(last)) {
        if (!report.deletedNow.contains(m.ulid)) {
          report.survivors.add(m);
        }
      }
      report.countHeldBack(last, this::workableHere);
      span.attribute("compactions", report.compactions.get()).attribute("failures", report.failures.size());
      return report;
    } catch (IOException | RuntimeException e) {
      span.error(e);
      throw e;
    } finally {
      report.endMillis = clock.millis();
      progress.done();
    }
  }

  /**
   * Only the clean-up step: deletes blocks marked past the delete delay and partial uploads past 48 h, as a
   * {@code --wait} process does every {@code --compact.cleanup-interval} between runs.
   */
  public RunReport cleanUpOnly() throws IOException {
    now = clock.millis();
    report.startMillis = now;
    try (Span span = Tracing.span("clean up")) {
      cleanUp(sync());
    }
    report.endMillis = clock.millis();
    return report;
  }

  public RunReport report() {
    return report;
  }

  /**
   * Syncs and plans without changing anything, to refresh the progress gauges between runs: what {@code --wait}
   * can call every {@code --compact.progress-interval}, as Thanos's progress calculator does.
   */
  public void refreshProgress() throws IOException {
    now = clock.millis();
    sync();
  }

  // ------------------------------------------------------------------------------------------------ steps

  /** The bucket's state as this shard sees it: usable metas it owns, deletion-marked ones left out. */
  private SyncResult sync() throws IOException {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = options.consistencyDelay();
    o.deleteDelay = options.deleteDelay();
    o.clock = clock;
    o.concurrency = options.tuning().metaFetchConcurrency();
    SyncResult s = new BlockSyncer(bucket, options.dataDir(), o).sync();
    progressGauges.synced(s);
    PlanSimulator.Plan rest = plan(s);
    progressGauges.planned(rest.compactions().size(), rest.compactions().stream().mapToLong(c -> c.inputs().size()).sum(),
        rest.downsamplings().size(), rest.deletions().size() + rest.holds().size());
    for (Map.Entry<String, String> f : s.failed().entrySet()) {
      LOG.debug("block {} skipped: {}", f.getKey(), f.getValue());
      // Blocks without a usable meta.json have no labels to shard by: the shard that owns ungrouped work names them.
      if (options.sharding().ownsUngrouped() && reportedUnreadable.add(f.getKey())) {
        unreadable(s, f.getKey(), f.getValue());
      }
    }
    // A meta.json that is there but unreadable is damage, not an upload in progress: it is named, and the block
    // is left alone (the cleaner does not take it for an aborted upload).
    for (PartialBlock p : s.partial().values()) {
      if (p.metaUnreadable() && options.sharding().ownsUngrouped() && reportedUnreadable.add(p.ulid())) {
        unreadable(s, p.ulid(), p.ulid() + "/" + BlockMeta.FILE_NAME + ": " + p.reason());
      }
    }
    return s;
  }

  /**
   * A block whose meta.json cannot be used: the first run that finds it marks it no-compact and fails (a new bad
   * block); later runs see the mark and only count it, so one damaged block does not fail every run after.
   */
  private void unreadable(SyncResult s, String ulid, String why) {
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
      Markers.markNoCompact(bucket, ulid, CORRUPTED_BLOCK, why, clock);
      metrics.blocksMarked(Marker.NO_COMPACT_MARK, CORRUPTED_BLOCK).increment();
      report.markedNoCompact.incrementAndGet();
      report.fail("block " + ulid + " skipped: " + why + " (marked no-compact)");
    } catch (IOException e) {
      report.fail("block " + ulid + " skipped: " + why + "; marking it no-compact failed: " + oneLine(e));
    }
  }

  private List<BlockMeta> workable(SyncResult s) {
    List<BlockMeta> out = new ArrayList<>();
    for (BlockMeta m : s.metas()) {
      if (!s.deletionMarks().containsKey(m.ulid) && workableHere(m)) {
        out.add(m);
      }
    }
    return out;
  }

  /** Whether this compactor works on the block: its shard, its relabel rules, its time window. */
  private boolean workableHere(BlockMeta m) {
    return owns(m) && relabel.keep(m) && options.timeWindow().keeps(m, clock);
  }

  private boolean owns(BlockMeta m) {
    return options.sharding().owns(m.externalLabels().without(options.replicaLabels().toArray(new String[0])));
  }

  private String groupKey(BlockMeta m) {
    return Group.key(m.externalLabels().without(options.replicaLabels().toArray(new String[0])), m.resolution());
  }

  private PlanSimulator.Plan plan(SyncResult s) {
    PlanSimulator sim = new PlanSimulator(compactorOptions.ranges(), options.replicaLabels(), retention,
        Sharding.NONE, options.downsampling());
    return sim.simulate(dedupe(workable(s), null), s.noCompactMarked(), s.noDownsampleMarked(), now);
  }

  /** Deletes blocks marked past the delete delay and partial uploads past 48 h (this shard's share). */
  private void cleanUp(SyncResult s) {
    BlocksCleaner cleaner = new BlocksCleaner(bucket, options.deleteDelay(), clock);
    metrics.blockCleanupLoops().increment();
    for (String ulid : cleaner.dueMarkedBlocks(s)) {
      BlockMeta m = s.allMetas().get(ulid);
      if (m != null && !owns(m)) {
        continue;
      }
      try {
        BlocksCleaner.deleteBlock(bucket, ulid);
        report.deletedNow.add(ulid);
        report.deletedBlocks.incrementAndGet();
        metrics.blocksCleaned().increment();
      } catch (IOException e) {
        metrics.blockCleanupFailures().increment();
        report.fail("clean up: deleting block " + ulid + " failed: " + e.getMessage());
      }
    }
    if (!options.sharding().ownsUngrouped()) {
      return;
    }
    for (String ulid : cleaner.duePartialBlocks(s)) {
      metrics.partialUploadDeletionAttempts().increment();
      try {
        BlocksCleaner.deleteBlock(bucket, ulid);
        report.deletedPartialBlocks.incrementAndGet();
        metrics.blocksCleaned().increment();
      } catch (IOException e) {
        metrics.blockCleanupFailures().increment();
        report.fail("clean up: deleting partial block " + ulid + " failed: " + e.getMessage());
      }
    }
  }

  /** Compacts every group of one resolution until nothing is left to plan. */
  private void compact(long resolution) throws IOException {
    SyncResult s = sync();
    List<BlockMeta> metas = new ArrayList<>();
    for (BlockMeta m : dedupe(workable(s), s)) {
      if (m.resolution() == resolution) {
        metas.add(m);
      }
    }
    List<Group> groups = new ArrayList<>();
    for (Group g : grouper.group(metas)) {
      if (g.metas().size() > 1) {
        groups.add(g);
      }
    }
    if (groups.isEmpty()) {
      return;
    }
    Map<String, BlockMeta> known = new ConcurrentHashMap<>();
    metas.forEach(m -> known.put(m.ulid, m));
    Set<String> excluded = ConcurrentHashMap.newKeySet();
    excluded.addAll(s.noCompactMarked());
    GroupCompactor compactor = new GroupCompactor(new Port(known), options.dataDir(), compactorOptions,
        new MicrometerCompactMetrics(metrics.registry()), clock);
    runAll(groups, options.compactConcurrency(), g -> {
      long t0 = System.nanoTime();
      try (Span span = Tracing.span("compact group").attribute("group", g.key())
          .attribute("resolution", resolution)) {
        GroupCompactor.Result r = compactor.compact(g, excluded);
        r.created().forEach(m -> known.putIfAbsent(m.ulid, m));
        long bytes = 0;
        for (String u : r.markedForDeletion()) {
          BlockMeta in = known.get(u);
          bytes += in == null ? 0 : PlanSimulator.sizeBytes(in);
        }
        report.compactions.addAndGet(r.created().size());
        progressGauges.compacted(r.created().size(), r.markedForDeletion().size());
        report.compactedInputBlocks.addAndGet(r.markedForDeletion().size());
        report.compactedInputBytes.addAndGet(bytes);
        report.markedNoCompact.addAndGet(r.markedNoCompact().size());
        for (String u : r.markedNoCompact()) {
          String why = noCompactDetails.get(u);
          report.fail("compact group " + g.key() + ": block " + u + " was marked no-compact"
              + (why == null ? "" : ": " + why.replace('\n', ' ')));
        }
        if (!r.created().isEmpty()) {
          metrics.groupCompactionDuration(resolution).record(Duration.ofNanos(System.nanoTime() - t0));
        }
        progress.compacted(g.key(), r.created().size(), r.markedForDeletion().size(), bytes);
      } catch (IOException | RuntimeException e) {
        report.fail("compact group " + g.key() + " " + g.labels() + ": " + oneLine(e));
        LOG.error("group {} failed", g.key(), e);
      }
    });
  }

  /**
   * Downsamples blocks of {@code from} to {@code to}: those Thanos's rules pick, and those retention is about to
   * remove that no coarser block covers yet.
   */
  private void downsample(long from, long to) throws IOException {
    SyncResult s = sync();
    List<BlockMeta> metas = dedupe(workable(s), s);
    Set<String> noDownsample = s.noDownsampleMarked();
    Map<String, Boolean> chosen = new TreeMap<>(); // ULID -> only for retention's sake
    Map<String, BlockMeta> byUlid = new HashMap<>();
    metas.forEach(m -> byUlid.put(m.ulid, m));
    for (DownsampleSelector.Candidate c : DownsampleSelector.select(metas, noDownsample, Set.of())) {
      if (c.meta().resolution() == from) {
        chosen.put(c.meta().ulid, false);
      }
    }
    for (BlockMeta m : retention.mustDownsampleFirst(metas, from, now, noDownsample)) {
      if (chosen.putIfAbsent(m.ulid, true) == null) {
        LOG.atInfo().addKeyValue("block", m.ulid).addKeyValue("range", range(m))
            .log("downsampling block to " + Resolution.name(to) + " ahead of retention: it expires now and no coarser block covers it yet");
      }
    }
    runAll(new ArrayList<>(chosen.keySet()), options.downsampleConcurrency(), ulid -> {
      BlockMeta in = byUlid.get(ulid);
      long t0 = System.nanoTime();
      metrics.downsamples(to).increment();
      try (Span span = Tracing.span("downsample").attribute("block", ulid).attribute("resolution", to)) {
        BlockMeta out = downsampleOne(in, to);
        metrics.downsampleDuration(to).record(Duration.ofNanos(System.nanoTime() - t0));
        (to == Resolution.FIVE_MINUTES ? report.downsampled5m : report.downsampled1h).incrementAndGet();
        progressGauges.downsampled();
        if (chosen.get(ulid)) {
          report.downsampledForRetention.incrementAndGet();
        }
        LOG.atInfo().addKeyValue("block", in.ulid).addKeyValue("new", out.ulid)
            .addKeyValue("resolution", to).log("downsampled block");
        progress.downsampled(ulid, to, PlanSimulator.sizeBytes(in));
      } catch (io.tsdbcompactor.sync.BlockGoneException e) {
        LOG.info("not downsampling block {}: {}", in.ulid, e.getMessage()); // another run replaced or deleted it
      } catch (CorruptDataException e) {
        metrics.downsampleFailures(to).increment();
        markNoDownsample(in.ulid, e.getMessage());
        report.fail("downsample block " + in.ulid + " to " + Resolution.name(to) + ": " + oneLine(e)
            + " (marked no-downsample)");
      } catch (IOException | RuntimeException e) {
        metrics.downsampleFailures(to).increment();
        report.fail("downsample block " + in.ulid + " to " + Resolution.name(to) + ": " + oneLine(e));
        LOG.error("downsampling {} failed", in.ulid, e);
      }
    });
  }

  private BlockMeta downsampleOne(BlockMeta in, long to) throws IOException {
    Path work = options.dataDir().resolve("downsample");
    Path src = work.resolve(in.ulid);
    Ulid newUlid = Ulid.generate(clock.millis());
    Path dst = work.resolve("out").resolve(newUlid.toString());
    deleteTree(src);
    deleteTree(dst);
    try {
      try (Span s = Tracing.span("download").attribute("block", in.ulid)) {
        transfer.download(in.ulid, src);
      }
      Files.createDirectories(dst);
      try (Span s = Tracing.span("downsample block").attribute("block", in.ulid)) {
        BlockDownsampler.downsample(new FsDirectory(src), new FsDirectory(dst), to, newUlid);
      }
      try (Span s = Tracing.span("upload").attribute("block", newUlid.toString())) {
        return transfer.upload(dst);
      }
    } finally {
      deleteTree(src);
      deleteTree(dst);
    }
  }

  private void markNoDownsample(String ulid, String details) {
    try {
      report.markedNow.add(ulid);
      if (Markers.markNoDownsample(bucket, ulid, CORRUPTED_BLOCK, details, clock)) {
        metrics.blocksMarked(Marker.NO_DOWNSAMPLE_MARK, CORRUPTED_BLOCK).increment();
        report.markedNoDownsample.incrementAndGet();
      }
    } catch (IOException e) {
      report.fail("marking block " + ulid + " no-downsample failed: " + oneLine(e));
    }
  }

  /** Marks expired blocks for deletion; expired blocks that are the last copy of their data are kept. */
  private void applyRetention() throws IOException {
    SyncResult s = sync();
    List<BlockMeta> metas = dedupe(workable(s), s);
    // A no-downsample mark this compactor wrote because the block is corrupt is no operator's wish to let its data
    // expire un-downsampled: such a block stays protected (held past its retention) until someone repairs it.
    Set<String> optedOut = new HashSet<>();
    s.noDownsampleMarks().forEach((u, mark) -> {
      if (!CORRUPTED_BLOCK.equals(mark.reason())) {
        optedOut.add(u);
      }
    });
    RetentionPlanner.Plan plan = retention.plan(metas, now, optedOut);
    for (RetentionPlanner.Deletion d : plan.deletions()) {
      try {
        if (Markers.markForDeletion(bucket, d.meta().ulid, d.details(), clock)) {
          metrics.blocksMarked(Marker.DELETION_MARK, "retention").increment();
          metrics.retentionDeletions(d.meta().resolution()).increment();
          report.retentionMarked.incrementAndGet();
          progressGauges.markedForDeletion();
        }
      } catch (IOException e) {
        report.fail("retention: marking block " + d.meta().ulid + " failed: " + oneLine(e));
      }
    }
    for (RetentionPlanner.Hold h : plan.holds()) {
      metrics.retentionHolds(h.meta().resolution()).increment();
      report.holds.add(h);
      // One warning line at the end of the run counts the held blocks; each is named at info level.
      LOG.atInfo().addKeyValue("block", h.meta().ulid).addKeyValue("range", range(h.meta()))
          .log("retention kept block: " + h.reason());
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /**
   * Thanos's duplicate filter and garbage collection (§3.5): within a group, a block whose sources are all
   * sources of a bigger block is a leftover of a compaction that uploaded its result but did not finish marking
   * its inputs. Such blocks are marked for deletion ({@code s} non-null) and left out of the returned metas.
   */
  private List<BlockMeta> dedupe(List<BlockMeta> metas, SyncResult s) {
    Map<String, List<BlockMeta>> byGroup = new TreeMap<>();
    for (BlockMeta m : metas) {
      byGroup.computeIfAbsent(groupKey(m), k -> new ArrayList<>()).add(m);
    }
    List<BlockMeta> out = new ArrayList<>();
    for (List<BlockMeta> group : byGroup.values()) {
      group.sort(Comparator.<BlockMeta>comparingInt(m -> -sources(m).size()).thenComparing(m -> m.ulid));
      List<Set<String>> kept = new ArrayList<>();
      for (BlockMeta m : group) {
        Set<String> src = new HashSet<>(sources(m));
        boolean duplicate = false;
        for (Set<String> k : kept) {
          if (k.containsAll(src)) {
            duplicate = true;
            break;
          }
        }
        if (!duplicate) {
          kept.add(src);
          out.add(m);
        } else if (s != null) {
          try {
            if (Markers.markForDeletion(bucket, m.ulid, "outdated block", clock)) {
              metrics.garbageCollectedBlocks().increment();
              metrics.blocksMarked(Marker.DELETION_MARK, "").increment();
              report.garbageCollected.incrementAndGet();
              LOG.info("block {} is covered by a compacted block: marked for deletion", m.ulid);
            }
          } catch (IOException e) {
            report.fail("garbage collection: marking block " + m.ulid + " failed: " + oneLine(e));
          }
        }
      }
    }
    out.sort(Comparator.comparing(m -> m.ulid));
    return out;
  }

  private static List<String> sources(BlockMeta m) {
    return m.compaction.sources.isEmpty() ? List.of(m.ulid) : m.compaction.sources;
  }

  private interface Task<T> {
    void run(T item);
  }

  /** Runs {@code task} over {@code items} with {@code concurrency} threads; tasks record their own failures. */
  private static <T> void runAll(List<T> items, int concurrency, Task<T> task) {
    if (concurrency <= 1 || items.size() <= 1) {
      items.forEach(task::run);
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(concurrency, items.size()), r -> {
      Thread t = new Thread(r, "compact-worker");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (T item : items) {
        futures.add(pool.submit(Tracing.tracer().wrap(() -> task.run(item))));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replace('\n', ' ');
  }

  private static String range(BlockMeta m) {
    return java.time.Instant.ofEpochMilli(m.minTime) + ".." + java.time.Instant.ofEpochMilli(m.maxTime);
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(x -> {
        try {
          Files.delete(x);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Group compaction's view of the bucket: transfers, markers and index sizes. */
  private final class Port implements CompactionBucket {
    private final Map<String, BlockMeta> known;

    Port(Map<String, BlockMeta> known) {
      this.known = known;
    }

    @Override
    public void download(String ulid, Path dir) throws IOException {
      try (Span s = Tracing.span("download").attribute("block", ulid)) {
        transfer.download(ulid, dir);
      }
    }

    @Override
    public void upload(Path blockDir) throws IOException {
      try (Span s = Tracing.span("upload").attribute("block", blockDir.getFileName().toString())) {
        BlockMeta m = transfer.upload(blockDir);
        known.put(m.ulid, m);
      }
    }

    @Override
    public void markForDeletion(String ulid, String details) throws IOException {
      Markers.markForDeletion(bucket, ulid, details, clock);
      BlockMeta m = known.get(ulid);
      progress.blockMerged(m == null ? 0 : PlanSimulator.sizeBytes(m));
    }

    @Override
    public void markNoCompact(String ulid, String reason, String details) throws IOException {
      report.markedNow.add(ulid);
      Markers.markNoCompact(bucket, ulid, reason, details, clock);
      noCompactDetails.put(ulid, reason + ": " + details);
    }

    @Override
    public long indexSize(String ulid) throws IOException {
      BlockMeta m = known.get(ulid);
      if (m != null && m.thanos != null) {
        for (BlockMeta.FileEntry f : m.thanos.files) {
          if (f.relPath.equals("index") && f.sizeBytes > 0) {
            return f.sizeBytes;
          }
        }
      }
      return bucket.attributes(ulid + "/index").size();
    }
  }
}
