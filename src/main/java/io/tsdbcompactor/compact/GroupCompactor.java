package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.index.IndexStats;
import io.tsdbcompactor.store.ArrivingBytes;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockGoneException;
import io.tsdbcompactor.sync.FanOut;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.tracing.Span;
import io.tsdbcompactor.tracing.Tracing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts groups until their planner has nothing left, as Thanos's {@code Group.compact} loop does (docs/thanos-compactor.md
 * §4.5), one step after another:
 *
 * <ol>
 *   <li><b>plan</b> with {@link GuardedPlanner} (overlaps first, then leveled ranges; index-size guard);</li>
 *   <li><b>download</b> the planned blocks into {@code <data-dir>/compact/<group key>/<ULID>};</li>
 *   <li><b>merge</b> them with {@link BlockMerger} into a new block beside them;</li>
 *   <li><b>verify</b> the new block ({@link OutputVerifier}: block.BlockVerifier) and record its index stats;</li>
 *   <li><b>upload</b> it: each chunk segment and the index as soon as it is written, alongside the merge and the
 *       verification (a block that is not uploaded after all has them deleted again); meta.json last, once the
 *       block is verified;</li>
 *   <li><b>retire</b> the sources: a deletion mark each (deleted later, after the delete delay).</li>
 * </ol>
 *
 * Failures: a block that fails to read, whose objects contradict its meta.json, whose chunks cannot be merged, or
 * that makes the new block fail verification (a chunk with a right CRC that does not decode, copied as is)
 * ({@link BadBlockException}) gets a no-compact mark with the reason, is counted, and the group goes on without
 * it. Any other error (bucket, disk, a new block that fails verification while its inputs are sound) ends this
 * group's run with the error. No failure path deletes or marks anything for deletion: sources are marked only
 * after their replacement is uploaded.
 */
