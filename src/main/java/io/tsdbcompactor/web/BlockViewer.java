package io.tsdbcompactor.web;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.MetaMemo;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block viewer's model: the bucket's blocks, their marks and the next run's plan, as of the last refresh.
 * A refresh syncs the bucket (at most {@code timeout} long; a failed or slow one keeps the last view and reports
 * the error, as Thanos's BlocksInfo does). Marking a block writes Thanos's marker through {@link Markers} and
 * shows it at once, without waiting for the next refresh.
 */
public final class BlockViewer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BlockViewer.class);

  /** What the viewer shows. */
  public record Settings(String label, List<String> replicaLabels, Duration consistencyDelay, Duration deleteDelay,
      int metaFetchConcurrency, Path dataDir, boolean adminDisabled) {
    public Settings {
      label = label == null ? "" : label;
      replicaLabels = List.copyOf(replicaLabels);
    }
  }

  /** One refresh's view. {@code err} is the last refresh's error (the blocks are then the view before it). */
  public record Snapshot(List<BlockMeta> blocks, Map<String, Map<String, Marker>> marks, ViewPlan plan,
      Instant refreshedAt, String err, long nowMillis) {
    static final Snapshot EMPTY = new Snapshot(List.of(), Map.of(), ViewPlan.NONE, Instant.EPOCH, null, 0);
  }

  private final Bucket bucket;
  private final Settings settings;
  private final ViewPlan.Source planSource;
  private final Clock clock;
  /** The refreshes' parsed metas: a refresh of an unchanged bucket costs its listing. */
  private final MetaMemo memo;
  private final ExecutorService syncs = Executors.newSingleThreadExecutor(r -> daemon(r, "block-viewer-sync"));
  private final AtomicBoolean syncing = new AtomicBoolean();
  private volatile Snapshot snapshot = Snapshot.EMPTY;
  private ScheduledExecutorService schedule;

  public BlockViewer(Bucket bucket, Settings settings, ViewPlan.Source planSource, Clock clock) {
    this(bucket, settings, planSource, clock, new MetaMemo());
  }

  /**
   * A viewer whose refreshes share {@code memo} with the process's other syncs (a {@code compact --wait}
   * process's runs), so that the viewer's snapshot and the runs hold one copy of each block's meta.
   */
  public BlockViewer(Bucket bucket, Settings settings, ViewPlan.Source planSource, Clock clock, MetaMemo memo) {
    this.bucket = bucket;
    this.settings = settings;
    this.planSource = planSource;
    this.clock = clock;
    this.memo = memo;
  }

  public Settings settings() {
    return settings;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /**
   * Syncs the bucket and replaces the view; waits at most {@code timeout}. Returns the view (with {@code err} set
   * and the previous blocks when the sync failed or timed out). A refresh already running is not started twice.
   */
  public Snapshot refresh(Duration timeout) {
    if (!syncing.compareAndSet(false, true)) {
      return snapshot;
    }
    Future<Snapshot> f;
    try {
      f = syncs.submit(this::load);
    } catch (RuntimeException e) {
      syncing.set(false);
      throw e;
    }
    try {
      snapshot = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      syncing.set(false);
    } catch (TimeoutException e) {
      // The sync goes on in the background; the next refresh starts once it is over.
      syncs.execute(() -> syncing.set(false));
      keepLastView("syncing the bucket took longer than " + timeout.toSeconds() + "s");
    } catch (ExecutionException e) {
      syncing.set(false);
      Throwable c = e.getCause();
      keepLastView(c.getMessage() == null ? c.toString() : c.getMessage());
    } catch (InterruptedException e) {
      syncing.set(false);
      Thread.currentThread().interrupt();
    }
    return snapshot;
  }

  private void keepLastView(String err) {
    LOG.atWarn().addKeyValue("err", err).log("block viewer refresh failed; showing the last view");
    Snapshot s = snapshot;
    snapshot = new Snapshot(s.blocks, s.marks, s.plan, clock.instant(), err, clock.millis());
  }

  /** Refreshes now and then every {@code interval} in the background, each refresh bounded by {@code timeout}. */
  public synchronized void refreshEvery(Duration interval, Duration timeout) {
    if (schedule != null) {
      return;
    }
    schedule = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "block-viewer-refresh"));
    schedule.scheduleWithFixedDelay(() -> refresh(timeout), 0, Math.max(1, interval.toMillis()),
        TimeUnit.MILLISECONDS);
  }

  private Snapshot load() throws IOException {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.clock = clock;
    o.concurrency = settings.metaFetchConcurrency;
    o.consistencyDelay = settings.consistencyDelay;
    o.deleteDelay = settings.deleteDelay;
    o.memo = memo;
    SyncResult r = new BlockSyncer(bucket, settings.dataDir, o).sync();
    Map<String, Map<String, Marker>> marks = new TreeMap<>();
    r.deletionMarks().forEach((id, m) -> marks.computeIfAbsent(id, k -> new TreeMap<>()).put(m.fileName(), m));
    r.noCompactMarks().forEach((id, m) -> marks.computeIfAbsent(id, k -> new TreeMap<>()).put(m.fileName(), m));
    r.noDownsampleMarks().forEach((id, m) -> marks.computeIfAbsent(id, k -> new TreeMap<>()).put(m.fileName(), m));
    // The plan covers what a run would work on: fresh enough, not marked for deletion.
    List<BlockMeta> workable = new ArrayList<>();
    for (BlockMeta m : r.metas()) {
      if (!r.deletionMarks().containsKey(m.ulid)) {
        workable.add(m);
      }
    }
    long now = clock.millis();
    ViewPlan plan;
    try {
      plan = planSource.plan(workable, r.noCompactMarked(), r.noDownsampleMarked(), now);
    } catch (RuntimeException e) {
      LOG.atWarn().addKeyValue("err", e.toString()).log("planning for the block viewer failed");
      plan = ViewPlan.NONE;
    }
    return new Snapshot(List.copyOf(r.allMetas().values()), marks, plan, clock.instant(),
        r.failed().isEmpty() ? null : r.failed().size() + " blocks could not be read, e.g. "
            + r.failed().firstKey() + ": " + r.failed().get(r.failed().firstKey()), now);
  }

  /** Thanos's mark actions. */
  public enum Action {
    DELETION, NO_COMPACTION
  }

  /**
   * Writes the marker of {@code action} for block {@code id} (an existing marker is left as it is). Refused
   * with {@link IllegalStateException} when admin operations are disabled, {@link IllegalArgumentException} when
   * the block is unknown.
   */
  public boolean mark(String id, Action action, String detail) throws IOException {
    if (settings.adminDisabled) {
      throw new IllegalStateException("Admin operations are disabled");
    }
    if (!bucket.exists(id + "/" + BlockMeta.FILE_NAME)) {
      throw new IllegalArgumentException("block " + id + " not found in the bucket");
    }
    boolean wrote = switch (action) {
      case DELETION -> Markers.markForDeletion(bucket, id, detail, clock);
      case NO_COMPACTION -> Markers.markNoCompact(bucket, id, Marker.REASON_MANUAL, detail, clock);
    };
    String file = action == Action.DELETION ? Marker.DELETION_MARK : Marker.NO_COMPACT_MARK;
    Markers.read(bucket, id, file).ifPresent(m -> {
      synchronized (this) {
        Snapshot s = snapshot;
        Map<String, Map<String, Marker>> marks = new TreeMap<>(s.marks);
        Map<String, Marker> of = new TreeMap<>(marks.getOrDefault(id, Map.of()));
        of.put(file, m);
        marks.put(id, of);
        snapshot = new Snapshot(s.blocks, marks, s.plan, s.refreshedAt, s.err, s.nowMillis);
      }
    });
    return wrote;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Stops refreshing and waits (bounded) for a refresh under way, so nothing writes to the data dir after. */
  @Override
  public void close() {
    ScheduledExecutorService s;
    synchronized (this) {
      s = schedule;
    }
    if (s != null) {
      s.shutdownNow();
    }
    syncs.shutdownNow();
    boolean interrupted = Thread.interrupted(); // closing because of an interrupt: wait all the same
    try {
      if (s != null) {
        s.awaitTermination(1, TimeUnit.MINUTES);
      }
      syncs.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
