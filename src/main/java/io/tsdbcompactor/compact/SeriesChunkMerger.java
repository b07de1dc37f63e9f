package io.tsdbcompactor.compact;

import io.tsdbcompactor.chunk.ChunkMeta;
import java.io.IOException;
import java.util.List;

/**
 * Merges the chunks one series has across the input blocks into non-overlapping chunks. Chunks that overlap
 * nothing must come back as the same objects, so their bytes are copied untouched. Not thread-safe: one per
 * merge.
 */
public interface SeriesChunkMerger {
  /**
   * @param series the series' labels, for errors
   * @param chunks the series' chunks from all inputs, loaded, sorted by minTime
   * @return chunks in time order that do not overlap
   */
  List<ChunkMeta> merge(String series, List<ChunkMeta> chunks) throws IOException;
}
