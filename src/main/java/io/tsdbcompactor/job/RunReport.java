package io.tsdbcompactor.job;

import io.tsdbcompactor.retention.RetentionPlanner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What one run did, for the summary, the exit code and the metrics. Thread-safe counters. */
public final class RunReport {
  public final AtomicInteger compactions = new AtomicInteger();
  public final AtomicInteger compactedInputBlocks = new AtomicInteger();
  public final AtomicLong compactedInputBytes = new AtomicLong();
  public final AtomicInteger downsampled5m = new AtomicInteger();
  public final AtomicInteger downsampled1h = new AtomicInteger();
  public final AtomicInteger downsampledForRetention = new AtomicInteger();
  public final AtomicInteger retentionMarked = new AtomicInteger();
  public final AtomicInteger garbageCollected = new AtomicInteger();
  public final AtomicInteger markedNoCompact = new AtomicInteger();
  public final AtomicInteger markedNoDownsample = new AtomicInteger();
  public final AtomicInteger deletedBlocks = new AtomicInteger();
  public final AtomicInteger deletedPartialBlocks = new AtomicInteger();
  public final List<RetentionPlanner.Hold> holds = Collections.synchronizedList(new ArrayList<>());
  /** Blocks the cleaner deleted in this run. */
  public final java.util.Set<String> deletedNow = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** This shard's blocks after the run (deletion-marked ones left out). */
  public final List<io.tsdbcompactor.block.BlockMeta> survivors = Collections.synchronizedList(new ArrayList<>());
  /** One line per failure: what failed, which group or block, and why. */
  public final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  /** Whether this was a dry run: {@link #actions} are then the predicted ones, nothing was changed. */
  public volatile boolean dryRun;
  /**
   * What the run did to blocks, one entry per block produced, marked or deleted, in the order done; for a dry run
   * what it would do ({@code --report-file}).
   */
  public final List<Action> actions = Collections.synchronizedList(new ArrayList<>());
  /** What the dry-run pass at the start of the run predicted (the progress totals come from it). */
  public final List<Action> predicted = Collections.synchronizedList(new ArrayList<>());
  public volatile long startMillis;
  public volatile long endMillis;

  /** Blocks this run marked no-compact or no-downsample (their failure lines say so). */
  public final java.util.Set<String> markedNow = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Blocks with an unusable meta.json that an earlier run marked no-compact. */
  public final java.util.Set<String> unreadableMarked = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The bucket's counts as the run's last sync saw them ({@link io.tsdbcompactor.sync.SyncResult#describeCounts}). */
  public volatile String bucketCounts = "";
  /** Known problems at the end of the run, by kind: see {@link #countHeldBack}. */
  public volatile HeldBack heldBack = HeldBack.NONE;

  /**
   * Blocks the run leaves alone on purpose, already known before it started: no-compact and no-downsample marks
   * from earlier runs (or operators), expired blocks retention keeps as the last copy of their data, and blocks
   * with an unusable meta.json marked no-compact earlier. They are counted and reported in one warning line, not
   * as failures: the run that found them failed already, and failing every later run too would only make a
   * CronJob fail forever.
   */
  public record HeldBack(int noCompact, int noDownsample, int retention, int unreadableMeta) {
    public static final HeldBack NONE = new HeldBack(0, 0, 0, 0);

    public int total() {
      return noCompact + noDownsample + retention + unreadableMeta;
    }

    /** One line, e.g. "3 blocks held back: 2 marked no-compact, 1 kept by retention (last copy of its data)". */
    public String describe() {
      List<String> parts = new ArrayList<>();
      if (noCompact > 0) {
        parts.add(noCompact + " marked no-compact");
      }
      if (noDownsample > 0) {
        parts.add(noDownsample + " marked no-downsample");
      }
      if (retention > 0) {
        parts.add(retention + " expired but kept by retention (last copy of their data)");
      }
      if (unreadableMeta > 0) {
        parts.add(unreadableMeta + " with an unusable meta.json, marked no-compact");
      }
      return total() + " blocks held back by earlier findings: " + String.join(", ", parts)
          + " (tools bucket inspect lists them)";
    }
  }

  /** Counts the known problems of the bucket as the run's last sync saw it, among the blocks {@code ours} keeps. */
  public void countHeldBack(io.tsdbcompactor.sync.SyncResult s, java.util.function.Predicate<io.tsdbcompactor.block.BlockMeta> ours) {
    int noCompact = 0;
    int noDownsample = 0;
    for (io.tsdbcompactor.block.BlockMeta m : s.metas()) {
      if (s.deletionMarks().containsKey(m.ulid) || markedNow.contains(m.ulid) || !ours.test(m)) {
        continue;
      }
      if (s.noCompactMarks().containsKey(m.ulid)) {
        noCompact++;
      } else if (s.noDownsampleMarks().containsKey(m.ulid)) {
        noDownsample++;
      }
    }
    heldBack = new HeldBack(noCompact, noDownsample, holds.size(), unreadableMarked.size());
    bucketCounts = s.describeCounts();
  }

  /**
   * Whether the run did all it could: nothing failed and no new bad block was found. Blocks held back by earlier
   * findings ({@link #heldBack}) do not count.
   */
  public boolean success() {
    return failures.isEmpty();
  }

  /** The process exit code of a finished run: 0 on {@link #success()}, else 1. */
  public int exitCode() {
    return success() ? 0 : 1;
  }

  public void record(Action a) {
    actions.add(a);
  }

  public void fail(String line) {
    failures.add(line);
  }
}
