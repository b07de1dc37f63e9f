package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.job.BucketState;
import io.tsdbcompactor.retention.RetentionPlanner;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tools bucket retention}: one retention pass, the decision {@code compact} makes ({@link RetentionPlanner}):
 * expired blocks are marked for deletion, except, while downsampling is on, an expired block that is the last
 * copy of its data (no coarser block covers it yet), which is kept and reported. {@code --downsampling.disable}
 * marks every expired block, as Thanos's tool does.
 */
@Command(name = "retention", mixinStandardHelpOptions = true,
    description = "Retention applies retention policies on the given bucket. Please make sure no compactor is "
        + "running on the same bucket at the same time.")
final class BucketRetentionCommand extends BucketToolsCommand.SyncingCommand {
  @Option(names = "--retention.resolution-raw", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "How long raw blocks are kept (0d = forever). Default: ${DEFAULT-VALUE}.")
  Duration retentionRaw;

  @Option(names = "--retention.resolution-5m", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "How long 5m blocks are kept (0d = forever). Default: ${DEFAULT-VALUE}.")
  Duration retention5m;

  @Option(names = "--retention.resolution-1h", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "How long 1h blocks are kept (0d = forever). Default: ${DEFAULT-VALUE}.")
  Duration retention1h;

  @Option(names = "--consistency-delay", defaultValue = "30m", converter = PromDurationConverter.class,
      description = "Minimum age of fresh (non-compactor) blocks before they are processed. Default: ${DEFAULT-VALUE}.")
  Duration consistencyDelay;

  @Option(names = "--delete-delay", defaultValue = "48h", converter = PromDurationConverter.class,
      description = "Time from a block's deletion mark to its deletion (blocks marked longer than half of it are "
          + "no longer seen). Default: ${DEFAULT-VALUE}.")
  Duration deleteDelay;

  @Option(names = "--downsampling.disable",
      description = "Downsampling is off for this bucket: mark every expired block, even the last copy of its data.")
  boolean downsamplingDisabled;

  @Override
  String name() {
    return "retention";
  }

  @Override
  int run(Bucket bucket) throws IOException {
    RetentionPolicy policy = new RetentionPolicy(retentionRaw, retention5m, retention1h);
    Clock clock = CliEnvironment.of(spec).clock();
    BlockSyncer.Options o = syncOptions();
    o.consistencyDelay = consistencyDelay;
    o.deleteDelay = deleteDelay;
    SyncResult s = BucketToolsCommand.sync(bucket, dataDir, o);
    List<BlockMeta> metas = new ArrayList<>();
    for (BlockMeta m : s.metas()) {
      if (!s.deletionMarks().containsKey(m.ulid)) {
        metas.add(m);
      }
    }
    BucketState state = BucketState.of(s); // the marks read as the compactor reads them
    RetentionPlanner.Plan plan = new RetentionPlanner(policy, !downsamplingDisabled)
        .plan(metas, clock.millis(), state.downsamplingOptOuts(), state.damaged());
    int marked = 0;
    for (RetentionPlanner.Deletion d : plan.deletions()) {
      if (Markers.markForDeletion(bucket, d.meta().ulid, d.details(), clock)) {
        System.out.println("marked block " + d.meta().ulid + " for deletion: " + d.details());
        marked++;
      }
    }
    for (RetentionPlanner.Hold h : plan.holds()) {
      System.out.println("kept block " + h.meta().ulid + ": " + h.reason());
    }
    System.out.println("retention (" + policy + "): marked " + marked + " blocks for deletion, kept "
        + plan.holds().size() + " expired blocks");
    return 0;
  }
}
