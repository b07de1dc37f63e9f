package io.tsdbcompactor.block;

import io.tsdbcompactor.chunk.AggrChunkLayout;
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
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.ScratchInts;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
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
 *       ascending inside the chunk's range; Thanos's aggregate chunks have their five entries inside the data,
 *       with encodings their aggregates can have and one window count ({@link AggrChunkLayout#check}), their
 *       samples not decoded;
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
  /** References of the chunk records whose CRC the segment walk checked, ascending. */
  private final RefList goodRecords;
  private long seriesMaxSize = -1;
  private long chunkMaxSize = -1;

  private BlockVerifier(Directory dir) {
    this.dir = dir;
    this.block = "block " + dir.describe() + ": ";
    this.goodRecords = new RefList(dir);
  }

  /**
   * What {@link #check} found: the problems, and Thanos's index health sizes measured on the same walk
   * ({@code series_max_size}: largest gap between successive series references x16; {@code chunk_max_size}:
   * largest gap between successive chunk references of a series in one segment, each series' last two chunks
   * skipped as Thanos does). A size is -1 when nothing was measured or the walk stopped early.
   */
  public record Report(List<String> problems, long seriesMaxSize, long chunkMaxSize) {}

  /** Every problem of the block, each naming the block and file; empty when the block is sound. */
  public static List<String> verify(Directory blockDir) {
    return check(blockDir).problems();
  }

  /** {@link #verify}, with the index health sizes of the same pass. */
  public static Report check(Directory blockDir) {
    BlockVerifier v = new BlockVerifier(blockDir);
    v.run();
    if (v.dropped > 0) {
      v.problems.add(v.block + v.dropped + " more problems not listed");
    }
    return new Report(v.problems, v.seriesMaxSize, v.chunkMaxSize);
  }

  private synchronized void problem(String message) {
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
      chunks.verify(goodRecords::add);
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
    goodRecords.close();
  }

  private void walkSeries(IndexReader index, ChunkSegmentReader chunks, BlockMeta meta, Tombstones tombstones) {
    long numSeries = 0;
    long numChunks = 0;
    long numSamples = 0;
    long numFloat = 0;
    long numHistogram = 0;
    ParallelDecoder decoder = new ParallelDecoder();
    HistogramIterator hist = new HistogramIterator();
    ChunkSegmentReader.RecordView view = new ChunkSegmentReader.RecordView();
    long seriesMax = -1;
    long chunkMax = -1;
    long prevRef = -1;
    SeriesCursor cursor = index.series();
    try {
      while (cursor.next()) {
        IndexSeries s = cursor.at();
        List<ChunkMeta> metas = s.chunks();
        if (!metas.isEmpty()) {
          numSeries++;
        }
        if (prevRef >= 0) {
          seriesMax = Math.max(seriesMax, (s.ref() - prevRef) * 16);
        }
        prevRef = s.ref();
        for (int i = 0; i < metas.size() - 2; i++) {
          long a = metas.get(i).ref;
          long b = metas.get(i + 1).ref;
          if (ChunkRef.segmentIndex(a) == ChunkRef.segmentIndex(b)) {
            chunkMax = Math.max(chunkMax, ChunkRef.offset(b) - ChunkRef.offset(a));
          }
        }
        long prevMax = Long.MIN_VALUE;
        for (int i = 0; i < metas.size(); i++) {
          ChunkMeta m = metas.get(i);
          numChunks++;
          // Messages (and the location string) are built only when something is wrong.
          if (m.maxTime < m.minTime) {
            problem(where(index, s, i, m) + ": chunk ends before it starts");
          }
          if (meta != null && (m.minTime < meta.minTime || m.maxTime >= meta.maxTime)) {
            problem(where(index, s, i, m) + ": chunk outside the block's time range [" + meta.minTime + ", "
                + meta.maxTime + ")");
          }
          if (i > 0 && m.minTime <= prevMax) {
            problem(where(index, s, i, m) + ": chunk starts at or before the previous chunk's end " + prevMax);
          }
          prevMax = m.maxTime;
          if (chunks == null) {
            continue;
          }
          int encoding;
          byte[] data;
          int length;
          try {
            if (goodRecords.contains(m.ref)) {
              // The segment walk checked this record's CRC: read it without computing the CRC again.
              chunks.readChecked(m.ref, view);
              encoding = view.encoding;
              data = view.data;
              length = view.length;
            } else {
              // Not a record whose CRC matched (damaged, or not at a record start): the checked read says why.
              Chunk c = chunks.read(m.ref);
              encoding = c.encoding();
              data = c.data();
              length = data.length;
            }
          } catch (IOException | RuntimeException e) {
            problem(where(index, s, i, m) + ": " + e.getMessage());
            continue;
          }
          int n;
          if (encoding == ChunkEncoding.AGGR) {
            // Entries, encodings and window counts; the samples are not decoded (CompactorOptions.Verification).
            try {
              n = AggrChunkLayout.check("chunk", data, length);
            } catch (CorruptDataException e) {
              problem(where(index, s, i, m) + ": " + e.getMessage());
              n = 0;
            }
          } else {
            n = Chunk.numSamples(encoding, data, length);
          }
          if (n < 0) {
            problem(where(index, s, i, m) + ": cannot tell the sample count of a " + ChunkEncoding.name(encoding)
                + " chunk");
            n = 0;
          }
          numSamples += n;
          if (encoding == ChunkEncoding.XOR) {
            numFloat += n;
            decoder.add(index, s, i, m, data, length, n);
          } else if (encoding == ChunkEncoding.HISTOGRAM || encoding == ChunkEncoding.FLOAT_HISTOGRAM) {
            numHistogram += n;
            // Histogram chunks are decoded inline: they are rare next to XOR chunks.
            hist.reset("chunk", encoding, data, 0, length);
            checkSamples(hist, index, s, i, m, n);
          }
        }
      }
      decoder.finish();
    } catch (IOException | RuntimeException e) {
      decoder.finish();
      problem(e);
      return; // Counts are incomplete: comparing them with meta.json would only add noise.
    }
    seriesMaxSize = seriesMax;
    chunkMaxSize = chunkMax;
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

  /** Where a chunk is, for a problem's message: index, series, chunk number, range and reference. */
  private static String where(IndexReader index, IndexSeries s, int i, ChunkMeta m) {
    return index.name() + ": series " + s.labels() + " chunk " + i + " [" + m.minTime + ", " + m.maxTime + "] at "
        + ChunkRef.toString(m.ref);
  }

  private void compare(String what, long inMeta, long actual) {
    if (inMeta != actual) {
      problem(what + " is " + inMeta + " but the block holds " + actual);
    }
  }

  private void checkXor(XorIterator xor, IndexReader index, IndexSeries s, int i, ChunkMeta m, byte[] data,
      int offset, int length, int n) {
    xor.reset("chunk", data, offset, length);
    checkSamples(xor, index, s, i, m, n);
  }

  /** Decodes the chunk the iterator was reset to: its sample count, order and range against the index. */
  private void checkSamples(SampleIterator xor, IndexReader index, IndexSeries s, int i, ChunkMeta m, int n) {
    try {
      int count = 0;
      long prev = Long.MIN_VALUE;
      long minT = m.minTime;
      long maxT = m.maxTime;
      while (xor.next()) {
        long t = xor.timestamp();
        if (count > 0 && t <= prev) {
          problem(where(index, s, i, m) + ": sample " + count + " at " + t + " not after the previous one at " + prev);
          return;
        }
        if (t < minT || t > maxT) {
          problem(where(index, s, i, m) + ": sample " + count + " at " + t + " outside the chunk's range in the index");
          return;
        }
        prev = t;
        count++;
      }
      if (count != n) {
        problem(where(index, s, i, m) + ": chunk header says " + n + " samples, decoded " + count);
      }
    } catch (IOException | RuntimeException e) {
      problem(where(index, s, i, m) + ": " + e.getMessage());
    }
  }

  /**
   * Decodes the XOR chunks of the series walk in batches: a batch goes to one helper thread when it is idle,
   * else the walking thread decodes it itself. Full decoding costs more than the rest of the walk, so on two or
   * more cores this takes most of it off the walking thread; on one core everything runs inline.
   */
  private final class ParallelDecoder {
    private static final int BATCH_CHUNKS = 256;
    private static final boolean PARALLEL = Runtime.getRuntime().availableProcessors() > 1;
    private final XorIterator xor = new XorIterator();
    private final java.util.concurrent.SynchronousQueue<Batch> handOff = new java.util.concurrent.SynchronousQueue<>();
    private final java.util.concurrent.ArrayBlockingQueue<Batch> free = new java.util.concurrent.ArrayBlockingQueue<>(4);
    private Thread helper;
    private volatile Throwable helperFailure;
    private Batch current = new Batch();

    void add(IndexReader index, IndexSeries s, int i, ChunkMeta m, byte[] data, int length, int n) {
      current.add(index, s, i, m, data, length, n);
      if (current.count == BATCH_CHUNKS) {
        dispatch();
      }
    }

    private void dispatch() {
      Batch b = current;
      if (PARALLEL) {
        if (helper == null) {
          helper = new Thread(this::helperLoop, "block-verifier-decode");
          helper.setDaemon(true);
          helper.start();
        }
        if (handOff.offer(b)) { // taken only if the helper is waiting: it is idle
          Batch next = free.poll();
          current = next != null ? next : new Batch();
          return;
        }
      }
      b.decode(xor);
      b.clear();
    }

    private void helperLoop() {
      XorIterator own = new XorIterator();
      try {
        while (true) {
          Batch b = handOff.take();
          if (b.count < 0) {
            return;
          }
          b.decode(own);
          b.clear();
          free.offer(b);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Throwable t) {
        helperFailure = t;
      }
    }

    /** Decodes what is left and waits for the helper: every chunk has been checked when this returns. */
    void finish() {
      if (current.count > 0) {
        current.decode(xor);
        current.clear();
      }
      if (helper != null) {
        Batch stop = new Batch();
        stop.count = -1;
        try {
          while (helper.isAlive() && !handOff.offer(stop, 10, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            // The helper is finishing its batch.
          }
          helper.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          problem("verification interrupted before every chunk was decoded");
        }
        helper = null;
      }
      if (helperFailure != null) {
        problem("chunk decoding failed: " + helperFailure);
      }
    }
  }

  /** Chunks to decode: their bytes side by side, with what {@link #checkXor} needs to check and report them. */
  private final class Batch {
    int count;
    byte[] bytes = new byte[64 * 1024];
    int used;
    final int[] offsets = new int[ParallelDecoder.BATCH_CHUNKS + 1];
    final int[] samples = new int[ParallelDecoder.BATCH_CHUNKS];
    final int[] chunkNo = new int[ParallelDecoder.BATCH_CHUNKS];
    final ChunkMeta[] metas = new ChunkMeta[ParallelDecoder.BATCH_CHUNKS];
    final IndexSeries[] series = new IndexSeries[ParallelDecoder.BATCH_CHUNKS];
    IndexReader index;

    void add(IndexReader idx, IndexSeries s, int i, ChunkMeta m, byte[] data, int length, int n) {
      if (used + length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, used + length));
      }
      System.arraycopy(data, 0, bytes, used, length);
      index = idx;
      offsets[count] = used;
      used += length;
      offsets[count + 1] = used;
      samples[count] = n;
      chunkNo[count] = i;
      metas[count] = m;
      series[count] = s;
      count++;
    }

    void decode(XorIterator it) {
      for (int k = 0; k < count; k++) {
        checkXor(it, index, series[k], chunkNo[k], metas[k], bytes, offsets[k], offsets[k + 1] - offsets[k],
            samples[k]);
      }
    }

    void clear() {
      Arrays.fill(metas, 0, Math.max(count, 0), null);
      Arrays.fill(series, 0, Math.max(count, 0), null);
      count = 0;
      used = 0;
    }
  }

  /**
   * A growable list of ascending chunk references, searched by a moving hint (series usually walk refs in
   * order). One per chunk record: kept in the directory's scratch ints (a mapped temporary file on disk), two
   * ints per reference, so a block's chunk count does not weigh on the heap.
   */
  private static final class RefList {
    private final Directory dir;
    private ScratchInts refs;
    private long size;
    private long hint;

    RefList(Directory dir) {
      this.dir = dir;
    }

    void add(long ref) {
      try {
        if (refs == null) {
          refs = dir.createScratch("verify-chunk-refs");
        }
        refs.add((int) (ref >>> 32));
        refs.add((int) ref);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      size++;
    }

    private long at(long i) {
      return ((long) refs.get(2 * i) << 32) | (refs.get(2 * i + 1) & 0xffffffffL);
    }

    boolean contains(long ref) {
      if (hint < size && at(hint) == ref) {
        hint++;
        return true;
      }
      long lo = 0;
      long hi = size - 1;
      while (lo <= hi) {
        long mid = (lo + hi) >>> 1;
        long v = at(mid);
        if (v < ref) {
          lo = mid + 1;
        } else if (v > ref) {
          hi = mid - 1;
        } else {
          hint = mid + 1;
          return true;
        }
      }
      return false;
    }

    void close() {
      if (refs != null) {
        try {
          refs.close();
        } catch (IOException ignored) {
          // A stray scratch file is hidden from listings and goes with the work directory.
        }
        refs = null;
      }
    }
  }
}
