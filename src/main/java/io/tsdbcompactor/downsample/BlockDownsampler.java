package io.tsdbcompactor.downsample;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.InOrderParallel;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexStats;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the downsampled copy of one block, as Thanos's {@code downsample.Downsample} does (docs/thanos-compactor.md §5.3,
 * meta.json §2.5).
 *
 * <p>Series are streamed in index order: for each, its chunks are loaded, downsampled by
 * {@link SeriesDownsampler} (on this thread or a helper, {@link InOrderParallel}) and written in index order to the
 * new chunk segments and index, so memory holds a few batches of series (plus the index writer's symbols and
 * postings), never the block.
 *
 * <ul>
 *   <li>Every symbol of the source index is carried over, even those only used by series that end up empty,
 *       as Thanos's streamed writer does.
 *   <li>A series whose chunk time ranges overlap is an error (Thanos: "found overlapping chunks within series").
 *   <li>Raw input: XOR chunks are expanded (stale markers and backward samples dropped) and downsampled.
 *   <li>Aggregated input: AggrChunks are re-aggregated along chunk boundaries; a stray non-empty XOR chunk is
 *       first turned into 5m AggrChunks and an empty one skipped, as Thanos does.
 *   <li>Native histograms: histogram chunks become histogram AggrChunks (XOR count, float-histogram sum and
 *       counter, see {@code HistogramDownsampler}); histogram AggrChunks are re-aggregated. A series' float and
 *       histogram chunks are downsampled in separate runs split at every switch, as Thanos splits them. Only
 *       custom-bucket histograms (schema -53, which Thanos cannot downsample either) are left out, counted in
 *       {@link Result#skippedHistogramChunks()}.
 *   <li>Tombstones of the source are not applied (Thanos reads the index and chunks directly, too).
 * </ul>
 *
 * <p>Output: {@code chunks/NNNNNN}, {@code index}, an empty {@code tombstones} file (Thanos writes none; an
 * empty one reads the same everywhere and lets Prometheus-style readers open the block), then
 * {@code meta.json} last. The meta is the source meta with a new ULID, {@code thanos.downsample.resolution}
 * set, {@code thanos.source = "compactor"}, {@code thanos.segment_files} listed, {@code numSeries},
 * {@code numChunks} and {@code numSamples} (windows, i.e. count samples) recomputed, and
 * {@code index_stats} recomputed where positive; compaction level, sources and parents are inherited
 * unchanged. {@code thanos.files} and {@code upload_time} describe an upload and are cleared; the uploader sets
 * them.
 */
public final class BlockDownsampler {
  private static final Logger LOG = LoggerFactory.getLogger(BlockDownsampler.class);

  /** What a run wrote and what it had to leave out. */
  public record Result(BlockMeta meta, long skippedHistogramChunks) {}

  private BlockDownsampler() {}

  /**
   * The header of the block downsampling {@code source} to {@code resolution} produces: the source's meta.json
   * (time range, compaction level and sources inherited) under a new ULID, with the new resolution, source
   * "compactor" and no files yet. Stats and segment files are the downsampler's to fill in; the dry run plans
   * with the header alone.
   */
  public static BlockMeta outputMeta(BlockMeta source, long resolution, String ulid) {
    BlockMeta meta = source.copy();
    meta.ulid = ulid;
    meta.version = 1;
    BlockMeta.Thanos th = meta.thanos();
    th.resolution = resolution;
    th.source = "compactor";
    th.segmentFiles = new ArrayList<>();
    th.files = new ArrayList<>();
    th.uploadTime = BlockMeta.ZERO_TIME;
    return meta;
  }

  /**
   * Downsamples the block in {@code in} to {@code resolution} into the empty directory {@code out} as block
   * {@code ulid} (the caller names {@code out} after it) and returns what was written. On failure the files
   * written to {@code out} are removed.
   */
  public static Result downsample(Directory in, Directory out, long resolution, Ulid ulid) throws IOException {
    String metaName = in.describe() + "/" + BlockMeta.FILE_NAME;
    return downsample(in, BlockMeta.parse(metaName, in.readAll(BlockMeta.FILE_NAME)), out, resolution, ulid);
  }

  /**
   * As {@link #downsample(Directory, Directory, long, Ulid)}, for a block whose meta.json the caller has already
   * read: one still being downloaded has none in its directory yet.
   */
  public static Result downsample(Directory in, BlockMeta source, Directory out, long resolution, Ulid ulid)
      throws IOException {
    if (source.resolution() >= resolution) {
      throw new IllegalArgumentException("block " + source.ulid + ": target resolution " + resolution
          + " not lower than existing one (" + source.resolution() + ")");
    }
    try {
      return write(in, out, source, resolution, ulid);
    } catch (IOException | RuntimeException e) {
      removeOutput(out);
      throw e;
    }
  }

  /** What the sink of {@link #write} adds up. */
  private static final class Totals {
    long skippedHistograms;
    long numSeries;
    long numChunks;
    long numSamples;
  }

  /**
   * Streams the series: this thread reads each one's chunks and writes its downsampled chunks; the downsampling
   * itself (decoding, aggregating, encoding: nearly all of the work) runs here and on a helper thread
   * ({@link InOrderParallel}), series by series, written in index order.
   */
  private static Result write(Directory in, Directory out, BlockMeta source, long resolution, Ulid ulid)
      throws IOException {
    Totals totals = new Totals();
    ChunkSegmentWriter chunkWriter = new ChunkSegmentWriter(out);
    IndexWriter indexWriter = null;
    try (IndexReader index = IndexReader.open(in, "index");
        ChunkSegmentReader chunks = new ChunkSegmentReader(in)) {
      indexWriter = new IndexWriter(out, "index");
      StringCursor symbols = index.symbols();
      while (symbols.next()) {
        indexWriter.addSymbol(symbols.value());
      }
      IndexWriter indexOut = indexWriter;
      InOrderParallel.Sink<SeriesJob> sink = job -> {
        totals.skippedHistograms += job.skippedHistograms;
        if (job.result.isEmpty()) {
          // As Thanos: a series left without chunks is not written; its symbols stay.
          return;
        }
        for (ChunkMeta c : job.result) {
          c.ref = chunkWriter.write(c.chunk);
          totals.numSamples += c.chunk.numSamples();
        }
        indexOut.addSeries(job.series.labels(), job.result);
        totals.numSeries++;
        totals.numChunks += job.result.size();
      };
      long inRes = source.resolution();
      try (InOrderParallel<SeriesJob> jobs = new InOrderParallel<>("block-downsample",
          () -> new SeriesWork(in, inRes, resolution), sink, InOrderParallel.SERIES_BATCH_ITEMS,
          InOrderParallel.SERIES_BATCH_BYTES, true)) {
        SeriesCursor cursor = index.series();
        while (true) {
          SeriesJob next;
          long bytes = 0;
          try {
            if (!cursor.next()) {
              break;
            }
            IndexSeries s = cursor.at();
            checkNoOverlap(index, s);
            List<ChunkMeta> metas = s.chunks();
            Chunk[] read = new Chunk[metas.size()];
            for (int i = 0; i < read.length; i++) {
              read[i] = chunks.read(metas.get(i).ref);
              bytes += read[i].data().length;
            }
            // The labels weigh too: a label value can outweigh the chunks.
            bytes += s.labels().textLength();
            next = new SeriesJob(s, read);
          } catch (IOException | RuntimeException e) {
            // A series read before this one may have failed its downsampling: that is the failure to report.
            jobs.finish();
            throw e;
          }
          jobs.add(next, bytes);
        }
        jobs.finish();
      }
      chunkWriter.close();
      indexWriter.close();
    } catch (IOException | RuntimeException e) {
      chunkWriter.abort();
      if (indexWriter != null) {
        indexWriter.abort();
      }
      throw e;
    }
    long skippedHistograms = totals.skippedHistograms;
    long numSeries = totals.numSeries;
    long numChunks = totals.numChunks;
    long numSamples = totals.numSamples;
    Tombstones.writeEmpty(out);

    BlockMeta meta = outputMeta(source, resolution, ulid.toString());
    BlockMeta.Thanos th = meta.thanos();
    for (String f : chunkWriter.segmentFiles()) {
      th.segmentFiles.add(f.substring(f.lastIndexOf('/') + 1));
    }
    meta.stats.numSeries = numSeries;
    meta.stats.numChunks = numChunks;
    meta.stats.numSamples = numSamples;
    IndexStats sizes = IndexStats.measure(out);
    if (sizes.seriesMaxSize() > 0) {
      th.seriesMaxSize = sizes.seriesMaxSize();
    }
    if (sizes.chunkMaxSize() > 0) {
      th.chunkMaxSize = sizes.chunkMaxSize();
    }
    out.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
    if (skippedHistograms > 0) {
      LOG.warn("block {} -> {} at {}: left out {} native histogram chunks with custom buckets (not"
          + " supported by downsampling)", source.ulid, meta.ulid, Resolution.name(resolution), skippedHistograms);
    }
    return new Result(meta, skippedHistograms);
  }

  /** One series between reading and writing: its chunks as read, then its downsampled chunks. */
  private static final class SeriesJob {
    final IndexSeries series;
    final Chunk[] chunks;
    final List<ChunkMeta> result = new ArrayList<>();
    long skippedHistograms;

    SeriesJob(IndexSeries series, Chunk[] chunks) {
      this.series = series;
      this.chunks = chunks;
    }
  }

  /** Downsamples series; one per thread, because the downsampler and the iterators keep scratch state. */
  private static final class SeriesWork implements InOrderParallel.Work<SeriesJob> {
    private final long inRes;
    private final long resolution;
    private final SeriesDownsampler series = new SeriesDownsampler();
    private final ChunkNames chunkNames;
    private final List<AggrChunk> run = new ArrayList<>();
    private final XorIterator xor = new XorIterator();
    private final HistogramIterator hist = new HistogramIterator();
    private final ChunkRun rawRun = new ChunkRun();

    SeriesWork(Directory in, long inRes, long resolution) {
      this.chunkNames = new ChunkNames(in);
      this.inRes = inRes;
      this.resolution = resolution;
    }

    @Override
    public void run(SeriesJob job) throws IOException {
      if (inRes == Resolution.RAW) {
        raw(job);
      } else {
        aggregated(job);
      }
    }

    /**
     * Downsamples the series' raw chunks run by run: Thanos cuts a series at every switch between float and histogram
     * chunks and downsamples each run on its own.
     */
    private void raw(SeriesJob job) throws IOException {
      Chunk[] chunks = job.chunks;
      for (int from = 0, to; from < chunks.length; from = to) {
        boolean histograms = isHistogram(job, from);
        to = from + 1;
        while (to < chunks.length && isHistogram(job, to) == histograms) {
          to++;
        }
        rawRun.set(job, from, to);
        try {
          if (histograms) {
            job.skippedHistograms += series.downsampleRawHistograms(rawRun, resolution, job.result);
          } else {
            series.downsampleRaw(rawRun, resolution, job.result);
          }
        } catch (CorruptDataException e) {
          // The decoders name the segment file; the chunk's full name is built only for an error (see ChunkNames).
          long ref = rawRun.openedRef();
          throw chunkNames.file(ref).equals(e.file()) ? e.in(chunkNames.of(ref)) : e;
        }
      }
    }

    /** Whether raw chunk {@code i} of the series is a histogram chunk rather than an XOR chunk; else an error. */
    private boolean isHistogram(SeriesJob job, int i) throws CorruptDataException {
      int encoding = job.chunks[i].encoding();
      if (encoding == ChunkEncoding.XOR) {
        return false;
      }
      if (encoding == ChunkEncoding.HISTOGRAM || encoding == ChunkEncoding.FLOAT_HISTOGRAM) {
        return true;
      }
      throw new CorruptDataException(chunkNames.of(job.series.chunks().get(i).ref), 0, "a raw block holds a chunk of"
          + " encoding " + ChunkEncoding.name(encoding) + " in series " + job.series.labels());
    }

    /**
     * One run of a series' raw chunks as the downsampler reads it, perhaps twice; each chunk is decoded under its
     * segment file's name.
     */
    private final class ChunkRun implements SeriesDownsampler.RawRun {
      private SeriesJob job;
      private int from;
      private int size;
      /** The chunk opened last: the one a decoding error comes from. */
      private int opened;

      void set(SeriesJob job, int from, int to) {
        this.job = job;
        this.from = from;
        this.size = to - from;
        this.opened = from;
      }

      long openedRef() {
        return job.series.chunks().get(opened).ref;
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public int numSamples(int i) {
        return job.chunks[from + i].numSamples();
      }

      @Override
      public SampleIterator floats(int i) {
        Chunk c = open(i);
        xor.reset(chunkNames.file(openedRef()), c.data());
        return xor;
      }

      @Override
      public HistogramIterator histograms(int i) {
        Chunk c = open(i);
        hist.reset(chunkNames.file(openedRef()), c.encoding(), c.data());
        return hist;
      }

      private Chunk open(int i) {
        opened = from + i;
        return job.chunks[opened];
      }
    }

    private void aggregated(SeriesJob job) throws IOException {
      List<ChunkMeta> metas = job.series.chunks();
      List<ChunkMeta> result = job.result;
      run.clear();
      boolean histogramRun = false;
      long runMin = 0;
      long runMax = 0;
      for (int i = 0; i < job.chunks.length; i++) {
        ChunkMeta m = metas.get(i);
        Chunk c = job.chunks[i];
        String where = chunkNames.of(m.ref);
        List<ChunkMeta> converted = null;
        boolean histogram;
        if (c.encoding() == ChunkEncoding.AGGR) {
          histogram = AggrChunk.parse(where, c).isHistogram();
          converted = List.of(new ChunkMeta(m.minTime, m.maxTime, m.ref, c));
        } else if (c.encoding() == ChunkEncoding.XOR) {
          if (c.numSamples() == 0) {
            // Thanos issue 5272: downsampled blocks may hold empty XOR chunks; they carry nothing.
            continue;
          }
          histogram = false;
          converted = new ArrayList<>();
          SeriesDownsampler conv = new SeriesDownsampler();
          xor.reset(where, c.data());
          conv.addRaw(xor);
          conv.flushRaw(Resolution.FIVE_MINUTES, converted);
        } else if (c.encoding() == ChunkEncoding.HISTOGRAM || c.encoding() == ChunkEncoding.FLOAT_HISTOGRAM) {
          // As a stray XOR chunk: Thanos turns it into 5m AggrChunks first.
          histogram = true;
          converted = new ArrayList<>();
          SeriesDownsampler conv = new SeriesDownsampler();
          hist.reset(where, c.encoding(), c.data());
          if (!conv.addRawHistograms(hist)) {
            job.skippedHistograms++;
            continue;
          }
          conv.flushRawHistograms(Resolution.FIVE_MINUTES, converted);
        } else {
          throw new CorruptDataException(where, 0, "unexpected chunk encoding " + ChunkEncoding.name(c.encoding())
              + " in downsampled series " + job.series.labels());
        }
        if (converted.isEmpty()) {
          continue;
        }
        if (!run.isEmpty() && histogram != histogramRun) {
          flushAggr(series, run, histogramRun, runMin, runMax, inRes, resolution, result);
          run.clear();
        }
        histogramRun = histogram;
        for (ChunkMeta cm : converted) {
          if (run.isEmpty()) {
            runMin = cm.minTime;
          }
          run.add(AggrChunk.parse(where, cm.chunk));
          runMax = cm.maxTime;
        }
      }
      flushAggr(series, run, histogramRun, runMin, runMax, inRes, resolution, result);
    }
  }

  private static void flushAggr(SeriesDownsampler series, List<AggrChunk> run, boolean histograms, long mint,
      long maxt, long inRes, long outRes, List<ChunkMeta> result) throws CorruptDataException {
    if (run.isEmpty()) {
      return;
    }
    if (histograms) {
      series.downsampleHistogramAggr(run, mint, maxt, inRes, outRes, result);
    } else {
      series.downsampleAggr(run, mint, maxt, inRes, outRes, result);
    }
  }

  private static void checkNoOverlap(IndexReader index, IndexSeries s) throws CorruptDataException {
    List<ChunkMeta> c = s.chunks();
    for (int i = 1; i < c.size(); i++) {
      if (c.get(i - 1).maxTime >= c.get(i).minTime) {
        throw new CorruptDataException(index.name(), s.ref() * 16, "found overlapping chunks within series "
            + s.ref() + " " + s.labels() + ". Chunks expected to be ordered by min time and non-overlapping, got: "
            + c);
      }
    }
  }

  /**
   * Where a chunk is, for error messages: {@link #of} names the chunk ({@code <dir>/chunks/000001 ref
   * chunks/000001@<offset>}), {@link #file} only its segment file, made once per segment. Raw chunks are decoded
   * under the file's name and get the chunk's name only when they fail: building it for every chunk cost more than
   * decoding the chunk, and half the downsampling's allocations.
   */
  private static final class ChunkNames {
    private final Directory dir;
    private String[] files = new String[1];

    ChunkNames(Directory dir) {
      this.dir = dir;
    }

    String of(long ref) {
      return file(ref) + " ref " + ChunkRef.toString(ref);
    }

    String file(long ref) {
      int seg = ChunkRef.segmentIndex(ref);
      if (seg < 0 || seg > 1 << 20) {
        return dir.describe() + "/" + ChunkRef.segmentFileName(seg);
      }
      if (seg >= files.length) {
        files = java.util.Arrays.copyOf(files, Math.max(seg + 1, 2 * files.length));
      }
      String file = files[seg];
      if (file == null) {
        file = files[seg] = dir.describe() + "/" + ChunkRef.segmentFileName(seg);
      }
      return file;
    }
  }

  private static void removeOutput(Directory out) {
    try {
      for (String f : out.listAll()) {
        if (f.equals("index") || f.equals(BlockMeta.FILE_NAME) || f.equals(Tombstones.FILE_NAME)
            || f.startsWith("chunks/")) {
          out.delete(f);
        }
      }
    } catch (IOException e) {
      LOG.warn("could not clean up partial downsampled block in {}: {}", out.describe(), e.toString());
    }
  }
}
