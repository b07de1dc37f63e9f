package io.tsdbcompactor.job;

import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps Thanos's progress gauges live while a run goes on, in every mode: {@code thanos_compact_todo_*} are set
 * from a fresh plan at the run's first and last sync (and at each progress refresh of a {@code --wait} process)
 * and counted down as each compaction, downsampling and retention mark completes, so a scrape (or the push at the
 * end) shows what is left, not what the first plan said; and
 * {@code thanos_blocks_meta_synced{state}} tells what the last sync found.
 *
 * <p>{@code thanos_compact_todo_deletion_blocks} counts the blocks past their retention that are not marked yet,
 * those retention keeps as the last copy of their data included: they have crossed their retention period.
 */
final class ProgressGauges {
  private final CompactorMetrics metrics;
  private final AtomicLong compactions = new AtomicLong();
  private final AtomicLong compactionBlocks = new AtomicLong();
  private final AtomicLong downsampleBlocks = new AtomicLong();
  private final AtomicLong deletionBlocks = new AtomicLong();

  ProgressGauges(CompactorMetrics metrics) {
    this.metrics = metrics;
  }

  /** What a sync found. */
  void synced(SyncResult s) {
    long corrupted = s.partial().values().stream().filter(PartialBlock::metaUnreadable).count();
    metrics.setSyncedBlocks("loaded", s.metas().size());
    metrics.setSyncedBlocks("no-meta-json", s.partial().size() - corrupted);
    metrics.setSyncedBlocks("corrupted-meta-json", corrupted);
    metrics.setSyncedBlocks("failed", s.failed().size());
    metrics.setSyncedBlocks("too-fresh", s.tooFresh().size());
    metrics.setSyncedBlocks("marked-for-deletion", s.hiddenByDeletionMark().size());
    metrics.setSyncedBlocks("marked-for-no-compact", s.noCompactMarks().size());
    metrics.setSyncedBlocks("marked-for-no-downsample", s.noDownsampleMarks().size());
  }

  /** The work a fresh plan of the rest of the run expects (deletion blocks: retention's deletions and holds). */
  void planned(long compactions, long compactionBlocks, long downsampleBlocks, long deletionBlocks) {
    this.compactions.set(compactions);
    this.compactionBlocks.set(compactionBlocks);
    this.downsampleBlocks.set(downsampleBlocks);
    this.deletionBlocks.set(deletionBlocks);
    publish();
  }

  /** A group compaction replaced {@code inputs} blocks by {@code outputs}. */
  void compacted(int outputs, int inputs) {
    decrement(compactions, outputs);
    decrement(compactionBlocks, inputs);
    publish();
  }

  void downsampled() {
    decrement(downsampleBlocks, 1);
    publish();
  }

  void markedForDeletion() {
    decrement(deletionBlocks, 1);
    publish();
  }

  private static void decrement(AtomicLong v, long n) {
    v.updateAndGet(x -> Math.max(0, x - n));
  }

  private void publish() {
    metrics.setTodo(compactions.get(), compactionBlocks.get(), downsampleBlocks.get(), deletionBlocks.get());
  }
}
