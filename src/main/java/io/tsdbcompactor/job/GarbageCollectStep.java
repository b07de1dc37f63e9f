package io.tsdbcompactor.job;

import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.sync.FanOut;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks for deletion the blocks whose sources a bigger block of their group already holds: leftovers of a
 * compaction that uploaded its result but did not finish marking its inputs (Thanos's garbage collection). The
 * other steps leave such blocks out of their plans whether or not the mark could be written.
 */
final class GarbageCollectStep implements Step {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollectStep.class);
  static final String DETAILS = "outdated block";

  private final RunContext ctx;

  GarbageCollectStep(RunContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String name() {
    return "garbage-collect";
  }

  @Override
  public Planned plan(BucketState state) {
    List<BlockMeta> duplicates = ctx.duplicates(state);
    List<Action> actions = new ArrayList<>();
    for (BlockMeta m : duplicates) {
      actions.add(ctx.action(Action.GARBAGE_COLLECT, m, state.isPlanned(m.ulid),
          "all its sources are in a bigger block of its group"));
    }
    return new Planned() {
      @Override
      public List<Action> actions() {
        return actions;
      }

      @Override
      public void simulate(BucketState st) {
        duplicates.forEach(m -> st.markForDeletion(m.ulid, DETAILS, ctx.epochSecond()));
      }

      @Override
      public void execute() {
        // Collect-all: each mark's failure is recorded by its task; one failed mark must not stop the others.
        ctx.workers.metadata.runUnchecked(RunContext.indices(duplicates.size()), FanOut.OnFailure.FINISH_ALL, i -> {
          BlockMeta m = duplicates.get(i);
          try {
            if (Markers.markForDeletion(ctx.bucket, m.ulid, DETAILS, ctx.clock)) {
              ctx.metrics.garbageCollectedBlocks().increment();
              ctx.metrics.blockMarked(Marker.DELETION_MARK, "");
              ctx.report.garbageCollected.incrementAndGet();
              LOG.info("block {} is covered by a compacted block: marked for deletion", m.ulid);
            }
            ctx.report.record(actions.get(i));
          } catch (IOException e) {
            ctx.report.fail("garbage collection: marking block " + m.ulid + " failed: " + ErrorText.of(e));
          }
        });
      }
    };
  }
}
