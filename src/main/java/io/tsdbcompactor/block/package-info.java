/**
 * Published API: whole blocks, as Prometheus 2.42 and Thanos lay them out ({@code meta.json}, {@code index},
 * {@code chunks/NNNNNN}, {@code tombstones}).
 *
 * <ul>
 *   <li>{@link io.tsdbcompactor.block.BlockMeta}: {@code meta.json} with Thanos's section, parsed and written with
 *       the bytes Go writes.
 *   <li>{@link io.tsdbcompactor.block.BlockReader}: an open block, its series with their chunks (tombstones
 *       applied on request); {@link io.tsdbcompactor.block.BlockWriter}: a new block, streamed series by series.
 *   <li>{@link io.tsdbcompactor.block.BlockVerifier}: every check we know of, every problem reported with block
 *       and file.
 *   <li>{@link io.tsdbcompactor.block.BlockDumper}: the text {@code promtool tsdb dump} prints, byte for byte.
 *   <li>{@link io.tsdbcompactor.block.BlockCopier}, {@link io.tsdbcompactor.block.SymbolMerger},
 *       {@link io.tsdbcompactor.block.Ulid}: copies, symbol tables of merged blocks, block names.
 * </ul>
 * The Go-compatibility helpers ({@code GoFormat}, {@code GoJson}, {@code GoSort}, {@code GoHeap},
 * {@code ShortestDecimal}) are public for the other packages of this project; they are not meant for users.
 * Merging several blocks into one is {@link io.tsdbcompactor.compact.BlockMerger}; downsampling is
 * {@link io.tsdbcompactor.downsample.BlockDownsampler}. Examples: {@code docs/library.md}.
 */
package io.tsdbcompactor.block;
