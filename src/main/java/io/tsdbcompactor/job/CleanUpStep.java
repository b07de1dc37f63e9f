package io.tsdbcompactor.job;

import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.sync.FanOut;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.sync.BlocksCleaner;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Deletes this shard's blocks whose deletion mark is past {@code --delete-delay}, and (on the shard that owns
 * ungrouped work) partial uploads past 48 h ({@link BlocksCleaner} decides which are due).
 */
final class CleanUpStep implements Step {
  static final String REASON_MARKED = "deletion mark older than the delete delay";
  static final String REASON_PARTIAL = "partial upload older than 48h, or an interrupted delete";

  private final RunContext ctx;

  CleanUpStep(RunContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String name() {
    return "clean up";
  }

  @Override
  public Planned plan(BucketState state) {
    SyncResult s = state.asSyncResult();
    BlocksCleaner cleaner = new BlocksCleaner(ctx.bucket, ctx.options.deleteDelay(), ctx.clock);
    List<Action> marked = new ArrayList<>();
    List<String> due = new ArrayList<>(); // ULIDs as the state knows them (placeholders for planned blocks)
    for (String ulid : cleaner.dueMarkedBlocks(s)) {
      BlockMeta m = s.allMetas().get(ulid);
      if (m == null) {
        continue; // marked blocks without meta.json are partial: handled below
      }
      if (ctx.owns(m)) {
        marked.add(ctx.action(Action.DELETE, m, state.isPlanned(ulid), REASON_MARKED));
        due.add(ulid);
      }
    }
    List<Action> partial = new ArrayList<>();
    if (ctx.options.sharding().ownsUngrouped()) {
      for (String ulid : cleaner.duePartialBlocks(s)) {
        PartialBlock p = s.partial().get(ulid);
        partial.add(new Action(Action.DELETE, "", 0, 0, 0, List.of(ulid), ulid,
            REASON_PARTIAL + " (" + p.reason() + ")", 0, 0, ""));
        due.add(ulid);
      }
    }
    return new Planned() {
      @Override
      public List<Action> actions() {
        List<Action> all = new ArrayList<>(marked);
        all.addAll(partial);
        return all;
      }

      @Override
      public void simulate(BucketState st) {
        due.forEach(st::delete);
      }

      @Override
      public void execute() {
        ctx.metrics.blockCleanupLoops().increment();
        // Collect-all: each deletion's failure is recorded by its task, and the next run retries it.
        ctx.workers.metadata.runUnchecked(marked, FanOut.OnFailure.FINISH_ALL, a -> {
          try {
            BlocksCleaner.deleteBlock(ctx.bucket, a.ulid());
            ctx.report.deletedNow.add(a.ulid());
            ctx.report.deletedBlocks.incrementAndGet();
            ctx.report.record(a);
            ctx.metrics.blocksCleaned().increment();
          } catch (IOException e) {
            ctx.metrics.blockCleanupFailures().increment();
            ctx.report.fail("clean up: deleting block " + a.ulid() + " failed: " + ErrorText.of(e));
          }
        });
        ctx.workers.metadata.runUnchecked(partial, FanOut.OnFailure.FINISH_ALL, a -> {
          ctx.metrics.partialUploadDeletionAttempts().increment();
          try {
            BlocksCleaner.deleteBlock(ctx.bucket, a.ulid());
            ctx.report.deletedPartialBlocks.incrementAndGet();
            ctx.report.record(a);
            ctx.metrics.blocksCleaned().increment();
          } catch (IOException e) {
            ctx.metrics.blockCleanupFailures().increment();
            ctx.report.fail("clean up: deleting partial block " + a.ulid() + " failed: " + ErrorText.of(e));
          }
        });
      }
    };
  }
}
