package io.tsdbcompactor.index;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.store.Directory;
import java.io.IOException;
import java.util.List;

/**
 * The {@code index_stats} Thanos records in meta.json ({@code GatherIndexHealthStats} in
 * <a href="https://github.com/thanos-io/thanos/blob/main/pkg/block/index.go">pkg/block/index.go</a>;
 * docs/thanos-compactor.md §2.6), 0 where nothing was measured (the field is then left out of meta.json).
 *
 * @param seriesMaxSize the largest {@code (ref - previous ref) * 16} over series in postings order
 * @param chunkMaxSize the largest distance between consecutive chunk records of a series in one segment,
 *     skipping the last two chunks of each series as Thanos does
 */
public record IndexStats(long seriesMaxSize, long chunkMaxSize) {

  /** Measures the stats over the block's index in {@code dir}. */
  public static IndexStats measure(Directory dir) throws IOException {
    try (IndexReader index = IndexReader.open(dir, "index")) {
      long seriesMax = 0;
      long chunkMax = 0;
      long prevRef = -1;
      SeriesCursor cursor = index.series();
      while (cursor.next()) {
        IndexSeries s = cursor.at();
        if (prevRef >= 0) {
          seriesMax = Math.max(seriesMax, (s.ref() - prevRef) * 16);
        }
        prevRef = s.ref();
        List<ChunkMeta> cs = s.chunks();
        for (int i = 0; i < cs.size() - 2; i++) {
          long a = cs.get(i).ref;
          long b = cs.get(i + 1).ref;
          if (ChunkRef.segmentIndex(a) == ChunkRef.segmentIndex(b)) {
            chunkMax = Math.max(chunkMax, ChunkRef.offset(b) - ChunkRef.offset(a));
          }
        }
      }
      return new IndexStats(seriesMax, chunkMax);
    }
  }
}
