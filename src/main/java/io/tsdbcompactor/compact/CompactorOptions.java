package io.tsdbcompactor.compact;

import java.util.List;

/**
 * What the {@code compact} flags decide for group compaction (names follow {@code thanos compact}, docs/thanos-compactor.md §7.1).
 *
 * @param ranges block ranges in ms, ascending ({@code --debug.max-compaction-level} picks how many of
 *     {@link #COMPACTION_SET}); the planner merges into {@code ranges[1..]}
 * @param concurrency {@code --compact.concurrency}: groups compacted at once
 * @param blocksFetchConcurrency {@code --compact.blocks-fetch-concurrency}: blocks downloaded at once per group
 * @param replicaLabels {@code --deduplication.replica-label}: external labels dropped before grouping
 * @param dedupFunc {@code --deduplication.func}
 * @param verticalCompaction merge overlapping blocks (on by default here, unlike Thanos)
 * @param blockMaxIndexSizeBytes {@code --compact.block-max-index-size}: a compaction whose output index would be
 *     bigger is split into partitions ({@link PartitionedPlanner})
 * @param verification how a new block is checked before upload
 * @param maxBlockSeries {@code --compact.max-block-series}: a compaction whose output would hold more series is split
 *     into partitions; 0 for no limit
 */
public record CompactorOptions(
    long[] ranges,
    int concurrency,
    int blocksFetchConcurrency,
    List<String> replicaLabels,
    DedupFunc dedupFunc,
    boolean verticalCompaction,
    long blockMaxIndexSizeBytes,
    Verification verification,
    long maxBlockSeries) {

  /** Thanos's compaction set: 1h, 2h, 8h, 2d, 14d. */
  public static final long[] COMPACTION_SET = {3_600_000L, 7_200_000L, 28_800_000L, 172_800_000L, 1_209_600_000L};
  /** 64 GiB, Thanos's default {@code --compact.block-max-index-size}. */
  public static final long DEFAULT_MAX_INDEX_SIZE = 64L << 30;

  /** {@code --deduplication.func}: "" (chained 1:1 merge) or "penalty". */
  public enum DedupFunc {
    NONE(""), PENALTY("penalty");

    private final String flag;

    DedupFunc(String flag) {
      this.flag = flag;
    }

    public String flag() {
      return flag;
    }

    public static DedupFunc parse(String flag) {
      for (DedupFunc f : values()) {
        if (f.flag.equals(flag)) {
          return f;
        }
      }
      throw new IllegalArgumentException("--deduplication.func must be \"\" or \"penalty\", got \"" + flag + "\"");
    }
  }

  /** How a compacted block is checked before it is uploaded. */
  public enum Verification {
    /**
     * {@code block.BlockVerifier}: every file and CRC, the index, every XOR and histogram chunk decoded,
     * meta.json's stats. Costs about as much as the merge itself. The aggregate chunks of a downsampled block have
     * their entries checked ({@code chunk.AggrChunkLayout#check}), their samples not decoded: decoding the five
     * aggregates of every window would add about a quarter to a downsampling's CPU. Compactions copy them byte for
     * byte, never re-encode them.
     */
    FULL,
    /**
     * The same structure checks (index, every chunk record's CRC, references, ranges, order, counts), but only
     * the chunks the merge re-encoded are decoded, right after encoding; chunks copied byte for byte keep the
     * bytes whose CRC was checked when they were read.
     */
    FAST
  }

  public CompactorOptions {
    ranges = ranges.clone();
    replicaLabels = List.copyOf(replicaLabels);
    if (ranges.length == 0) {
      throw new IllegalArgumentException("at least one compaction range is needed");
    }
    for (int i = 1; i < ranges.length; i++) {
      if (ranges[i] <= ranges[i - 1]) {
        throw new IllegalArgumentException("compaction ranges must ascend: " + java.util.Arrays.toString(ranges));
      }
    }
    if (verification == null) {
      throw new IllegalArgumentException("verification must be given");
    }
    if (maxBlockSeries < 0 || blockMaxIndexSizeBytes <= 0) {
      throw new IllegalArgumentException("--compact.max-block-series must be 0 or more and"
          + " --compact.block-max-index-size positive");
    }
    if (concurrency < 1 || blocksFetchConcurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    if (dedupFunc == DedupFunc.PENALTY && replicaLabels.isEmpty()) {
      throw new IllegalArgumentException(
          "--deduplication.func=penalty needs at least one --deduplication.replica-label");
    }
  }

  /** Thanos's defaults, except vertical compaction, which is on. */
  public static CompactorOptions defaults() {
    return new CompactorOptions(rangesForMaxLevel(4), 1, 1, List.of(), DedupFunc.NONE, true, DEFAULT_MAX_INDEX_SIZE,
        Verification.FULL, 0);
  }

  /** {@code --debug.max-compaction-level}: the first level+1 entries of the compaction set (0..4). */
  public static long[] rangesForMaxLevel(int level) {
    if (level < 0 || level >= COMPACTION_SET.length) {
      throw new IllegalArgumentException("max compaction level must be 0.." + (COMPACTION_SET.length - 1));
    }
    return java.util.Arrays.copyOf(COMPACTION_SET, level + 1);
  }

  @Override
  public long[] ranges() {
    return ranges.clone();
  }

  public CompactorOptions withRanges(long[] r) {
    return new CompactorOptions(r, concurrency, blocksFetchConcurrency, replicaLabels, dedupFunc,
        verticalCompaction, blockMaxIndexSizeBytes, verification, maxBlockSeries);
  }

  public CompactorOptions withConcurrency(int c) {
    return new CompactorOptions(ranges, c, blocksFetchConcurrency, replicaLabels, dedupFunc, verticalCompaction,
        blockMaxIndexSizeBytes, verification, maxBlockSeries);
  }

  public CompactorOptions withBlocksFetchConcurrency(int c) {
    return new CompactorOptions(ranges, concurrency, c, replicaLabels, dedupFunc, verticalCompaction,
        blockMaxIndexSizeBytes, verification, maxBlockSeries);
  }

  public CompactorOptions withDeduplication(List<String> labels, DedupFunc func) {
    return new CompactorOptions(ranges, concurrency, blocksFetchConcurrency, labels, func, verticalCompaction,
        blockMaxIndexSizeBytes, verification, maxBlockSeries);
  }

  public CompactorOptions withBlockMaxIndexSize(long bytes) {
    return new CompactorOptions(ranges, concurrency, blocksFetchConcurrency, replicaLabels, dedupFunc,
        verticalCompaction, bytes, verification, maxBlockSeries);
  }

  public CompactorOptions withVerification(Verification v) {
    return new CompactorOptions(ranges, concurrency, blocksFetchConcurrency, replicaLabels, dedupFunc,
        verticalCompaction, blockMaxIndexSizeBytes, v, maxBlockSeries);
  }

  public CompactorOptions withMaxBlockSeries(long series) {
    return new CompactorOptions(ranges, concurrency, blocksFetchConcurrency, replicaLabels, dedupFunc,
        verticalCompaction, blockMaxIndexSizeBytes, verification, series);
  }

  /** Replica labels turn vertical compaction on, as in Thanos. */
  public boolean verticalCompactionEnabled() {
    return verticalCompaction || !replicaLabels.isEmpty();
  }
}
