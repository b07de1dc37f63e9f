package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.sync.Marker;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@link Planner} behind Thanos's two planner wrappers (pkg/compact/planner.go, docs/thanos-compactor.md §4.4):
 *
 * <ul>
 *   <li>{@code largeTotalIndexSizeFilter} (on when a limit is given; the compactor itself partitions outputs instead,
 *       {@link #forOptions}): summing the planned blocks' index sizes, as soon as the
 *       total reaches 85% of the limit the biggest index so far gets a no-compact mark (reason
 *       {@code index-size-exceeding}) and the group is planned again without it. The output index can then not
 *       outgrow the format's limits (an index section is addressed with 32-bit offsets).</li>
 *   <li>{@code verticalCompactionDownsampleFilter} (with vertical compaction): a plan that overlaps and holds
 *       downsampled blocks marks those no-compact (reason {@code downsample-vertical-compaction}) and is redone,
 *       so overlapping downsampled blocks are never merged.</li>
 * </ul>
 */
public final class GuardedPlanner {
  public static final String DETAILS_DOWNSAMPLE_VERTICAL =
      "verticalCompactionDownsampleFilter: Downsampled block, see https://github.com/thanos-io/thanos/issues/6775";

  /** Where an index size comes from when meta.json's thanos.files does not give it (the bucket's attributes). */
  @FunctionalInterface
  public interface IndexSizeLookup {
    long indexSize(String ulid) throws IOException;
  }

  /** Puts a no-compact mark in the bucket (and counts it); must not overwrite an existing mark. */
  @FunctionalInterface
  public interface NoCompactMarker {
    void markNoCompact(String ulid, String reason, String details) throws IOException;
  }

  private final Planner planner;
  private final long maxIndexSizeBytes;
  private final boolean verticalCompaction;
  private final IndexSizeLookup sizes;
  private final NoCompactMarker marker;

  public GuardedPlanner(Planner planner, long maxIndexSizeBytes, boolean verticalCompaction,
      IndexSizeLookup sizes, NoCompactMarker marker) {
    this.planner = planner;
    this.maxIndexSizeBytes = maxIndexSizeBytes;
    this.verticalCompaction = verticalCompaction;
    this.sizes = sizes;
    this.marker = marker;
  }

  /**
   * The planner under {@link PartitionedPlanner#forOptions}, which the run's {@link GroupCompactor} and the dry
   * run's simulation both use. Its index-size filter is off: there {@code --compact.block-max-index-size}
   * partitions the output instead of leaving blocks out (docs/partitioned-output.md).
   */
  public static GuardedPlanner forOptions(CompactorOptions options, IndexSizeLookup sizes, NoCompactMarker marker) {
    return new GuardedPlanner(new Planner(options.ranges()), NO_INDEX_LIMIT, options.verticalCompactionEnabled(),
        sizes, marker);
  }

  /** A limit that turns the index-size filter off. */
  public static final long NO_INDEX_LIMIT = Long.MAX_VALUE;

  public static String indexSizeDetails(long limit) {
    return "largeTotalIndexSizeFilter: Total compacted block's index size could exceed: " + limit
        + " with this block. See https://github.com/thanos-io/thanos/issues/1424";
  }

  /**
   * Plans one compaction of the group. Blocks this call marks no-compact are added to {@code excluded}, so the
   * caller's view of the group stays in step with the bucket.
   */
  public List<BlockMeta> plan(List<BlockMeta> metasByMinTime, Set<String> excluded) throws IOException {
    while (true) {
      List<BlockMeta> plan = planWithinIndexLimit(metasByMinTime, excluded);
      if (!verticalCompaction || Planner.selectOverlapping(plan).isEmpty()) {
        return plan;
      }
      boolean marked = false;
      for (BlockMeta m : plan) {
        if (m.resolution() != 0) {
          marker.markNoCompact(m.ulid, Marker.REASON_DOWNSAMPLE_VERTICAL_COMPACTION, DETAILS_DOWNSAMPLE_VERTICAL);
          excluded.add(m.ulid);
          marked = true;
        }
      }
      if (!marked) {
        return plan;
      }
    }
  }

  private List<BlockMeta> planWithinIndexLimit(List<BlockMeta> metasByMinTime, Set<String> excluded)
      throws IOException {
    if (maxIndexSizeBytes == NO_INDEX_LIMIT) {
      return planner.plan(metasByMinTime, excluded);
    }
    long threshold = (long) (maxIndexSizeBytes * 0.85);
    Set<String> seen = new HashSet<>();
    replan:
    while (true) {
      List<BlockMeta> plan = planner.plan(metasByMinTime, excluded);
      long total = 0;
      long biggest = Long.MIN_VALUE;
      BlockMeta biggestBlock = null;
      for (BlockMeta m : plan) {
        long size = indexSizeOf(m);
        if (size > biggest) {
          biggest = size;
          biggestBlock = m;
        }
        total += size;
        if (total >= threshold) {
          if (!seen.add(biggestBlock.ulid)) {
            throw new IllegalStateException("planner chose no-compact block " + biggestBlock.ulid + " again");
          }
          marker.markNoCompact(biggestBlock.ulid, Marker.REASON_INDEX_SIZE_EXCEEDING, indexSizeDetails(maxIndexSizeBytes));
          excluded.add(biggestBlock.ulid);
          continue replan;
        }
      }
      return plan;
    }
  }

  private long indexSizeOf(BlockMeta m) throws IOException {
    long size = -1;
    if (m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        if ("index".equals(f.relPath)) {
          size = f.sizeBytes;
        }
      }
    }
    return size > 0 ? size : sizes.indexSize(m.ulid);
  }
}
