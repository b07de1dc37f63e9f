package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.job.CompactionRun;
import io.tsdbcompactor.job.RunOptions;
import io.tsdbcompactor.job.RunProgress;
import io.tsdbcompactor.job.Workers;
import io.tsdbcompactor.job.RunReport;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.MetaMemo;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Sync and plan of a big bucket, timed: a FILESYSTEM bucket of {@code --blocks} synthetic blocks (meta.json, and
 * an index and a chunk segment of a millionth of the size a real block's would have: the plan never reads them,
 * the sync lists them), then, through the production path, {@link BlockSyncer#sync} and the dry run
 * ({@code compact --dry-run}: {@link CompactionRun} with execution off, which syncs and plans every step), first
 * with an empty local meta cache (cold: every meta.json read from the bucket) and then with the cache the first
 * pass left (warm). Prints time and peak heap of each.
 *
 * <p>The bucket looks like one a compactor has kept for half a year: {@code blocks / ~100} groups (tenants and
 * clusters as external labels, each with a replica label), each holding 26 weeks of 14d raw blocks with their 5m
 * and 1h copies (168 sources each, as compaction records them), the current fortnight's 2d blocks with their 5m
 * copies, a day of 8h blocks and the latest 2h blocks from the sidecar; every 4th group has its last day still
 * in 2h blocks and every 5th its 2d blocks not yet downsampled, so the plan has compactions and downsamplings to
 * find. Generated once per directory and reused.
 *
 * <p>With {@code --objstore-config FILE} (a Thanos objstore YAML, e.g. S3Proxy's) the passes run against that
 * bucket instead: the generated blocks are copied into it first, 32 objects at a time, unless it already holds
 * some.
 *
 * <pre>
 * java -Xmx2g -cp tsdb-compactor.jar:HARNESS_CLASSES io.tsdbcompactor.benchmarks.BigBucketHarness \
 *     --bucket DIR --data-dir DIR [--blocks 100000] [--meta-fetch-concurrency 32] [--objstore-config FILE]
 * </pre>
 */
public final class BigBucketHarness {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  /** "Now" of the bucket and the run: fixed, so a bucket generated once plans the same every time. */
  private static final Instant NOW = Instant.parse("2026-11-26T09:00:00Z");

  private BigBucketHarness() {}

  public static void main(String[] args) throws Exception {
    Path bucketDir = null;
    Path dataDir = null;
    int blocks = 100_000;
    int metaConcurrency = 32;
    boolean resyncsOnly = false;
    Path objstoreConfig = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--bucket" -> bucketDir = Path.of(args[++i]);
        case "--data-dir" -> dataDir = Path.of(args[++i]);
        case "--blocks" -> blocks = Integer.parseInt(args[++i]);
        case "--meta-fetch-concurrency" -> metaConcurrency = Integer.parseInt(args[++i]);
        case "--resyncs-only" -> resyncsOnly = true; // on the warm cache an earlier run of the harness left
        case "--objstore-config" -> objstoreConfig = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (bucketDir == null || dataDir == null) {
      System.err.println("usage: BigBucketHarness --bucket DIR --data-dir DIR [--blocks N] [--meta-fetch-concurrency N]"
          + " [--resyncs-only] [--objstore-config FILE]");
      System.exit(2);
    }
    long t0 = System.nanoTime();
    int written = ensureBucket(bucketDir, blocks);
    if (written > 0) {
      System.out.printf(Locale.ROOT, "generated %d blocks in %s (%.1fs)%n", written, bucketDir, secondsSince(t0));
    }
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    RunOptions options = RunOptions.defaults(dataDir).withDryRun(true).withDelays(Duration.ofMinutes(30), Duration.ofHours(48));
    options = new RunOptions(options.dataDir(), options.consistencyDelay(), options.deleteDelay(), options.retention(),
        1, 1, true, List.of("replica"), "", null, true, options.sharding(),
        new RunOptions.Tuning(metaConcurrency, 1, 1, "", 4), options.timeWindow());
    if (objstoreConfig != null) {
      try (Bucket target = ObjstoreConfig.parse(Files.readString(objstoreConfig)).open()) {
        if (target.list("", false).isEmpty()) {
          long c0 = System.nanoTime();
          long copied = copyBucket(bucketDir, target);
          System.out.printf(Locale.ROOT, "copied %d objects to %s (%.1fs)%n", copied, objstoreConfig, secondsSince(c0));
        }
      }
    }
    if (resyncsOnly) {
      try (Bucket bucket = open(bucketDir, objstoreConfig)) {
        resyncs(bucket, options, dataDir.resolve("dry-run"), clock);
      }
      return;
    }
    if (Files.isDirectory(dataDir)) {
      try (Stream<Path> s = Files.list(dataDir)) {
        if (s.findAny().isPresent()) {
          // Deleting 100,000 cache folders takes longer than the sync: start from an empty directory instead.
          System.err.println("--data-dir " + dataDir + " must be empty or absent (the cold pass needs an empty meta cache)");
          System.exit(2);
        }
      }
    }
    try (Bucket bucket = open(bucketDir, objstoreConfig)) {
      for (String cache : List.of("cold", "warm")) {
        // The sync alone and the dry run each have their own data directory: cold on the first pass, warm on the
        // second (the cache the first pass left).
        BlockSyncer.Options so = new BlockSyncer.Options();
        so.clock = clock;
        so.concurrency = metaConcurrency;
        resetPeaks();
        long s0 = System.nanoTime();
        SyncResult sync = new BlockSyncer(bucket, dataDir.resolve("sync"), so).sync();
        double syncSeconds = secondsSince(s0);
        long syncPeak = peakHeap();
        int synced = sync.allMetas().size();
        sync = null;

        RunOptions o = new RunOptions(dataDir.resolve("dry-run"), options.consistencyDelay(), options.deleteDelay(),
            options.retention(), 1, 1, true, options.replicaLabels(), "", null, true, options.sharding(),
            options.tuning(), options.timeWindow());
        resetPeaks();
        long p0 = System.nanoTime();
        RunReport plan = new CompactionRun(bucket, o, new CompactorMetrics(false), clock, RunProgress.NONE).run();
        double planSeconds = secondsSince(p0);
        long planPeak = peakHeap();
        System.gc();
        long retained = usedHeap();
        System.out.printf(Locale.ROOT, "cache=%s blocks=%d sync_seconds=%.2f sync_peak_heap_mb=%.0f"
                + " dry_run_seconds=%.2f dry_run_peak_heap_mb=%.0f retained_heap_mb=%.0f actions=%d%n",
            cache, synced, syncSeconds, syncPeak / 1048576.0, planSeconds, planPeak / 1048576.0,
            retained / 1048576.0, plan.actions.size());
        plan = null;
      }
      resyncs(bucket, options.withDryRun(true), dataDir.resolve("dry-run"), clock);
    }
  }

  /**
   * What a run pays for its syncs, on the warm cache, three ways, alternately:
   * <ul>
   *   <li>{@code first}: a sync with an empty {@link MetaMemo} (every meta.json read and parsed from the local
   *       cache) and the whole run planned on it, for the todo gauges: a run's first sync; before the memo, every
   *       sync of a run cost this;
   *   <li>{@code last}: the same with the memo the earlier syncs filled: a run's last sync;
   *   <li>{@code between}: a sync with the filled memo and no plan: the syncs between a run's steps.
   * </ul>
   */
  static void resyncs(Bucket bucket, RunOptions base, Path dataDir, Clock clock) throws IOException {
    RunOptions o = new RunOptions(dataDir, base.consistencyDelay(), base.deleteDelay(), base.retention(), 1, 1, true,
        base.replicaLabels(), "", null, true, base.sharding(), base.tuning(), base.timeWindow());
    MetaMemo shared = new MetaMemo();
    try (Workers workers = Workers.forOptions(o)) {
      new CompactionRun(bucket, o, new CompactorMetrics(false), clock, RunProgress.NONE, workers, shared)
          .refreshProgress(); // fills the memo
      for (int round = 1; round <= 3; round++) {
        for (String kind : List.of("first", "last", "between")) {
          long t = System.nanoTime();
          if (kind.equals("between")) {
            BlockSyncer.Options so = new BlockSyncer.Options();
            so.clock = clock;
            so.consistencyDelay = o.consistencyDelay();
            so.deleteDelay = o.deleteDelay();
            so.concurrency = o.tuning().metaFetchConcurrency();
            so.memo = shared;
            new BlockSyncer(bucket, dataDir, so).sync();
          } else {
            new CompactionRun(bucket, o, new CompactorMetrics(false), clock, RunProgress.NONE, workers,
                kind.equals("first") ? new MetaMemo() : shared).refreshProgress();
          }
          System.out.printf(Locale.ROOT, "resync round=%d sync=%s seconds=%.2f%n", round, kind, secondsSince(t));
        }
      }
    }
  }

  /** The generated FILESYSTEM bucket, or the one {@code --objstore-config} names. */
  static Bucket open(Path bucketDir, Path objstoreConfig) throws IOException {
    return objstoreConfig == null ? new FilesystemBucket(bucketDir)
        : ObjstoreConfig.parse(Files.readString(objstoreConfig)).open();
  }

  /** Copies every object of the FILESYSTEM bucket in {@code dir} to {@code target}, 32 at a time. */
  static long copyBucket(Path dir, Bucket target) throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Path f : files) {
        String key = dir.relativize(f).toString().replace(java.io.File.separatorChar, '/');
        done.add(pool.submit(() -> {
          target.upload(key, f);
          return null;
        }));
      }
      for (Future<?> d : done) {
        d.get();
      }
    } finally {
      pool.shutdown();
    }
    return files.size();
  }

  /** Writes the bucket unless {@code dir} already holds blocks; returns how many were written. */
  static int ensureBucket(Path dir, int blocks) throws IOException {
    Files.createDirectories(dir);
    try (Stream<Path> s = Files.list(dir)) {
      if (s.findAny().isPresent()) {
        return 0;
      }
    }
    Random random = new Random(42);
    long now = NOW.toEpochMilli();
    long fortnight = Math.floorDiv(now, 14 * D) * 14 * D; // start of the current 14d window
    int written = 0;
    for (int g = 0; written < blocks; g++) {
      String labels = "{\"cluster\":\"c" + (g % 40) + "\",\"env\":\"" + (g % 3 == 0 ? "prod" : "dev")
          + "\",\"replica\":\"r" + (g % 2) + "\",\"tenant\":\"t" + g + "\"}";
      List<String> group = new ArrayList<>();
      // 26 weeks of 14d raw blocks, each with its 5m and 1h copies (the same 168 sources).
      for (int w = 26; w >= 1 && written + group.size() < blocks; w--) {
        long min = fortnight - w * 14 * D;
        List<String> sources = sources(min, 14 * D, random);
        for (long res : new long[] {0, 300_000, 3_600_000}) {
          group.add(meta(min, min + 14 * D, 4, res, sources, labels, random, 2_000_000_000L));
        }
      }
      // The current fortnight: 2d blocks (with 5m copies), a day of 8h blocks, then the latest 2h blocks.
      long t = fortnight;
      // Work for the plan: every 5th group's 2d blocks are not downsampled yet, every 4th group's last day is
      // still in 2h blocks.
      boolean notDownsampled = g % 5 == 0;
      boolean backlog = g % 4 == 0;
      for (; t + 2 * D <= now - D; t += 2 * D) {
        List<String> sources = sources(t, 2 * D, random);
        group.add(meta(t, t + 2 * D, 3, 0, sources, labels, random, 300_000_000L));
        if (!notDownsampled) {
          group.add(meta(t, t + 2 * D, 3, 300_000, sources, labels, random, 30_000_000L));
        }
      }
      for (; t + 8 * H <= now - 4 * H; t += 8 * H) {
        if (backlog) {
          for (long u = t; u < t + 8 * H; u += 2 * H) {
            group.add(meta(u, u + 2 * H, 1, 0, sources(u, 2 * H, random), labels, random, 20_000_000L));
          }
        } else {
          group.add(meta(t, t + 8 * H, 2, 0, sources(t, 8 * H, random), labels, random, 60_000_000L));
        }
      }
      for (; t + 2 * H <= now - H; t += 2 * H) {
        group.add(meta(t, t + 2 * H, 1, 0, sources(t, 2 * H, random), labels, random, 20_000_000L));
      }
      for (String json : group) {
        if (written == blocks) {
          break;
        }
        String ulid = json.substring(json.indexOf("\"ulid\": \"") + 9, json.indexOf("\"ulid\": \"") + 35);
        Path blockDir = dir.resolve(ulid);
        Files.createDirectories(blockDir.resolve("chunks"));
        // The data files meta.json's thanos.files promises, at the sizes it gives: a sync checks them against
        // the listing (sync.BlockFiles) and sets aside a block that lacks one.
        Files.write(blockDir.resolve("chunks/000001"), new byte[(int) fileSize(json, "chunks/000001")]);
        Files.write(blockDir.resolve("index"), new byte[(int) fileSize(json, "index")]);
        Files.writeString(blockDir.resolve("meta.json"), json, StandardCharsets.UTF_8);
        written++;
      }
    }
    return written;
  }

  /** The size_bytes meta.json gives for {@code relPath}. */
  private static long fileSize(String json, String relPath) {
    int at = json.indexOf("\"rel_path\": \"" + relPath + "\"");
    int size = json.indexOf("\"size_bytes\": ", at) + 14;
    int end = size;
    while (Character.isDigit(json.charAt(end))) {
      end++;
    }
    return Long.parseLong(json.substring(size, end));
  }

  /** The 2h blocks a block of {@code length} from {@code min} was compacted from. */
  private static List<String> sources(long min, long length, Random random) {
    List<String> out = new ArrayList<>();
    for (long t = min; t < min + length; t += 2 * H) {
      out.add(Ulid.generate(t + 2 * H + 60_000, random).toString());
    }
    return out;
  }

  /** A meta.json as a Thanos compactor writes it (a sidecar's for level 1). */
  private static String meta(long min, long max, int level, long resolution, List<String> sources, String labels,
      Random random, long chunkBytes) {
    String ulid = level == 1 ? sources.get(0) : Ulid.generate(max + 3 * H, random).toString();
    StringBuilder src = new StringBuilder();
    for (String s : sources) {
      src.append(src.length() == 0 ? "" : ",\n\t\t\t").append('"').append(s).append('"');
    }
    long series = 20_000;
    long samples = (max - min) / 15_000 * series / Math.max(1, resolution / 15_000);
    return "{\n\t\"ulid\": \"" + ulid + "\",\n\t\"minTime\": " + min + ",\n\t\"maxTime\": " + max + ",\n"
        + "\t\"stats\": {\n\t\t\"numSamples\": " + samples + ",\n\t\t\"numSeries\": " + series
        + ",\n\t\t\"numChunks\": " + samples / 120 + "\n\t},\n"
        + "\t\"compaction\": {\n\t\t\"level\": " + level + ",\n\t\t\"sources\": [\n\t\t\t" + src + "\n\t\t]\n\t},\n"
        + "\t\"version\": 1,\n"
        + "\t\"thanos\": {\n\t\t\"labels\": " + labels + ",\n\t\t\"downsample\": {\n\t\t\t\"resolution\": " + resolution
        + "\n\t\t},\n\t\t\"source\": \"" + (level == 1 ? "sidecar" : "compactor") + "\",\n"
        + "\t\t\"segment_files\": [\n\t\t\t\"000001\"\n\t\t],\n"
        + "\t\t\"files\": [\n\t\t\t{\n\t\t\t\t\"rel_path\": \"chunks/000001\",\n\t\t\t\t\"size_bytes\": " + written(chunkBytes)
        + "\n\t\t\t},\n\t\t\t{\n\t\t\t\t\"rel_path\": \"index\",\n\t\t\t\t\"size_bytes\": " + written(chunkBytes / 8)
        + "\n\t\t\t},\n\t\t\t{\n\t\t\t\t\"rel_path\": \"meta.json\"\n\t\t\t}\n\t\t]\n\t}\n}\n";
  }

  /**
   * The bytes written for a file of {@code bytes} in a real bucket: a millionth, at least one. The files are real,
   * so that a sync sees every block whole, but 100,000 blocks of real size would not fit on the disk.
   */
  private static long written(long bytes) {
    return Math.max(1, bytes / 1_000_000);
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void resetPeaks() {
    System.gc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
      }
    }
  }

  private static long peakHeap() {
    long peak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        peak += p.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  private static long usedHeap() {
    long used = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        used += p.getUsage().getUsed();
      }
    }
    return used;
  }

}
