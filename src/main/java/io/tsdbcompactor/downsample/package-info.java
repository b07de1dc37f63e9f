/**
 * Thanos-compatible downsampling: raw blocks to 5m, 5m blocks to 1h, written so an unchanged Thanos Store
 * Gateway (or anything else reading Thanos's {@code pkg/compact/downsample} format) can serve them.
 *
 * <ul>
 *   <li>{@link io.tsdbcompactor.downsample.AggrChunk}: the 0xFF aggregate chunk (format in its javadoc): parse,
 *       encode, per-aggregate {@link io.tsdbcompactor.chunk.SampleIterator}s, verification.
 *   <li>{@link io.tsdbcompactor.downsample.SeriesDownsampler}: windows and aggregates of one series (raw and
 *       aggregated input), Thanos's chunk-cutting heuristic.
 *   <li>{@link io.tsdbcompactor.downsample.CounterResetIterator} and
 *       {@link io.tsdbcompactor.downsample.AverageIterator}: reading aggregates back as PromQL needs them.
 *   <li>{@link io.tsdbcompactor.downsample.BlockDownsampler}: a whole block, streamed series by series.
 *   <li>{@link io.tsdbcompactor.downsample.DownsampleSelector} and
 *       {@link io.tsdbcompactor.downsample.DownsampleConfig}: which blocks, and which retention settings are
 *       refused.
 *   <li>{@link io.tsdbcompactor.downsample.AggrChunkMerger}: deletions cut out of, and overlaps merged in, the
 *       aggregate chunks of one series (a rewrite's work on downsampled blocks).
 *   <li>{@link io.tsdbcompactor.downsample.AggrChunkDump}: the text format of {@code tools block dump} for
 *       downsampled blocks.
 * </ul>
 *
 * Reference: Thanos
 * <a href="https://github.com/thanos-io/thanos/tree/main/pkg/compact/downsample">pkg/compact/downsample</a>
 * and {@code cmd/thanos/downsample.go}, summarised in {@code docs/thanos-compactor.md} §5. Known differences: native histograms are downsampled
 * into Thanos's histogram AggrChunks ({@code HistogramDownsampler}) except
 * custom-bucket ones (schema -53), which are left out (Thanos panics on them); a histogram sum aggregate absent
 * from all inputs of a 5m → 1h group stays absent (Thanos returns an empty chunk meta there); a stray raw XOR chunk inside a 5m block
 * contributes all its 5m chunks (Thanos keeps only the last one); an aggregated output chunk's time range is the
 * true min/max of its window stamps (Thanos's else-if can leave maxTime unset in a degenerate one-window case).
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}.
 */
package io.tsdbcompactor.downsample;
