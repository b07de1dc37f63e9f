package io.tsdbcompactor.block;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.Postings;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a block into an empty directory, streaming: chunks go to the segment files and series entries to the
 * index as they are added, so memory grows with the number of series and symbols, never with samples.
 *
 * <p>Order of calls: every symbol (each label name and value used by the series) in ascending byte order with
 * {@link #addSymbol} or {@link #addSymbols}; then series in ascending label order with {@link #addSeries};
 * then {@link #finish}. A failure or {@link #abort()} leaves a directory the caller must delete; meta.json is
 * written last, so a half-written block never looks complete.
 *
 * <pre>{@code
 * BlockWriter w = new BlockWriter(outDir);
 * w.addSymbols(SymbolMerger.merge(readerA.index().symbols(), readerB.index().symbols()));
 * for (each series in label order) w.addSeries(labels, chunkMetasWithChunksLoaded);
 * BlockMeta written = w.finish(template);   // template: ulid, minTime, maxTime, compaction, thanos
 * }</pre>
 *
 * <p>Chunks are written byte for byte as given. Series whose chunk list is empty are skipped, as Prometheus's
 * compactor skips series that lost all their chunks. The written meta.json takes everything from the
 * template except: {@code version} 1, {@code stats} recomputed (numSeries counts written series; numSamples
 * the sum of {@link Chunk#numSamples()}; numFloatSamples only XOR chunks; numHistogramSamples only encodings
 * 2 and 3, so AggrChunks count only in numSamples; numTombstones 0), and when the template has a thanos
 * section, {@code segment_files} (names inside {@code chunks/}) and {@code index_stats} (Thanos's
 * GatherIndexHealthStats: series_max_size = largest (ref - previous ref) * 16; chunk_max_size = largest
 * offset gap between a series' consecutive chunks in one segment, skipping each series' last two chunks;
 * each set only when greater than 0, otherwise the template's value stays).
 */
public final class BlockWriter implements Closeable {
  private final Directory dir;
  private final IndexWriter index;
  private final ChunkSegmentWriter chunks;
  private boolean done;

  private long numSeries;
  private long numChunks;
  private long numSamples;
  private long numFloatSamples;
  private long numHistogramSamples;
  private long chunkMaxSize = Long.MIN_VALUE;
  private long minChunkTime = Long.MAX_VALUE;
  private long maxChunkTime = Long.MIN_VALUE;

  /** A writer into the empty directory {@code dir}, with chunk segment files of Prometheus's default size. */
  public BlockWriter(Directory dir) throws IOException {
    this(dir, ChunkSegmentWriter.DEFAULT_MAX_SEGMENT_BYTES);
  }

  /** A writer starting a new chunk segment file once one reaches {@code maxSegmentBytes}. */
  public BlockWriter(Directory dir, long maxSegmentBytes) throws IOException {
    this.dir = dir;
    this.chunks = new ChunkSegmentWriter(dir, maxSegmentBytes);
    this.index = new IndexWriter(dir, "index");
  }

  /** The directory written to. */
  public Directory directory() {
    return dir;
  }

  /** Adds the next symbol; symbols must be unique and ascending by their UTF-8 bytes. */
  public void addSymbol(String symbol) throws IOException {
    index.addSymbol(symbol);
  }

  /** Adds every symbol of a sorted, duplicate-free cursor (see {@link SymbolMerger}). */
  public void addSymbols(StringCursor sorted) throws IOException {
    while (sorted.next()) {
      index.addSymbol(sorted.value());
    }
  }

  /**
   * Adds a series with its chunks ({@code chunk} fields loaded, time ranges set, ascending and not
   * overlapping: anything else is an IllegalArgumentException, merge overlapping chunks first). The given
   * metas are not modified; references are assigned to copies.
   */
  public void addSeries(Labels labels, List<ChunkMeta> metas) throws IOException {
    if (metas.isEmpty()) {
      return;
    }
    long prevMax = 0;
    for (int i = 0; i < metas.size(); i++) {
      ChunkMeta m = metas.get(i);
      if (m.maxTime < m.minTime || (i > 0 && m.minTime <= prevMax)) {
        // Readers (and Thanos's index health check) require chunks in order without overlap.
        throw new IllegalArgumentException("chunk " + i + " [" + m.minTime + ", " + m.maxTime + "] of series "
            + labels + (i > 0 ? " does not start after the previous chunk's end " + prevMax : " ends before it starts"));
      }
      prevMax = m.maxTime;
    }
    List<ChunkMeta> written = new ArrayList<>(metas.size());
    for (ChunkMeta m : metas) {
      Chunk c = m.chunk;
      if (c == null) {
        throw new IllegalArgumentException("chunk of series " + labels + " at [" + m.minTime + ", " + m.maxTime
            + "] is not loaded");
      }
      long ref = chunks.write(c);
      written.add(new ChunkMeta(m.minTime, m.maxTime, ref, c));
      int n = Math.max(c.numSamples(), 0);
      numSamples += n;
      if (c.encoding() == ChunkEncoding.XOR) {
        numFloatSamples += n;
      } else if (c.encoding() == ChunkEncoding.HISTOGRAM || c.encoding() == ChunkEncoding.FLOAT_HISTOGRAM) {
        numHistogramSamples += n;
      }
      minChunkTime = Math.min(minChunkTime, m.minTime);
      maxChunkTime = Math.max(maxChunkTime, m.maxTime);
    }
    for (int i = 0; i < written.size() - 2; i++) {
      long a = written.get(i).ref;
      long b = written.get(i + 1).ref;
      if (ChunkRef.segmentIndex(a) == ChunkRef.segmentIndex(b)) {
        chunkMaxSize = Math.max(chunkMaxSize, ChunkRef.offset(b) - ChunkRef.offset(a));
      }
    }
    index.addSeries(labels, written);
    numSeries++;
    numChunks += written.size();
  }

  /** Series written so far. */
  public long numSeries() {
    return numSeries;
  }

  /** Chunks written so far. */
  public long numChunks() {
    return numChunks;
  }

  /** Samples written so far. */
  public long numSamples() {
    return numSamples;
  }

  /**
   * Closes the chunk segments and the index, writes an empty tombstones file and then meta.json built from
   * the template (see the class comment). Returns the meta as written.
   */
  public BlockMeta finish(BlockMeta template) throws IOException {
    if (done) {
      throw new IllegalStateException("block writer already finished");
    }
    done = true;
    try {
      chunks.close();
      index.close();
      Tombstones.writeEmpty(dir);
      BlockMeta meta = template.copy();
      meta.version = 1;
      meta.stats.numSeries = numSeries;
      meta.stats.numChunks = numChunks;
      meta.stats.numSamples = numSamples;
      meta.stats.numFloatSamples = numFloatSamples;
      meta.stats.numHistogramSamples = numHistogramSamples;
      meta.stats.numTombstones = 0;
      if (meta.thanos != null) {
        meta.thanos.segmentFiles = new ArrayList<>();
        for (String f : chunks.segmentFiles()) {
          meta.thanos.segmentFiles.add(f.substring(f.lastIndexOf('/') + 1));
        }
        long seriesMaxSize = seriesMaxSize();
        if (seriesMaxSize > 0) {
          meta.thanos.seriesMaxSize = seriesMaxSize;
        }
        if (chunkMaxSize > 0) {
          meta.thanos.chunkMaxSize = chunkMaxSize;
        }
      }
      dir.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
      return meta;
    } catch (IOException | RuntimeException e) {
      chunks.abort();
      index.abort();
      throw e;
    }
  }

  /** Largest gap between consecutive series references times 16, read back from the written index. */
  private long seriesMaxSize() throws IOException {
    long max = Long.MIN_VALUE;
    try (IndexReader r = IndexReader.open(dir, "index")) {
      Postings p = r.allPostings();
      long prev = -1;
      while (p.next()) {
        if (prev >= 0) {
          max = Math.max(max, (p.at() - prev) * 16);
        }
        prev = p.at();
      }
    }
    return max;
  }

  /** Throws away what was written so far (the caller deletes the directory). */
  public void abort() {
    if (!done) {
      done = true;
      chunks.abort();
      index.abort();
    }
  }

  /** Aborts unless {@link #finish} ran. */
  @Override
  public void close() {
    abort();
  }
}
