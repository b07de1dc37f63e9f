package io.tsdbcompactor.job;

import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.sync.FanOut;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.retention.RetentionPlanner;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks expired blocks for deletion; an expired block that is the last copy of data a coarser tier would still
 * keep is held instead ({@link RetentionPlanner}). Which no-downsample marks let a block expire un-downsampled is
 * {@link BucketState#downsamplingOptOuts}'s to say, for the run and the dry run alike.
 */
final class RetentionStep implements Step {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionStep.class);

  private final RunContext ctx;

  RetentionStep(RunContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String name() {
    return "retention";
  }

  @Override
  public Planned plan(BucketState state) {
    RetentionPlanner.Plan plan = ctx.retention.plan(ctx.workable(state), ctx.now, state.downsamplingOptOuts(),
        state.damaged());
    List<Action> deletions = new ArrayList<>();
    for (RetentionPlanner.Deletion d : plan.deletions()) {
      deletions.add(ctx.action(Action.RETENTION, d.meta(), state.isPlanned(d.meta().ulid), d.details()));
    }
    List<Action> holds = new ArrayList<>();
    for (RetentionPlanner.Hold h : plan.holds()) {
      holds.add(ctx.action(Action.RETENTION_HOLD, h.meta(), state.isPlanned(h.meta().ulid), h.reason()));
    }
    return new Planned() {
      @Override
      public List<Action> actions() {
        List<Action> all = new ArrayList<>(deletions);
        all.addAll(holds);
        return all;
      }

      @Override
      public void simulate(BucketState st) {
        long t = ctx.epochSecond();
        plan.deletions().forEach(d -> st.markForDeletion(d.meta().ulid, d.details(), t));
      }

      @Override
      public void execute() {
        // Collect-all: each mark's failure is recorded by its task; one failed mark must not stop the others.
        ctx.workers.metadata.runUnchecked(RunContext.indices(plan.deletions().size()), FanOut.OnFailure.FINISH_ALL, i -> {
          RetentionPlanner.Deletion d = plan.deletions().get(i);
          try {
            if (Markers.markForDeletion(ctx.bucket, d.meta().ulid, d.details(), ctx.clock)) {
              ctx.metrics.blockMarked(Marker.DELETION_MARK, "retention");
              ctx.metrics.retentionDeletions(d.meta().resolution()).increment();
              ctx.report.retentionMarked.incrementAndGet();
              ctx.gauges.markedForDeletion();
            }
            ctx.report.record(deletions.get(i));
          } catch (IOException e) {
            ctx.report.fail("retention: marking block " + d.meta().ulid + " failed: " + ErrorText.of(e));
          }
        });
        for (int i = 0; i < plan.holds().size(); i++) {
          RetentionPlanner.Hold h = plan.holds().get(i);
          BlockMeta m = h.meta();
          ctx.metrics.retentionHolds(m.resolution()).increment();
          ctx.report.holds.add(h);
          ctx.report.record(holds.get(i));
          LOG.atWarn().addKeyValue("block", m.ulid).addKeyValue("range", RunContext.range(m))
              .log("retention kept block: " + h.reason());
        }
      }
    };
  }
}
