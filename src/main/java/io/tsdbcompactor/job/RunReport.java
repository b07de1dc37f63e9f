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

  /** Whether the bucket reached its target state: nothing failed and nothing expired was kept. */
  public boolean success() {
    return failures.isEmpty() && holds.isEmpty();
  }

  public void record(Action a) {
    actions.add(a);
  }

  public void fail(String line) {
    failures.add(line);
  }
}
