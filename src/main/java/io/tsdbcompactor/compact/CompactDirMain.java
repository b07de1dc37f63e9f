package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ListEntry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A bare harness for benchmarks/e2e.sh: one compaction pass over a filesystem bucket, without the sync, cleanup,
 * retention and downsampling steps of the real {@code compact} command. Prints the compactions done, the time
 * they took and the JVM's peak heap.
 *
 * <pre>
 * java -cp tsdb-compactor.jar io.tsdbcompactor.compact.CompactDirMain --bucket DIR --data-dir DIR
 *     [--replica-label NAME]... [--dedup-func penalty] [--concurrency N] [--ranges 2h,8h,...]
 *     [--verification full|fast]
 * </pre>
 */
public final class CompactDirMain {
  private CompactDirMain() {}

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
      System.err.println("usage: CompactDirMain --bucket DIR --data-dir DIR [--replica-label NAME]... "
          + "[--dedup-func penalty] [--concurrency N] [--ranges 2h,8h,...]");
      System.exit(2);
    }
    opts = opts.withDeduplication(replicaLabels, dedup);

    Bucket bucket = new FilesystemBucket(bucketDir);
    List<BlockMeta> metas = new ArrayList<>();
    Set<String> noCompact = new HashSet<>();
    for (ListEntry e : bucket.list("", false)) {
      String ulid = e.key().replace("/", "");
      if (!e.isDirectory() || !Ulid.isValid(ulid) || !bucket.exists(ulid + "/meta.json")
          || bucket.exists(ulid + "/deletion-mark.json")) {
        continue;
      }
      metas.add(BlockMeta.parse(ulid + "/meta.json", bucket.getBytes(ulid + "/meta.json")));
      if (bucket.exists(ulid + "/no-compact-mark.json")) {
        noCompact.add(ulid);
      }
    }
    List<Group> groups = new Grouper(opts.replicaLabels()).group(metas);
    long start = System.nanoTime();
    List<GroupCompactor.Result> results = new GroupCompactor(new BucketCompactionStore(bucket), dataDir, opts,
        CompactMetrics.NOOP).compactAll(groups, noCompact);
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
    System.out.printf(Locale.ROOT, "blocks=%d groups=%d compactions=%d sources_marked=%d no_compact=%d%n",
        metas.size(), groups.size(), created, retired, noCompact.size());
    System.out.printf(Locale.ROOT, "compaction_seconds=%.3f peak_heap_mb=%.1f%n", seconds, peak / 1048576.0);
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