public final class GroupCompactor {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCompactor.class);
  public static final String DELETION_DETAILS = "source of compacted block";

  private final CompactionBucket bucket;
  private final Path dataDir;
  private final CompactorOptions options;
  private final CompactMetrics metrics;
  private final BlockMerger merger;
  private final Clock clock;
  private final PartitionedPlanner.Limits limits;
  private UsableSpace usableSpace = UsableSpace.FILE_STORE;
  /** The process's level for block downloads; null: each compaction makes its own pool. */
  private FanOut downloads;
  /** The process's level for metadata requests, on which the inputs are marked; null: one mark after another. */
  private FanOut marks;
  private java.util.function.Function<Path, io.tsdbcompactor.store.Directory> outputDirectory = FsDirectory::scratch;

  /**
   * Free bytes for a directory: the file store's usable space by default. A program whose real limit is not the
   * file system's (a Kubernetes emptyDir {@code sizeLimit}, a quota) passes its own.
   */
  @FunctionalInterface
  public interface UsableSpace {
    UsableSpace FILE_STORE = dir -> Files.getFileStore(dir).getUsableSpace();

    long bytes(Path dir) throws IOException;
  }

  /**
   * Space a compaction needs beyond twice its sources (downloaded sources and the new block beside them): index
   * and chunk files are rewritten through temporary names, and the meta cache lives in the same directory.
   */
  static final long SPACE_MARGIN_BYTES = 64L << 20;

  /**
   * Replaces how free space is measured before each compaction ({@link UsableSpace}). Published API
   * (docs/library.md); the compactor program keeps the default, and the disk-full tests pass a small number.
   */
  public GroupCompactor withUsableSpace(UsableSpace s) {
    this.usableSpace = s;
    return this;
  }

  /**
   * Replaces the {@link io.tsdbcompactor.store.Directory} each new block is written through
   * ({@link FsDirectory#scratch} on its local directory by default), e.g. one that counts or limits the bytes
   * written. Published API (docs/library.md); the compactor program keeps the default, and the disk-full tests
   * pass a directory that fills up.
   */
  public GroupCompactor withOutputDirectory(java.util.function.Function<Path, io.tsdbcompactor.store.Directory> f) {
    this.outputDirectory = f;
    return this;
  }

  /**
   * Downloads blocks on {@code level} (the run's {@code --compact.blocks-fetch-concurrency} level, shared by every
   * group) instead of a pool of its own per compaction.
   */
  public GroupCompactor downloadsOn(FanOut level) {
    this.downloads = level;
    return this;
  }

  /**
   * Marks a compaction's inputs for deletion on {@code level} (the run's {@code --block-meta-fetch-concurrency}
   * level), several at once: each mark is two round trips (does it exist, then the upload), and a 2d block
   * replaces 24 blocks.
   */
  public GroupCompactor marksOn(FanOut level) {
    this.marks = level;
    return this;
  }

  /** What one group's run did. */
  public record Result(String groupKey, List<BlockMeta> created, List<String> markedForDeletion,
      List<String> markedNoCompact) {}

  public GroupCompactor(CompactionBucket bucket, Path dataDir, CompactorOptions options, CompactMetrics metrics) {
    this(bucket, dataDir, options, metrics, Clock.systemUTC());
  }

  /** {@code clock} dates the ULIDs of the new blocks. */
  public GroupCompactor(CompactionBucket bucket, Path dataDir, CompactorOptions options, CompactMetrics metrics,
      Clock clock) {
    this.clock = clock;
    this.bucket = bucket;
    this.dataDir = dataDir;
    this.options = options;
    this.metrics = metrics;
    BlockMerger m = new BlockMerger(options.dedupFunc());
    // Full verification decodes every output chunk before upload, so the merge's own decode of the chunks it
    // re-encoded would be a second one; fast verification does not decode, so the merge keeps its check.
    this.merger = options.verification() == CompactorOptions.Verification.FULL ? m.withoutReencodedCheck() : m;
    this.limits = new PartitionedPlanner.Limits(options.maxBlockSeries(), options.blockMaxIndexSizeBytes());
  }

  /**
   * Decides which partitions of a group's compactions this process writes: all of them, or in a sharded run
   * ({@code --shard.*}) those its shard owns, so that many pods compact one huge group at once. Asked with
   * {@link PartitionInfo#WHOLE} for what only the group's owner does (the planner's no-compact marks).
   */
  @FunctionalInterface
  public interface PartitionOwner {
    PartitionOwner ALL = (group, partition) -> true;

    boolean owns(Group group, PartitionInfo partition);
  }

  private PartitionOwner owner = PartitionOwner.ALL;

  /** Writes only the partitions {@code o} owns; the inputs of a compaction are retired only by a process that wrote all of it. */
  public GroupCompactor withPartitionOwner(PartitionOwner o) {
    this.owner = o;
    return this;
  }

  /**
   * Runs one group until the planner has nothing left to do. The group's metas are updated as blocks are
   * replaced; {@code excluded} (no-compact ULIDs) grows with the marks this run adds.
   */
  public Result compact(Group group, Set<String> excluded) throws IOException {
    long res = group.resolution();
    metrics.runStarted(res);
    Path workDir = dataDir.resolve("compact").resolve(group.key());
    List<BlockMeta> created = new ArrayList<>();
    List<String> retired = new ArrayList<>();
    List<String> marked = new ArrayList<>();
    boolean groupOwner = owner.owns(group, PartitionInfo.WHOLE);
    PartitionedPlanner planner = PartitionedPlanner.forOptions(options, bucket::indexSize, (ulid, reason, details) -> {
          if (!groupOwner) {
            return; // the group's owner marks it; here it is only left out
          }
          bucket.markNoCompact(ulid, reason, details);
          metrics.blockMarked(Marker.NO_COMPACT_MARK, reason);
          marked.add(ulid);
          LOG.warn("group {}: block {} marked no-compact ({}): {}", group.key(), ulid, reason, details);
        });
    try {
      while (true) {
        PartitionedPlanner.Compaction c = planner.plan(group.key(), group.metas(), excluded);
        if (c == null) {
          break;
        }
        List<BlockMeta> plan = c.inputs();
        if (c.vertical() && !options.verticalCompactionEnabled()) {
          throw new IOException("group " + group.key() + ": overlapping blocks " + ulids(plan)
              + " and vertical compaction is off");
        }
        List<PartitionInfo> mine = new ArrayList<>();
        for (PartitionInfo p : c.toWrite()) {
          if (owner.owns(group, c.owner(p))) {
            mine.add(p);
          }
        }
        boolean whole = mine.size() == c.toWrite().size();
        if (mine.isEmpty()) {
          // Other shards write this compaction; this one plans on without its blocks.
          group.removeAll(ulids(plan));
          group.removeAll(ulids(c.existing()));
          continue;
        }
        warnSharedSources(group, plan);
        FileTree.delete(workDir);
        checkSpace(group, plan);
        try {
          List<BlockMeta> outs = compactOnce(group, c, mine, workDir);
          if (outs.isEmpty() && whole && c.existing().isEmpty()) {
            retireEmpty(group, plan, retired);
            continue;
          }
          if (whole) {
            markForDeletion(plan);
            retired.addAll(ulids(plan));
            group.removeAll(ulids(plan));
            outs.forEach(group::add);
          } else {
            // Its inputs stay until every partition is in the bucket; then garbage collection retires them.
            group.removeAll(ulids(plan));
            group.removeAll(ulids(c.existing()));
          }
          created.addAll(outs);
          metrics.compaction(res);
          if (c.vertical()) {
            metrics.verticalCompaction(res);
          }
          BlockMeta first = outs.isEmpty() ? null : outs.get(0);
          LOG.info("group {}: compacted {} blocks {} into {} [{}, {}) level {}{}", group.key(), plan.size(),
              ulids(plan), ulids(outs), first == null ? "" : first.minTime, first == null ? "" : first.maxTime,
              first == null ? "" : first.compaction.level,
              c.partitioned() ? " (partitions " + mine + ")" : "");
        } catch (BlockGoneException e) {
          // Another run is replacing or deleting it: not this group's failure, and not a bad block.
          group.removeAll(List.of(e.ulid()));
          LOG.info("group {}: block {} left the bucket after it was planned; planning without it: {}", group.key(),
              e.ulid(), e.getMessage());
        } catch (BadBlockException e) {
          metrics.compactionFailure(res);
          for (String ulid : e.ulids()) {
            if (excluded.add(ulid)) {
              bucket.markNoCompact(ulid, e.reason(), e.getMessage());
              metrics.blockMarked(Marker.NO_COMPACT_MARK, e.reason());
              marked.add(ulid);
            }
          }
          LOG.error("group {}: blocks {} left out of compaction ({}): {}", group.key(), e.ulids(), e.reason(),
              e.getMessage());
        } finally {
          FileTree.delete(workDir);
        }
      }
    } catch (IOException | RuntimeException e) {
      metrics.compactionFailure(res);
      throw e;
    }
    metrics.runCompleted(res);
    return new Result(group.key(), created, retired, marked);
  }

  /**
   * Download, then merge and verify each partition to write, then upload them all (each meta.json last); returns
   * the uploaded blocks' metas (none when the plan had no samples). Each partition's chunk segments and index go
   * up as they are written; every partition is merged and verified before the first meta.json goes up, so readers
   * see the set appear within moments.
   */
  private List<BlockMeta> compactOnce(Group group, PartitionedPlanner.Compaction c, List<PartitionInfo> partitions,
      Path workDir) throws IOException {
    long t0 = System.nanoTime();
    Set<String> needed = new HashSet<>();
    List<BlockMeta> toDownload = new ArrayList<>();
    for (PartitionInfo p : partitions) {
      for (BlockMeta m : c.inputsOf(p)) {
        if (needed.add(m.ulid)) {
          toDownload.add(m);
        }
      }
    }
    Downloads downloads = new Downloads();
    try {
      return compactDownloaded(group, c, partitions, workDir, toDownload, downloads, t0);
    } catch (IOException | RuntimeException e) {
      throw downloads.failureBefore(e);
    } finally {
      downloads.close();
    }
  }

  private List<BlockMeta> compactDownloaded(Group group, PartitionedPlanner.Compaction c, List<PartitionInfo> partitions,
      Path workDir, List<BlockMeta> toDownload, Downloads downloads, long t0) throws IOException {
    List<BlockMerger.Input> inputs = download(toDownload, workDir, downloads);
    long t1 = System.nanoTime();
    List<BlockMeta> metas = new ArrayList<>();
    long t2;
    try (Uploads uploads = new Uploads()) {
      try (BlockMerger.SeriesHashes hashes = new BlockMerger.SeriesHashes(FsDirectory.scratch(workDir))) {
        for (PartitionInfo p : partitions) {
          writePartition(group, c, p, inputs, workDir, uploads, metas, downloads, hashes);
        }
      }
      t2 = System.nanoTime();
      uploads.finish();
    }
    long t3 = System.nanoTime();
    // "download" is until the merge could start (a remote bucket's chunk segments come down during the merge);
    // "upload" is what is left after the verification (the files went up meanwhile). The words stay as they were,
    // for the scripts that read this line (benchmarks/scale.sh).
    LOG.info("group {}: blocks {}: download {} ms, merge and verify {} ms, upload {} ms", group.key(), ulids(metas),
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
    return metas;
  }

  /**
   * The uploads of one compaction's output partitions, each begun as its partition is written. Closed before
   * {@link #finish} has returned, it takes back what went up of every block whose meta.json has not
   * ({@link CompactionBucket.PendingUpload#abandon}). A failure between two meta.json uploads leaves a set of
   * partitions unfinished, which the next run's plan finishes ({@link PartitionedPlanner}).
   */
  private final class Uploads implements AutoCloseable {
    private final List<CompactionBucket.PendingUpload> pending = new ArrayList<>();
    private boolean finished;

    CompactionBucket.PendingUpload start(Path blockDir) {
      CompactionBucket.PendingUpload upload = bucket.startUpload(blockDir);
      pending.add(upload);
      return upload;
    }

    /** A partition's output that will not be uploaded: what of it went up already is taken back. */
    void discard(CompactionBucket.PendingUpload upload) {
      pending.remove(upload);
      upload.abandon();
    }

    /** Uploads the rest of every block, each meta.json last. */
    void finish() throws IOException {
      for (CompactionBucket.PendingUpload upload : pending) {
        upload.finish();
      }
      finished = true;
    }

    @Override
    public void close() {
      if (!finished) {
        for (CompactionBucket.PendingUpload upload : pending) {
          upload.abandon();
        }
      }
    }
  }

  /**
   * The downloads of one compaction's inputs, which may still be coming down while the merge reads them. A download
   * that failed is the failure to report, whatever the merge made of the bytes that never came: the merge's
   * error is then its consequence.
   */
  private static final class Downloads {
    private final Map<String, CompactionBucket.StartedDownload> started =
        new java.util.concurrent.ConcurrentHashMap<>();

    void add(String ulid, CompactionBucket.StartedDownload d) {
      started.put(ulid, d);
    }

    CompactionBucket.StartedDownload of(String ulid) {
      return started.get(ulid);
    }

    /**
     * Waits for every input to be whole (a merge has read them through); a block whose objects turned out bad is
     * set aside.
     */
    void finish() throws IOException {
      for (Map.Entry<String, CompactionBucket.StartedDownload> e : started.entrySet()) {
        try {
          e.getValue().finish();
        } catch (CorruptDataException x) {
          throw corruptDownload(e.getKey(), x);
        }
      }
    }

    /** What to throw for {@code e}, met while the inputs were read: a download's own failure if one failed. */
    IOException failureBefore(Exception e) {
      IOException failed = null;
      for (Map.Entry<String, CompactionBucket.StartedDownload> d : started.entrySet()) {
        d.getValue().close();
        IOException f = d.getValue().failure();
        if (f != null && failed == null) {
          boolean reported = f == e || f == e.getCause();
          failed = f instanceof CorruptDataException x && !reported ? corruptDownload(d.getKey(), x) : f;
        }
      }
      return ArrivingBytes.failureToReport(e, failed);
    }

    void close() {
      for (CompactionBucket.StartedDownload d : started.values()) {
        d.close();
      }
    }
  }

  /**
   * Merges and verifies one output partition into its own directory. One that breaks a limit once written (the
   * plan's estimate was low, or the hash split unevenly) is thrown away and written again as its two halves
   * ({@link PartitionInfo#halves}), as often as needed; a partition too small to split further is kept as is.
   */
  private void writePartition(Group group, PartitionedPlanner.Compaction c, PartitionInfo p,
      List<BlockMerger.Input> downloaded, Path workDir, Uploads uploads,
      List<BlockMeta> metas, Downloads downloads, BlockMerger.SeriesHashes hashes) throws IOException {
    List<BlockMerger.Input> inputs = new ArrayList<>();
    for (BlockMerger.Input in : downloaded) {
      if (PartitionInfo.of(in.meta()).canShare(p)) {
        inputs.add(in);
      }
    }
    String ulid = Ulid.generate(clock.millis()).toString();
    Path outDir = workDir.resolve(ulid);
    Files.createDirectories(outDir);
    // Each file goes up as soon as it is written, while the rest is merged and verified; meta.json only after.
    CompactionBucket.PendingUpload upload = uploads.start(outDir);
    // Not fsynced locally: the upload makes the block durable in the bucket before meta.json (FsDirectory.scratch).
    io.tsdbcompactor.store.Directory out = upload.watch(outputDirectory.apply(outDir));
    BlockMeta meta;
    try (Span span = Tracing.span("merge").attribute("group", group.key()).attribute("block", ulid)
        .attribute("inputs", inputs.size())) {
      meta = merger.mergePartition(inputs, out,
          new BlockMerger.Output(ulid, group.labels().toMap(), group.resolution(), p.extensions(group.extensions())),
          p, hashes);
    }
    // The merge has read its inputs; the rest of them is there before anything reads them again.
    downloads.finish();
    if (meta == null) {
      uploads.discard(upload);
      if (p.partitioned()) {
        LOG.warn("group {}: {} of {} has no series; no block written for it", group.key(), p, ulids(c.inputs()));
      }
      FileTree.delete(outDir);
      return;
    }
    IndexStats stats;
    try (Span span = Tracing.span("verify").attribute("block", ulid)) {
      stats = OutputVerifier.verifyAndMeasure(out, meta, options.verification());
    } catch (IOException e) {
      String what = "group " + group.key() + ": compacted block " + ulid + " from " + ulids(c.inputs())
          + " failed verification, not uploaded: " + e.getMessage();
      Map<String, String> bad = unsoundInputs(inputs);
      if (!bad.isEmpty()) {
        // The merge copies chunks that overlap nothing byte for byte: a chunk whose CRC is right but whose
        // samples do not decode passes through it and is caught only here. Its block is the one to set aside.
        StringBuilder why = new StringBuilder();
        bad.forEach((u, problem) -> why.append("block ").append(u).append(": ").append(problem).append("; "));
        throw new BadBlockException(new ArrayList<>(bad.keySet()), Marker.REASON_CORRUPTED_BLOCK,
            why + "so " + what, e);
      }
      throw new IOException(what, e);
    }
    long indexBytes = Files.size(outDir.resolve("index"));
    if (limits.exceeded(meta.stats.numSeries, indexBytes)) {
      if (meta.stats.numSeries >= 2 * PartitionedPlanner.MIN_SERIES_PER_PARTITION) {
        LOG.info("group {}: {} came out with {} series and a {} byte index, over the limits; writing it as {}",
            group.key(), p, meta.stats.numSeries, indexBytes, p.halves());
        uploads.discard(upload);
        FileTree.delete(outDir);
        for (PartitionInfo half : p.halves()) {
          writePartition(group, c, half, downloaded, workDir, uploads, metas, downloads, hashes);
        }
        return;
      }
      LOG.warn("group {}: {} holds {} series and a {} byte index, over the limits, and is too small to split",
          group.key(), p, meta.stats.numSeries, indexBytes);
    }
    meta.compaction.sources = c.sourcesOf(ulid, p);
    meta.minTime = c.minTime(); // a partition reading only some inputs still spans its set's range
    meta.maxTime = c.maxTime();
    meta.thanos().seriesMaxSize = stats.seriesMaxSize();
    meta.thanos().chunkMaxSize = stats.chunkMaxSize();
    out.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
    metas.add(meta);
  }

  /**
   * Refuses a compaction that would not fit in the data directory: its sources are downloaded and the new block
   * is written beside them, so it needs about twice their size plus a margin. Sizes come from thanos.files (a
   * meta without them counts its index size from the bucket).
   */
  private void checkSpace(Group group, List<BlockMeta> plan) throws IOException {
    long sources = 0;
    for (BlockMeta m : plan) {
      sources += blockBytes(m);
    }
    long needed = 2 * sources + SPACE_MARGIN_BYTES;
    Files.createDirectories(dataDir);
    long free = usableSpace.bytes(dataDir);
    if (free < needed) {
      metrics.groupSkippedForDiskSpace(group.resolution());
      throw new InsufficientSpaceException("group " + group.key() + ": not enough space in " + dataDir.toAbsolutePath()
          + " to compact " + plan.size() + " blocks: " + needed + " bytes needed (sources " + sources
          + " bytes x2 + margin), " + free + " bytes free; skipped, nothing downloaded");
    }
  }

  private long blockBytes(BlockMeta m) throws IOException {
    long n = 0;
    boolean index = false;
    if (m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        n += f.sizeBytes;
        index |= f.relPath.equals("index");
      }
    }
    return index ? n : n + bucket.indexSize(m.ulid);
  }

  /** A compaction did not start because the data directory has too little free space. */
  public static final class InsufficientSpaceException extends IOException {
    InsufficientSpaceException(String message) {
      super(message);
    }
  }

  /**
   * The inputs that fail {@link BlockVerifier} themselves (failure path only). A download may hold no tombstones
   * file (Thanos does not upload it), so a tombstone count differing from meta.json is no fault of the block.
   */
  private static Map<String, String> unsoundInputs(List<BlockMerger.Input> inputs) {
    Map<String, String> bad = new LinkedHashMap<>();
    for (BlockMerger.Input in : inputs) {
      for (String problem : BlockVerifier.verify(in.dir())) {
        if (!problem.contains("numTombstones")) {
          bad.put(in.meta().ulid, problem);
          break;
        }
      }
    }
    return bad;
  }

  private List<BlockMerger.Input> download(List<BlockMeta> plan, Path workDir, Downloads downloads)
      throws IOException {
    // Fail-fast: the compaction needs every block, and the first bad one is marked and the group planned again.
    if (this.downloads != null) {
      this.downloads.run(plan, FanOut.OnFailure.STOP, m -> downloadOne(m, workDir, downloads));
    } else {
      FanOut.once("block-download", options.blocksFetchConcurrency(), plan, FanOut.OnFailure.STOP,
          m -> downloadOne(m, workDir, downloads));
    }
    List<BlockMerger.Input> inputs = new ArrayList<>(plan.size());
    for (BlockMeta m : plan) {
      inputs.add(new BlockMerger.Input(m, downloads.of(m.ulid).directory()));
    }
    return inputs;
  }

  /**
   * Marks the inputs of a compaction whose output is in the bucket. A failed mark fails the group (as it did one
   * mark at a time); the blocks left unmarked are duplicates of the new block, which the next run's garbage
   * collection marks.
   */
  private void markForDeletion(List<BlockMeta> plan) throws IOException {
    FanOut.Task<BlockMeta> mark = m -> {
      bucket.markForDeletion(m.ulid, DELETION_DETAILS);
      metrics.blockMarked(Marker.DELETION_MARK, "");
    };
    if (marks == null) {
      for (BlockMeta m : plan) {
        mark.run(m);
      }
    } else {
      marks.run(plan, FanOut.OnFailure.STOP, mark);
    }
  }

  /**
   * A block whose objects contradict its meta.json (truncated, missing, wrong size) is as bad as one that fails
   * to read: it is named and set aside, so the rest of its group is still compacted.
   */
  private void downloadOne(BlockMeta m, Path workDir, Downloads downloads) throws IOException {
    try {
      downloads.add(m.ulid, bucket.startDownload(m.ulid, workDir.resolve(m.ulid)));
    } catch (CorruptDataException e) {
      throw corruptDownload(m.ulid, e);
    }
  }

  private static BadBlockException corruptDownload(String ulid, CorruptDataException e) {
    return BadBlockException.corrupt(ulid, e);
  }

  /**
   * The plan held no samples at all (everything deleted): as Thanos does, the sources that themselves had no
   * samples are marked for deletion; the others are left alone and excluded from this run so it ends.
   */
  private void retireEmpty(Group group, List<BlockMeta> plan, List<String> retired) throws IOException {
    List<String> gone = new ArrayList<>();
    for (BlockMeta m : plan) {
      if (m.stats.numSamples == 0) {
        bucket.markForDeletion(m.ulid, DELETION_DETAILS);
        metrics.blockMarked(Marker.DELETION_MARK, "");
        retired.add(m.ulid);
      }
      gone.add(m.ulid);
    }
    group.removeAll(gone);
    LOG.warn("group {}: blocks {} compacted to nothing; no block written", group.key(), gone);
  }

  private static void warnSharedSources(Group group, List<BlockMeta> plan) {
    Set<String> seen = new HashSet<>();
    for (BlockMeta m : plan) {
      for (String s : m.compaction.sources) {
        if (!seen.add(s)) {
          LOG.warn("group {}: planned blocks share source {}; merging them (vertical compaction)", group.key(), s);
          return;
        }
      }
    }
  }

  private static List<String> ulids(List<BlockMeta> metas) {
    List<String> out = new ArrayList<>(metas.size());
    for (BlockMeta m : metas) {
      out.add(m.ulid);
    }
    return out;
  }

}
