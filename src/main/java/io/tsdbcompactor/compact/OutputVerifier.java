package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexStats;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import java.io.IOException;
import java.util.List;

/**
 * Checks a block written by {@link BlockMerger} before it is uploaded ({@link BlockVerifier}: every file, CRC,
 * order, range, decodable XOR and histogram chunk, aggregate chunk entries and meta.json stat), and computes the
 * {@code index_stats} Thanos records (GatherIndexHealthStats, docs/thanos-compactor.md §2.6).
 */
public final class OutputVerifier {
  private OutputVerifier() {}

  /** Checks the block as {@code verification} says; throws {@link CorruptDataException} if it is not sound. */
  public static void verify(Directory dir, BlockMeta meta, CompactorOptions.Verification verification)
      throws IOException {
    if (verification == CompactorOptions.Verification.FULL) {
      verify(dir);
    } else {
      verifyStructure(dir, meta);
    }
  }

  /**
   * Checks the block as {@code verification} says and returns its index stats, measured on the verifier's own
   * walk of the index when the verification is full (one pass instead of two).
   */
  public static IndexStats verifyAndMeasure(Directory dir, BlockMeta meta,
      CompactorOptions.Verification verification) throws IOException {
    if (verification != CompactorOptions.Verification.FULL) {
      verifyStructure(dir, meta);
      return IndexStats.measure(dir);
    }
    BlockVerifier.Report r = BlockVerifier.check(dir);
    throwIfProblems(dir, r.problems());
    return new IndexStats(Math.max(0, r.seriesMaxSize()), Math.max(0, r.chunkMaxSize()));
  }

  /**
   * The structure without decoding chunks: the whole index (CRCs, order, postings), every chunk record (length,
   * CRC), each series' chunks inside [minTime, maxTime), ordered, not overlapping, their references landing on
   * records, and the series and chunk counts of meta.json.
   */
  public static void verifyStructure(Directory dir, BlockMeta meta) throws IOException {
    String where = dir.describe();
    try (IndexReader index = IndexReader.open(dir, "index");
        ChunkSegmentReader chunks = new ChunkSegmentReader(dir)) {
      long series = index.verify();
      long records = chunks.verify();
      long chunkCount = 0;
      SeriesCursor cursor = index.series();
      while (cursor.next()) {
        IndexSeries s = cursor.at();
        List<ChunkMeta> cs = s.chunks();
        if (cs.isEmpty()) {
          throw new CorruptDataException(where + "/index", s.ref() * 16, "series " + s.labels() + " has no chunks");
        }
        long prevMax = Long.MIN_VALUE;
        for (ChunkMeta c : cs) {
          if (c.minTime < meta.minTime || c.maxTime >= meta.maxTime || c.maxTime < c.minTime
              || c.minTime <= prevMax) {
            throw new CorruptDataException(where + "/index", s.ref() * 16, "series " + s.labels() + " chunk ["
                + c.minTime + "," + c.maxTime + "] outside [" + meta.minTime + "," + meta.maxTime
                + ") or not after the previous chunk's end " + prevMax);
          }
          prevMax = c.maxTime;
          chunks.read(c.ref);
        }
        chunkCount += cs.size();
      }
      if (series != meta.stats.numSeries || chunkCount != meta.stats.numChunks || records != chunkCount) {
        throw new CorruptDataException(where, 0, "meta.json says " + meta.stats.numSeries + " series and "
            + meta.stats.numChunks + " chunks; the index has " + series + " series and " + chunkCount
            + " chunk references, the segments " + records + " chunks");
      }
    }
  }

  /** {@link BlockVerifier}; throws {@link CorruptDataException} listing the problems if the block is not sound. */
  public static void verify(Directory dir) throws CorruptDataException {
    throwIfProblems(dir, BlockVerifier.verify(dir));
  }

  private static void throwIfProblems(Directory dir, List<String> problems) throws CorruptDataException {
    if (!problems.isEmpty()) {
      throw new CorruptDataException(dir.describe(), 0, problems.size() + " problems: "
          + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
    }
  }
}
