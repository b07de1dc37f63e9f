package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import java.io.IOException;
import java.util.List;

/**
 * Checks a block written by {@link BlockMerger} before it is uploaded ({@link BlockVerifier}: every file, CRC,
 * order, range, decodable chunk and meta.json stat), and computes the {@code index_stats} Thanos records
 * (GatherIndexHealthStats, fact sheet §2.6).
 */
public final class OutputVerifier {
  private OutputVerifier() {}

  /** Index stats of a block: 0 where nothing was measured (the field is then left out of meta.json). */
  public record IndexStats(long seriesMaxSize, long chunkMaxSize) {}

  /** Throws {@link CorruptDataException} listing the problems if the block is not sound. */
  public static void verify(Directory dir) throws CorruptDataException {
    List<String> problems = BlockVerifier.verify(dir);
    if (!problems.isEmpty()) {
      throw new CorruptDataException(dir.describe(), 0, problems.size() + " problems: "
          + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
    }
  }

  /**
   * {@code series_max_size}: the largest {@code (ref - previous ref) * 16} over series in postings order;
   * {@code chunk_max_size}: the largest distance between consecutive chunk records of a series in one segment,
   * skipping the last two chunks of each series as Thanos does (quirk §10.5).
   */
  public static IndexStats indexStats(Directory dir) throws IOException {
    try (IndexReader index = IndexReader.open(dir, "index")) {
      long seriesMax = Long.MIN_VALUE;
      long chunkMax = Long.MIN_VALUE;
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
      return new IndexStats(seriesMax == Long.MIN_VALUE ? 0 : seriesMax, chunkMax == Long.MIN_VALUE ? 0 : chunkMax);
    }
  }
}
