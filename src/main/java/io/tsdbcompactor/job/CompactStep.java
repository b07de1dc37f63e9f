package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.compact.BlockMerger;
import io.tsdbcompactor.compact.BucketPort;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.GroupCompactor;
import io.tsdbcompactor.compact.GuardedPlanner;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.compact.PartitionedPlanner;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.sync.FanOut;
import io.tsdbcompactor.tracing.Span;
import io.tsdbcompactor.tracing.Tracing;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts every group of one resolution until its planner has nothing left ({@link GroupCompactor}).
 *
 * <p>The plan plays each group's loop over metas alone, with the planner the compactor itself builds
 * ({@link PartitionedPlanner#forOptions}) and each output standing in as {@link PartitionedPlanner#planned}: the blocks it
 * would write, the inputs it would retire, the blocks the planner's guards would mark no-compact. The run
 * executes the groups that have work; what it learns only by reading blocks (a block that does not decode, a
 * merge that comes out empty) can make it differ from the plan, and its report then says what it really did.
 */
final class CompactStep implements Step {
  private static final Logger LOG = LoggerFactory.getLogger(CompactStep.class);

  private final RunContext ctx;
  private final long resolution;

  CompactStep(RunContext ctx, long resolution) {
    this.ctx = ctx;
    this.resolution = resolution;
  }

  @Override
  public String name() {
    return "compact " + Resolution.name(resolution);
  }

  @Override
  public Planned plan(BucketState state) throws IOException {
    List<BlockMeta> metas = new ArrayList<>();
    for (BlockMeta m : ctx.compactable(state)) {
      if (m.resolution() == resolution) {
        metas.add(m);
      }
    }
    List<Group> groups = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    List<BlockMeta> outputs = new ArrayList<>();
    List<String> retired = new ArrayList<>();
    Map<String, String[]> noCompact = new HashMap<>(); // ULID -> reason, details
    Set<String> excluded = new HashSet<>(state.noCompactMarked());
    Map<String, BlockMeta> plannedHere = new HashMap<>();
    for (Group g : ctx.grouper.group(metas)) {
      if (g.metas().size() < 2) {
        continue;
      }
      Group sim = new Group(g.labels(), g.resolution());
      g.metas().forEach(sim::add);
      int before = actions.size();
      boolean groupOwner = ctx.owns(g, PartitionInfo.WHOLE);
      GuardedPlanner.IndexSizeLookup sizes = ulid -> {
        BlockMeta p = plannedHere.get(ulid);
        return p != null ? p.sizeBytes() : ctx.indexSize(state, ulid);
      };
      PartitionedPlanner planner = PartitionedPlanner.forOptions(ctx.compactorOptions, sizes, (ulid, reason, details) -> {
        if (groupOwner && noCompact.putIfAbsent(ulid, new String[] {reason, details}) == null) {
          BlockMeta m = plannedHere.containsKey(ulid) ? plannedHere.get(ulid) : state.allMetas().get(ulid);
          actions.add(ctx.action(Action.NO_COMPACT, m, isPlanned(state, plannedHere, ulid), reason + ": " + details));
        }
      });
      while (true) {
        PartitionedPlanner.Compaction c = planner.plan(g.key(), sim.metas(), excluded);
        if (c == null || (c.vertical() && !ctx.compactorOptions.verticalCompactionEnabled())) {
          break;
        }
        List<String> inputUlids = c.inputUlids();
        List<BlockMeta> outs = new ArrayList<>();
        for (PartitionInfo p : c.toWrite()) {
          if (ctx.owns(g, c.owner(p))) {
            BlockMeta out = planner.planned(c, p, new BlockMerger.Output(ctx.plannedUlid(), g.labels().toMap(),
                g.resolution(), p.extensions(sim.extensions())));
            outs.add(out);
          }
        }
        sim.removeAll(inputUlids);
        if (outs.isEmpty()) {
          // Other shards write this compaction.
          sim.removeAll(ulids(c.existing()));
          continue;
        }
        for (BlockMeta out : outs) {
          plannedHere.put(out.ulid, out);
          outputs.add(out);
          actions.add(ctx.action(Action.COMPACT, out, true, compactionReason(out)));
        }
        if (outs.size() < c.toWrite().size()) {
          // Inputs stay until every partition is there; a later run's garbage collection retires them.
          sim.removeAll(ulids(c.existing()));
          continue;
        }
        for (BlockMeta in : c.inputs()) {
          actions.add(ctx.action(Action.RETIRE, in, isPlanned(state, plannedHere, in.ulid), GroupCompactor.DELETION_DETAILS));
          retired.add(in.ulid);
        }
        outs.forEach(sim::add);
      }
      if (actions.size() > before) {
        groups.add(g);
      }
    }
    return new Planned() {
      @Override
      public List<Action> actions() {
        return actions;
      }

      @Override
      public void simulate(BucketState st) {
        long t = ctx.epochSecond();
        outputs.forEach(st::addPlanned);
        retired.forEach(u -> st.markForDeletion(u, GroupCompactor.DELETION_DETAILS, t));
        noCompact.forEach((u, why) -> st.markNoCompact(u, why[0], why[1], t));
      }

      @Override
      public void execute() {
        run(state, groups);
      }
    };
  }

  /** The report's reason for a compacted block, the same for a planned one and a written one. */
  static String compactionReason(BlockMeta out) {
    PartitionInfo p = PartitionInfo.of(out);
    return "compaction of " + out.compaction.parents.size() + " blocks" + (p.partitioned() ? ", " + p : "");
  }

  private static List<String> ulids(List<BlockMeta> metas) {
    List<String> out = new ArrayList<>(metas.size());
    for (BlockMeta m : metas) {
      out.add(m.ulid);
    }
    return out;
  }

  private static boolean isPlanned(BucketState state, Map<String, BlockMeta> plannedHere, String ulid) {
    return plannedHere.containsKey(ulid) || state.isPlanned(ulid);
  }

  private void run(BucketState state, List<Group> groups) {
    if (groups.isEmpty()) {
      return;
    }
    Set<String> excluded = ConcurrentHashMap.newKeySet();
    excluded.addAll(state.noCompactMarked());
    BucketPort port = new BucketPort(ctx.bucket, ctx.transfer, ctx.clock, state.allMetas(), new BucketPort.Listener() {
      @Override
      public void markedForDeletion(String ulid, BlockMeta meta) {
        ctx.progress.blockMerged(meta == null ? 0 : meta.sizeBytes());
      }

      @Override
      public void markedNoCompact(String ulid, String reason, String details) {
        ctx.noCompactDetails.put(ulid, reason + ": " + details);
        ctx.report.markedNow.add(ulid);
      }
    });
    GroupCompactor compactor = new GroupCompactor(port, ctx.options.dataDir(), ctx.compactorOptions,
        ctx.metrics.groupCompaction(), ctx.clock).withPartitionOwner(ctx::owns)
        .downloadsOn(ctx.workers.blocks).marksOn(ctx.workers.metadata);
    // Collect-all: a group's failure is recorded by its task; one bad group must not stop the others.
    ctx.workers.groups.runUnchecked(groups, FanOut.OnFailure.FINISH_ALL, g -> {
      long t0 = System.nanoTime();
      try (Span span = Tracing.span("compact group").attribute("group", g.key()).attribute("resolution", resolution)) {
        GroupCompactor.Result r = compactor.compact(g, excluded);
        record(port, r);
        if (!r.created().isEmpty()) {
          ctx.metrics.groupCompactionDuration(resolution).record(Duration.ofNanos(System.nanoTime() - t0));
        }
      } catch (IOException | RuntimeException e) {
        ctx.report.fail("compact group " + g.key() + " " + g.labels() + ": " + ErrorText.of(e));
        LOG.error("group {} failed", g.key(), e);
      }
    });
  }

  /** Counts and reports what one group's compaction did. */
  private void record(BucketPort port, GroupCompactor.Result r) {
    long bytes = 0;
    for (BlockMeta m : r.created()) {
      BlockMeta uploaded = port.meta(m.ulid);
      ctx.report.record(ctx.action(Action.COMPACT, uploaded != null ? uploaded : m, false, compactionReason(m)));
    }
    for (String u : r.markedForDeletion()) {
      BlockMeta in = port.meta(u);
      bytes += in == null ? 0 : in.sizeBytes();
      if (in != null) {
        ctx.report.record(ctx.action(Action.RETIRE, in, false, GroupCompactor.DELETION_DETAILS));
      }
    }
    ctx.report.compactions.addAndGet(r.created().size());
    ctx.report.compactedInputBlocks.addAndGet(r.markedForDeletion().size());
    ctx.report.compactedInputBytes.addAndGet(bytes);
    ctx.report.markedNoCompact.addAndGet(r.markedNoCompact().size());
    for (String u : r.markedNoCompact()) {
      String why = ctx.noCompactDetails.get(u);
      BlockMeta m = port.meta(u);
      if (m != null) {
        ctx.report.record(ctx.action(Action.NO_COMPACT, m, false, why == null ? "" : why));
      }
      ctx.report.fail("compact group " + r.groupKey() + ": block " + u + " was marked no-compact"
          + (why == null ? "" : ": " + why.replace('\n', ' ')));
    }
    ctx.gauges.compacted(r.created().size(), r.markedForDeletion().size());
    ctx.progress.compacted(r.groupKey(), r.created().size(), r.markedForDeletion().size(), bytes);
  }
}
