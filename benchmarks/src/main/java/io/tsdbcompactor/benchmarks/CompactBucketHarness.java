package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.compact.BucketPort;
import io.tsdbcompactor.compact.CompactMetrics;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.GroupCompactor;
import io.tsdbcompactor.compact.Grouper;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.FanOut;
import io.tsdbcompactor.sync.SyncResult;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The compaction step of {@code compact} on a filesystem bucket, timed, for {@code benchmarks/e2e.sh}: the
 * production path (the run's sync, {@link GroupCompactor} through the same {@link BucketPort} on
 * {@code BlockTransfer} and {@code Markers}, groups fanned out with the run's {@link FanOut}), with the planner
 * ranges given on the command line so it plans the same compactions as Prometheus does. Sync, clean-up,
 * downsampling and retention are not timed (there is nothing for them to do in the benchmark's bucket).
 *
 * <pre>
 * java -cp tsdb-compactor.jar:HARNESS_CLASSES io.tsdbcompactor.benchmarks.CompactBucketHarness --bucket DIR
 *     --data-dir DIR [--replica-label NAME]... [--dedup-func penalty] [--concurrency N] [--ranges 2h,8h,...]
 *     [--verification full|fast]
 * </pre>
 *
 * Prints {@code compaction_seconds=S peak_heap_mb=M} and the counts.
 */
public final class CompactBucketHarness {
  private CompactBucketHarness() {}

  public static void main(String[] args) throws Exception {
    Path bucketDir = null;
    Path dataDir = null;
    List<String> replicaLabels = new ArrayList<>();
    CompactorOptions.DedupFunc dedup = CompactorOptions.DedupFunc.NONE;
    CompactorOptions opts = CompactorOptions.defaults();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--bucket" -> bucketDir = Path.of(args[++i]);
        case "--data-dir" -> dataDir = Path.of(args[++i]);
        case "--replica-label" -> replicaLabels.add(args[++i]);
        case "--dedup-func" -> dedup = CompactorOptions.DedupFunc.parse(args[++i]);
        case "--concurrency" -> opts = opts.withConcurrency(Integer.parseInt(args[++i]));
        case "--ranges" -> opts = opts.withRanges(parseRanges(args[++i]));
        case "--verification" -> opts = opts.withVerification(
            CompactorOptions.Verification.valueOf(args[++i].toUpperCase(Locale.ROOT)));
        default -> {
          System.err.println("unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    if (bucketDir == null || dataDir == null) {
      System.err.println("usage: CompactBucketHarness --bucket DIR --data-dir DIR [--replica-label NAME]... "
          + "[--dedup-func penalty] [--concurrency N] [--ranges 2h,8h,...] [--verification full|fast]");
      System.exit(2);
    }
    opts = opts.withDeduplication(replicaLabels, dedup);
    Clock clock = Clock.systemUTC();

    try (FilesystemBucket bucket = new FilesystemBucket(bucketDir)) {
      BlockSyncer.Options so = new BlockSyncer.Options();
      so.consistencyDelay = Duration.ZERO;
      so.clock = clock;
      SyncResult sync = new BlockSyncer(bucket, dataDir, so).sync();
      List<BlockMeta> metas = new ArrayList<>();
      for (BlockMeta m : sync.metas()) {
        if (!sync.deletionMarks().containsKey(m.ulid)) {
          metas.add(m);
        }
      }
      List<Group> groups = new ArrayList<>();
      for (Group g : new Grouper(opts.replicaLabels()).group(metas)) {
        if (g.metas().size() > 1) {
          groups.add(g);
        }
      }
      BlockTransfer.Options to = new BlockTransfer.Options();
      to.clock = clock;
      BucketPort port = new BucketPort(bucket, new BlockTransfer(bucket, to), clock, sync.allMetas(),
          BucketPort.Listener.NONE);
      GroupCompactor compactor = new GroupCompactor(port, dataDir, opts, CompactMetrics.NOOP, clock);
      Set<String> excluded = ConcurrentHashMap.newKeySet();
      excluded.addAll(sync.noCompactMarked());
      List<GroupCompactor.Result> results = Collections.synchronizedList(new ArrayList<>());
      List<String> failures = Collections.synchronizedList(new ArrayList<>());

      long start = System.nanoTime();
      // Collect-all, as the run's compaction step: each group's failure is recorded by its task.
      FanOut.once("compact-group", opts.concurrency(), groups, FanOut.OnFailure.FINISH_ALL, g -> {
        try {
          results.add(compactor.compact(g, excluded));
        } catch (Exception e) {
          failures.add(g.key() + ": " + e);
        }
      });
      double seconds = (System.nanoTime() - start) / 1e9;

      int created = 0;
      int retired = 0;
      for (GroupCompactor.Result r : results) {
        created += r.created().size();
        retired += r.markedForDeletion().size();
      }
      long peak = 0;
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP) {
          peak += p.getPeakUsage().getUsed();
        }
      }
      failures.forEach(f -> System.err.println("group failed: " + f));
      System.out.printf(Locale.ROOT, "blocks=%d groups=%d compactions=%d sources_marked=%d no_compact=%d%n",
          metas.size(), groups.size(), created, retired, excluded.size());
      System.out.printf(Locale.ROOT, "compaction_seconds=%.3f peak_heap_mb=%.1f%n", seconds, peak / 1048576.0);
      if (!failures.isEmpty()) {
        System.exit(1);
      }
    }
  }

  static long[] parseRanges(String s) {
    String[] parts = s.split(",");
    long[] out = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].trim();
      long unit = switch (p.charAt(p.length() - 1)) {
        case 'm' -> 60_000L;
        case 'h' -> 3_600_000L;
        case 'd' -> 86_400_000L;
        default -> throw new IllegalArgumentException("range needs a unit m, h or d: " + p);
      };
      out[i] = Long.parseLong(p.substring(0, p.length() - 1)) * unit;
    }
    return out;
  }
}
