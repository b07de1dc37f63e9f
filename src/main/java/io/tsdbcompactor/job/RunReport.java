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
  /** Set by a dry run: the plan that was printed instead of executed. */
  public volatile PlanSimulator.Plan plan;
  public volatile long startMillis;
  public volatile long endMillis;

  /** Whether the bucket reached its target state: nothing failed and nothing expired was kept. */
  public boolean success() {
    return failures.isEmpty() && holds.isEmpty();
  }

  public void fail(String line) {
    failures.add(line);
  }
}
