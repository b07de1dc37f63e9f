/**
 * Chunks: the encodings of samples inside segment files, and the per-series merge the compactor needs.
 *
 * <ul>
 *   <li>{@link io.tsdbcompactor.chunk.XorEncoder} / {@link io.tsdbcompactor.chunk.XorIterator}: the XOR (Gorilla)
 *       float chunk, byte-for-byte as Prometheus 2.42 writes it (format in {@code XorEncoder}), over
 *       {@link io.tsdbcompactor.chunk.BitWriter} / {@link io.tsdbcompactor.chunk.BitReader}. Damage is a
 *       {@link io.tsdbcompactor.store.CorruptDataException}, never an index exception.
 *   <li>{@link io.tsdbcompactor.chunk.SampleIterator}: the primitive sample cursor every layer passes around;
 *       {@link io.tsdbcompactor.chunk.SeriesSampleIterator} reads a series' chunks as one checked stream,
 *       {@link io.tsdbcompactor.chunk.MergingSampleIterator} merges k streams by timestamp with Prometheus's
 *       tie rule.
 *   <li>{@link io.tsdbcompactor.chunk.ChunkMerger}: overlapping chunks of a series decoded, merged and re-cut by
 *       {@link io.tsdbcompactor.chunk.ChunkCutter} (120 samples per chunk, as Prometheus's compactor); chunks
 *       that overlap nothing pass through as the same objects; deletions re-encode only the chunks they touch.
 *   <li>{@link io.tsdbcompactor.chunk.HistogramEncoder} / {@link io.tsdbcompactor.chunk.HistogramIterator}: the
 *       native histogram chunks, integer (encoding 2) and float (3), byte-for-byte as Prometheus 2.42 writes them
 *       (format in {@code HistogramEncoder}), samples as reusable {@link io.tsdbcompactor.chunk.Histogram}s,
 *       with the head's append decisions and recoding. Overlapping histogram chunks of one encoding are merged
 *       by {@code ChunkMerger} as Prometheus 2.42's compactor cuts them (validated byte-for-byte against its
 *       vertical compaction of real blocks); gauge-histogram overlaps, mixed encodings and Thanos aggregate
 *       (0xFF) chunks that overlap or meet a deletion are refused
 *       ({@link io.tsdbcompactor.chunk.UnmergeableChunksException}).
 * </ul>
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}.
 */
package io.tsdbcompactor.chunk;
