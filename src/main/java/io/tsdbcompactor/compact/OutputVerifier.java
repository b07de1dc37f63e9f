package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import java.io.IOException;
import java.util.List;

/**
 * Checks a block written by {@link BlockMerger} before it is uploaded, and computes the {@code index_stats} Thanos
 * records (GatherIndexHealthStats, fact sheet §2.6). Checked: the whole index (CRCs, order, postings) and every
 * chunk record (length, CRC); each series' chunks within the block's [minTime, maxTime), ordered and not
 * overlapping; every reference pointing at a chunk record; series and chunk counts equal to meta.json's stats.
 */
public final class OutputVerifier {
  private OutputVerifier() {}

  /** Index stats of a verified block. */
  public record IndexStats(long seriesMaxSize, long chunkMaxSize) {}

  public static IndexStats verify(Directory dir, BlockMeta meta) throws IOException {
    String where = dir.describe();
    try (IndexReader index = IndexReader.open(dir, "index");
        ChunkSegmentReader chunks = new ChunkSegmentReader(dir)) {
      long series = index.verify();
      long records = chunks.verify();
      long seriesMax = Long.MIN_VALUE;
      long chunkMax = Long.MIN_VALUE;
      long prevRef = -1;
      long chunkCount = 0;
      SeriesCursor cursor = index.series();
      while (cursor.next()) {
        IndexSeries s = cursor.at();
        if (prevRef >= 0) {
          seriesMax = Math.max(seriesMax, (s.ref() - prevRef) * 16);
        }
        prevRef = s.ref();
        List<ChunkMeta> cs = s.chunks();
        if (cs.isEmpty()) {
          throw new CorruptDataException(where + "/index", s.ref() * 16, "series " + s.labels() + " has no chunks");
        }
        long prevMax = Long.MIN_VALUE;
        for (int i = 0; i < cs.size(); i++) {
          ChunkMeta c = cs.get(i);
          if (c.minTime < meta.minTime || c.maxTime >= meta.maxTime) {
            throw new CorruptDataException(where + "/index", s.ref() * 16, "series " + s.labels() + " chunk ["
                + c.minTime + "," + c.maxTime + "] outside the block's range [" + meta.minTime + ","
                + meta.maxTime + ")");
          }
          if (i > 0 && c.minTime <= prevMax) {
            throw new CorruptDataException(where + "/index", s.ref() * 16, "series " + s.labels()
                + " has overlapping or unordered chunks at " + c.minTime);
          }
          prevMax = c.maxTime;
          chunks.read(c.ref); // the reference must land on a record whose CRC holds
          if (i < cs.size() - 2) { // Thanos skips the last two chunks of a series (quirk §10.5)
            long next = cs.get(i + 1).ref;
            if (ChunkRef.segmentIndex(next) == ChunkRef.segmentIndex(c.ref)) {
              chunkMax = Math.max(chunkMax, ChunkRef.offset(next) - ChunkRef.offset(c.ref));
            }
          }
        }
        chunkCount += cs.size();
      }
      if (series != meta.stats.numSeries || chunkCount != meta.stats.numChunks || records != chunkCount) {
        throw new CorruptDataException(where, 0, "expected " + meta.stats.numSeries + " series and "
            + meta.stats.numChunks + " chunks as meta.json says, the index has " + series + " series, "
            + chunkCount + " chunk references, the segments " + records + " chunks");
      }
      return new IndexStats(seriesMax == Long.MIN_VALUE ? 0 : seriesMax, chunkMax == Long.MIN_VALUE ? 0 : chunkMax);
    }
  }
}
