package io.tsdbcompactor.block;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a block thoroughly and reports every problem found, not only the first:
 * <ul>
 *   <li>meta.json parses, has version 1 and minTime &lt; maxTime;
 *   <li>every chunk segment: header, each record's length and CRC32C, records filling the file;
 *   <li>the index: TOC, symbol table, series entries and postings with their CRCs, sorted unique symbols,
 *       series in strictly ascending label order, postings sorted and in range ({@link IndexReader#verify});
 *   <li>per series: each chunk reference points at a readable record in a segment, chunk time ranges lie in
 *       the block's [minTime, maxTime) (maxTime is exclusive), a chunk starts after the previous one ends,
 *       XOR, histogram and float-histogram chunks decode with the sample count of their header and timestamps
 *       ascending inside the chunk's range;
 *   <li>the tombstones file (magic, version, CRC);
 *   <li>meta.json's stats equal what the data holds (numSeries, numChunks, numSamples; numFloatSamples and
 *       numHistogramSamples when the meta has either and the block is not downsampled; numTombstones).
 * </ul>
 * Each problem is one line: {@code block <dir>: <file> ...: what is wrong}. A damaged index or segment file
 * still lets the other files be checked; the per-series walk stops where the index can no longer be read.
 */
public final class BlockVerifier {
  /** Problems kept per block, so a block broken everywhere does not flood the output. */
  public static final int MAX_PROBLEMS = 200;

  private final Directory dir;
  private final String block;
  private final List<String> problems = new ArrayList<>();
  private int dropped;

  private BlockVerifier(Directory dir) {
    this.dir = dir;
    this.block = "block " + dir.describe() + ": ";
  }

  /** Every problem of the block, each naming the block and file; empty when the block is sound. */
  public static List<String> verify(Directory blockDir) {
    BlockVerifier v = new BlockVerifier(blockDir);
    v.run();
    if (v.dropped > 0) {
      v.problems.add(v.block + v.dropped + " more problems not listed");
    }
    return v.problems;
  }

  private void problem(String message) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(block + message);
    } else {
      dropped++;
    }
  }

  private void problem(Exception e) {
    String m = e.getMessage();
    if (e instanceof NoSuchFileException) {
      m = ((NoSuchFileException) e).getFile() + ": file is missing";
    }
    problem(m == null ? e.toString() : m);
  }

  private void run() {
    BlockMeta meta = null;
    try {
      meta = BlockReader.readMeta(dir);
      if (meta.minTime >= meta.maxTime) {
        problem("meta.json: minTime " + meta.minTime + " is not before maxTime " + meta.maxTime);
      }
    } catch (IOException | RuntimeException e) {
      problem(e);
    }

    ChunkSegmentReader chunks = null;
    try {
      chunks = new ChunkSegmentReader(dir);
      chunks.verify();
    } catch (IOException | RuntimeException e) {
      problem(e);
    }

    Tombstones tombstones = null;
    try {
      tombstones = Tombstones.read(dir, Tombstones.FILE_NAME);
    } catch (IOException | RuntimeException e) {
      problem(e);
    }

    IndexReader index = null;
    try {
      index = IndexReader.open(dir, "index");
    } catch (IOException | RuntimeException e) {
      problem(e);
    }
    if (index != null) {
      try {
        index.verify();
      } catch (IOException | RuntimeException e) {
        problem(e);
      }
      walkSeries(index, chunks, meta, tombstones);
      try {
        index.close();
      } catch (IOException ignored) {
        // Read-only; nothing was written.
      }
    }
    if (chunks != null) {
      try {
        chunks.close();
      } catch (IOException ignored) {
        // Read-only; nothing was written.
      }
    }
  }

  private void walkSeries(IndexReader index, ChunkSegmentReader chunks, BlockMeta meta, Tombstones tombstones) {
    String indexName = index.name();
    long numSeries = 0;
    long numChunks = 0;
    long numSamples = 0;
    long numFloat = 0;
    long numHistogram = 0;
    XorIterator xor = new XorIterator();
    HistogramIterator hist = new HistogramIterator();
    SeriesCursor cursor = index.series();
    try {
      while (cursor.next()) {
        IndexSeries s = cursor.at();
        List<ChunkMeta> metas = s.chunks();
        if (!metas.isEmpty()) {
          numSeries++;
        }
        long prevMax = Long.MIN_VALUE;
        for (int i = 0; i < metas.size(); i++) {
          ChunkMeta m = metas.get(i);
          numChunks++;
          String where = indexName + ": series " + s.labels() + " chunk " + i + " [" + m.minTime + ", "
              + m.maxTime + "] at " + ChunkRef.toString(m.ref);
          if (m.maxTime < m.minTime) {
            problem(where + ": chunk ends before it starts");
          }
          if (meta != null && (m.minTime < meta.minTime || m.maxTime >= meta.maxTime)) {
            problem(where + ": chunk outside the block's time range [" + meta.minTime + ", " + meta.maxTime
                + ")");
          }
          if (i > 0 && m.minTime <= prevMax) {
            problem(where + ": chunk starts at or before the previous chunk's end " + prevMax);
          }
          prevMax = m.maxTime;
          if (chunks == null) {
            continue;
          }
          Chunk c;
          try {
            c = chunks.read(m.ref);
          } catch (IOException | RuntimeException e) {
            problem(where + ": " + e.getMessage());
            continue;
          }
          int n = c.numSamples();
          if (n < 0) {
            problem(where + ": cannot tell the sample count of a " + ChunkEncoding.name(c.encoding()) + " chunk");
            n = 0;
          }
          numSamples += n;
          if (c.encoding() == ChunkEncoding.XOR) {
            numFloat += n;
            xor.reset(where, c.data());
            checkSamples(xor, where, m, n);
          } else if (c.encoding() == ChunkEncoding.HISTOGRAM || c.encoding() == ChunkEncoding.FLOAT_HISTOGRAM) {
            numHistogram += n;
            hist.reset(where, c.encoding(), c.data());
            checkSamples(hist, where, m, n);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      problem(e);
      return; // Counts are incomplete: comparing them with meta.json would only add noise.
    }
    if (meta == null || chunks == null) {
      return;
    }
    String metaName = "meta.json: stats.";
    compare(metaName + "numSeries", meta.stats.numSeries, numSeries);
    compare(metaName + "numChunks", meta.stats.numChunks, numChunks);
    compare(metaName + "numSamples", meta.stats.numSamples, numSamples);
    // Prometheus 2.42 does not write the float/histogram split; newer writers (and ours) do. Downsampled
    // blocks keep their source block's split unchanged (Thanos does so), so it says nothing about their data.
    if ((meta.stats.numFloatSamples != 0 || meta.stats.numHistogramSamples != 0) && meta.resolution() == 0) {
      compare(metaName + "numFloatSamples", meta.stats.numFloatSamples, numFloat);
      compare(metaName + "numHistogramSamples", meta.stats.numHistogramSamples, numHistogram);
    }
    if (tombstones != null) {
      compare(metaName + "numTombstones", meta.stats.numTombstones, tombstones.numIntervals());
    }
  }

  private void compare(String what, long inMeta, long actual) {
    if (inMeta != actual) {
      problem(what + " is " + inMeta + " but the block holds " + actual);
    }
  }

  private void checkSamples(SampleIterator xor, String where, ChunkMeta m, int n) {
    try {
      int count = 0;
      long prev = Long.MIN_VALUE;
      while (xor.next()) {
        long t = xor.timestamp();
        if (count > 0 && t <= prev) {
          problem(where + ": sample " + count + " at " + t + " not after the previous one at " + prev);
          return;
        }
        if (t < m.minTime || t > m.maxTime) {
          problem(where + ": sample " + count + " at " + t + " outside the chunk's range in the index");
          return;
        }
        prev = t;
        count++;
      }
      if (count != n) {
        problem(where + ": chunk header says " + n + " samples, decoded " + count);
      }
    } catch (IOException | RuntimeException e) {
      problem(e.getMessage());
    }
  }
}
