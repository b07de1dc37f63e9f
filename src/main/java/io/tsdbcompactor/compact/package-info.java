/**
 * Group compaction, as {@code thanos compact} does it (Thanos's
 * <a href="https://github.com/thanos-io/thanos/tree/main/pkg/compact">pkg/compact</a>), and faster.
 *
 * <p>The flow of one group, top to bottom:
 * <ol>
 *   <li>{@link io.tsdbcompactor.compact.Grouper}: metas into {@link io.tsdbcompactor.compact.Group}s by
 *       resolution and external labels (replica labels removed); Thanos's group key.</li>
 *   <li>{@link io.tsdbcompactor.compact.GuardedPlanner} around {@link io.tsdbcompactor.compact.Planner}: which
 *       blocks to merge next (overlaps first, then leveled ranges, never the freshest block; index-size guard;
 *       overlapping downsampled blocks marked instead of merged).</li>
 *   <li>{@link io.tsdbcompactor.compact.GroupCompactor}: download, {@link io.tsdbcompactor.compact.BlockMerger}
 *       (streaming k-way merge of the inputs' series; chained merge or
 *       {@link io.tsdbcompactor.compact.PenaltyChunkMerger penalty deduplication}), verify
 *       ({@link io.tsdbcompactor.compact.OutputVerifier}), upload with meta.json last
 *       ({@link io.tsdbcompactor.compact.CompactedMeta}), deletion marks for the sources; loop until the
 *       planner has nothing left. Blocks that cannot be read or merged
 *       ({@link io.tsdbcompactor.compact.BadBlockException}) are marked no-compact and left behind.</li>
 * </ol>
 * The bucket is reached only through {@link io.tsdbcompactor.compact.CompactionBucket}; counters through
 * {@link io.tsdbcompactor.compact.CompactMetrics}.
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}. Only
 * {@code MicrometerCompactMetrics} needs Micrometer, an optional dependency of this artifact.
 */
package io.tsdbcompactor.compact;
