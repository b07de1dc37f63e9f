/**
 * A block's chunk segment files ({@code chunks/000001}, ...): {@link io.tsdbcompactor.chunkfile.ChunkSegmentWriter}
 * (which documents the format) and {@link io.tsdbcompactor.chunkfile.ChunkSegmentReader}. Chunks are carried as
 * raw bytes; decoding them is the {@code chunk} package's concern.
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}.
 */
package io.tsdbcompactor.chunkfile;
