package io.tsdbcompactor.compact;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.InOrderParallel;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMerger;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.UnmergeableChunksException;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.downsample.AggrChunk;
import io.tsdbcompactor.downsample.AggrChunkMerger;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.Postings;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.ScratchInts;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.tombstones.Interval;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Merges N input blocks into one output block, streaming: the inputs' series are read in label order through
 * one cursor each and k-way merged; for each series only its chunks are held in memory. Memory grows with the
 * number of inputs, the longest series and the output's postings (kept by the index writer), never with the
 * number of samples or the size of the chunk files.
 *
 * <p>What reaches the output, as Prometheus's compactor (tsdb/compact.go, docs/thanos-compactor.md §4.8) decides:
 * <ul>
 *   <li>Symbols: the union of the inputs' symbol tables.</li>
 *   <li>Per input, a series' chunks lose their tombstoned samples (such chunks are decoded and re-encoded; the
 *       others keep their bytes). A chunk outside that block's [minTime, maxTime) makes the block bad
 *       ({@link BadBlockException}), as it makes Thanos halt, except one starting at maxTime (prometheus/tsdb#347),
 *       which is dropped as Thanos's repair drops it.</li>
 *   <li>Per series, the chunks of all inputs go through the {@link SeriesChunkMerger}: chunks that overlap
 *       nothing are copied byte for byte, overlaps are merged (chained merge, or penalty deduplication).</li>
 *   <li>Every chunk the merge re-encoded is decoded and checked before it is written, unless the caller turns
 *       this off because the whole output is fully decoded and verified afterwards
 *       ({@link #withoutReencodedCheck()}).</li>
 *   <li>Series left without chunks are dropped. If no series is left, no block is written.</li>
 *   <li>An input may come with new labels for its series (a rewrite's relabelling): it is then read in the order
 *       of the new labels, series of it that became equal are merged like one series found in several blocks, and
 *       its symbols are those of the new labels.</li>
 * </ul>
 * Written files: {@code chunks/NNNNNN}, {@code index}, {@code meta.json} (last). No tombstones file: Thanos
 * removes it before upload anyway.
 */
public final class BlockMerger {
  /**
   * One input: its meta.json and its directory, and optionally new labels for its series ({@code relabel}: a
   * series' new label set, or null to leave the series out; null = the labels as they are).
   */
  public record Input(BlockMeta meta, Directory dir, Function<Labels, Labels> relabel) {
    public Input(BlockMeta meta, Directory dir) {
      this(meta, dir, null);
    }
  }

  /** What the output's thanos section says (the group's labels, resolution and extensions). */
  public record Output(String ulid, Map<String, String> labels, long resolution, JsonNode extensions) {}

  private final CompactorOptions.DedupFunc dedup;
  private final long maxSegmentBytes;
  private final boolean checkReencoded;
  private final boolean mergeAggregates;
  /** Heap bytes a relabelled input's series are sorted in before runs go to scratch ({@link RelabelledSeries}). */
  private final long relabelSortHeapBytes;

  /**
   * A merger writing chunk segment files of Prometheus's default size (512 MiB); {@code dedup} decides how overlapping
   * chunks of a series are merged.
   */
  public BlockMerger(CompactorOptions.DedupFunc dedup) {
    this(dedup, ChunkSegmentWriter.DEFAULT_MAX_SEGMENT_BYTES);
  }

  /** A merger starting a new chunk segment file once one reaches {@code maxSegmentBytes}. */
  public BlockMerger(CompactorOptions.DedupFunc dedup, long maxSegmentBytes) {
    this(dedup, maxSegmentBytes, true, false, RelabelledSeries.DEFAULT_SERIES_HEAP_BYTES);
  }

  private BlockMerger(CompactorOptions.DedupFunc dedup, long maxSegmentBytes, boolean checkReencoded,
      boolean mergeAggregates, long relabelSortHeapBytes) {
    this.dedup = dedup;
    this.maxSegmentBytes = maxSegmentBytes;
    this.checkReencoded = checkReencoded;
    this.mergeAggregates = mergeAggregates;
    this.relabelSortHeapBytes = relabelSortHeapBytes;
  }

  /**
   * This merger also cutting deletions out of, and merging overlaps of, the aggregate chunks of downsampled blocks
   * ({@link AggrChunkMerger}): for a rewrite, whose deletions and relabelling work on one block. Compactions do
   * not, so overlapping downsampled blocks still fail as unmergeable there.
   */
  public BlockMerger withAggregateMerging() {
    return new BlockMerger(dedup, maxSegmentBytes, checkReencoded, true, relabelSortHeapBytes);
  }

  /**
   * This merger without the decode of each re-encoded chunk before it is written. Only for callers that fully
   * verify the output afterwards ({@code BlockVerifier} decodes every XOR and histogram chunk: sample count, strict
   * order, every sample inside the chunk's range); that check does not require the first and last samples to be
   * exactly the chunk's minTime and maxTime, which the check skipped here does. It does not decode aggregate
   * chunks, so a merger {@link #withAggregateMerging() merging aggregates} should keep this check (compactions do
   * not merge aggregates; rewrites keep the check).
   */
  public BlockMerger withoutReencodedCheck() {
    return new BlockMerger(dedup, maxSegmentBytes, false, mergeAggregates, relabelSortHeapBytes);
  }

  /**
   * This merger sorting a relabelled input's series in {@code heapBytes} of heap (its symbols in half that) before
   * sorted runs go to scratch: tests make it small, so that runs are written and merged.
   */
  BlockMerger withRelabelSortHeapBytes(long heapBytes) {
    return new BlockMerger(dedup, maxSegmentBytes, checkReencoded, mergeAggregates, heapBytes);
  }

  /**
   * Merges the inputs (in minTime order) into {@code out}.
   *
   * @return the output's meta (also written to {@code out/meta.json}), or null if nothing was left to write
   * @throws BadBlockException when an input is corrupt or its chunks cannot be merged, naming the blocks
   */
  public BlockMeta merge(List<Input> inputs, Directory out, Output spec) throws IOException {
    return merge(inputs, out, spec, null);
  }

  /**
   * As {@link #merge(List, Directory, Output)}, leaving out every series {@code drop} accepts (before its chunks
   * are read): how a rewrite deletes whole series.
   */
  public BlockMeta merge(List<Input> inputs, Directory out, Output spec, Predicate<Labels> drop) throws IOException {
    return merge(inputs, out, spec, drop, null, null);
  }

  /**
   * As {@link #merge(List, Directory, Output)}, writing only the series of one partition (docs/partitioned-output.md).
   * Its symbol table holds only the symbols of those series, as Cortex's partitions do: a table shared by every
   * partition would keep each one's index from shrinking with the split. A first pass over the inputs' series
   * entries marks the symbols the partition's series use (no chunk is read). Inputs must not be relabelled.
   */
  public BlockMeta mergePartition(List<Input> inputs, Directory out, Output spec, PartitionInfo partition)
      throws IOException {
    try (SeriesHashes hashes = new SeriesHashes(out)) {
      return mergePartition(inputs, out, spec, partition, hashes);
    }
  }

  /**
   * As {@link #mergePartition(List, Directory, Output, PartitionInfo)}, picking each input's series by the labels
   * hashes in {@code hashes}: the partitions of one compaction share them, so only the first one merged from an
   * input decodes the labels of all its series.
   */
  public BlockMeta mergePartition(List<Input> inputs, Directory out, Output spec, PartitionInfo partition,
      SeriesHashes hashes) throws IOException {
    if (!partition.partitioned()) {
      return merge(inputs, out, spec);
    }
    for (Input in : inputs) {
      if (in.relabel() != null) {
        throw new IllegalArgumentException("a partition of relabelled input " + in.meta().ulid);
      }
    }
    return merge(inputs, out, spec, null, new Partition(partition, hashes), null);
  }

  /**
   * The labels hash ({@link Group#labelsHash}, which decides a series' partition) of every series of the inputs it
   * is asked about, in each input's series order: two scratch ints per series, computed on the first request for
   * an input (the block's ULID) and kept until closed.
   */
  public static final class SeriesHashes implements Closeable {
    private final Directory scratch;
    private final Map<String, ScratchInts> byBlock = new HashMap<>();

    /** Hashes kept in {@code scratch}'s scratch ints. */
    public SeriesHashes(Directory scratch) {
      this.scratch = scratch;
    }

    ScratchInts of(String ulid, IndexReader index) throws IOException {
      ScratchInts hashes = byBlock.get(ulid);
      if (hashes == null) {
        hashes = scratch.createScratch("series-hashes");
        boolean ok = false;
        try {
          Postings all = index.allPostings();
          while (all.next()) {
            long h = Group.labelsHash(index.readSeries(all.at()).labels());
            hashes.add((int) (h >>> 32));
            hashes.add((int) h);
          }
          ok = true;
        } finally {
          if (!ok) {
            hashes.close();
          }
        }
        byBlock.put(ulid, hashes);
      }
      return hashes;
    }

    @Override
    public void close() throws IOException {
      for (ScratchInts h : byBlock.values()) {
        h.close();
      }
      byBlock.clear();
    }
  }

  /** The partition a merge writes, and where its inputs' series hashes are. */
  private record Partition(PartitionInfo info, SeriesHashes hashes) {
    /** The references of {@code index}'s series in this partition, in series order. */
    PartitionRefs refs(String ulid, IndexReader index) throws IOException {
      return new PartitionRefs(index.allPostings(), hashes.of(ulid, index), info);
    }
  }

  /** Walks an input's series references, stopping at those whose stored hash falls in the partition. */
  private static final class PartitionRefs {
    private final Postings all;
    private final ScratchInts hashes;
    private final PartitionInfo partition;
    private long ordinal = -1;

    PartitionRefs(Postings all, ScratchInts hashes, PartitionInfo partition) {
      this.all = all;
      this.hashes = hashes;
      this.partition = partition;
    }

    boolean next() throws CorruptDataException {
      while (all.next()) {
        ordinal++;
        long h = (long) hashes.get(2 * ordinal) << 32 | hashes.get(2 * ordinal + 1) & 0xffffffffL;
        if (partition.holds(h)) {
          return true;
        }
      }
      return false;
    }

    long at() {
      return all.at();
    }
  }

  /**
   * As {@link #merge(List, Directory, Output)} for one input whose series the caller has already sorted under their
   * new labels ({@link RelabelledSeries}): a rewrite sorts them as it reads the block for its deletions, so they are
   * not read and sorted a second time. {@code sorted} stays the caller's to close.
   */
  BlockMeta mergeSorted(Input in, RelabelledSeries sorted, Directory out, Output spec) throws IOException {
    return merge(List.of(in), out, spec, null, null, sorted);
  }

  private BlockMeta merge(List<Input> inputs, Directory out, Output spec, Predicate<Labels> drop,
      Partition partition, RelabelledSeries sorted) throws IOException {
    List<Source> sources = new ArrayList<>(inputs.size());
    try {
      for (int i = 0; i < inputs.size(); i++) {
        sources.add(open(i, inputs.get(i), partition, sorted, out));
      }
      return write(sources, inputs, out, spec, drop, partition);
    } finally {
      for (Source s : sources) {
        s.close();
      }
    }
  }

  // ------------------------------------------------------------------------------------------ inputs

  /** One open input block, positioned at its current series. */
  private static final class Source implements Closeable {
    final int ordinal;
    final String ulid;
    final BlockMeta meta;
    final IndexReader index;
    final ChunkSegmentReader chunks;
    final Tombstones tombstones;
    final SeriesCursor cursor;
    /** The symbols of the series as they reach the output: the index's own, or those of the relabelled series. */
    final StringCursor symbols;
    /** A relabelled input's sorted series and symbols, released with the input; else null. */
    final RelabelledSeries relabelled;
    IndexSeries current;

    Source(int ordinal, BlockMeta meta, IndexReader index, ChunkSegmentReader chunks, Tombstones tombstones,
        SeriesCursor cursor, StringCursor symbols) {
      this(ordinal, meta, index, chunks, tombstones, cursor, symbols, null);
    }

    Source(int ordinal, BlockMeta meta, IndexReader index, ChunkSegmentReader chunks, Tombstones tombstones,
        SeriesCursor cursor, StringCursor symbols, RelabelledSeries relabelled) {
      this.relabelled = relabelled;
      this.ordinal = ordinal;
      this.ulid = meta.ulid;
      this.meta = meta;
      this.index = index;
      this.chunks = chunks;
      this.tombstones = tombstones;
      this.cursor = cursor;
      this.symbols = symbols;
    }

    boolean advance() throws IOException {
      try {
        current = cursor.next() ? cursor.at() : null;
      } catch (CorruptDataException e) {
        throw corrupt(this, e);
      }
      return current != null;
    }

    @Override
    public void close() throws IOException {
      try {
        index.close();
      } finally {
        try {
          chunks.close();
        } finally {
          if (relabelled != null) {
            relabelled.close();
          }
        }
      }
    }
  }

  private static BadBlockException corrupt(Source s, IOException e) {
    return BadBlockException.corrupt(s.ulid, e);
  }

  /**
   * Opens an input: all its series, with {@code partition} those of the partition, or with {@code sorted} those the
   * caller sorted under their new labels. A relabelled input's series are sorted by their new labels first, in runs
   * kept in {@code scratch} (the output's directory).
   */
  private Source open(int ordinal, Input in, Partition partition, RelabelledSeries sorted, Directory scratch)
      throws IOException {
    IndexReader index = null;
    try {
      index = IndexReader.open(in.dir(), "index");
      ChunkSegmentReader chunks = new ChunkSegmentReader(in.dir());
      Tombstones tombstones = Tombstones.read(in.dir(), Tombstones.FILE_NAME);
      if (partition != null) {
        SeriesCursor series = partitionSeries(index, partition.refs(in.meta().ulid, index));
        return new Source(ordinal, in.meta(), index, chunks, tombstones, series, index.symbols());
      }
      if (sorted != null) {
        return new Source(ordinal, in.meta(), index, chunks, tombstones, sorted.series(), sorted.symbols());
      }
      if (in.relabel() == null) {
        return new Source(ordinal, in.meta(), index, chunks, tombstones, index.series(), index.symbols());
      }
      RelabelledSeries r = RelabelledSeries.sort(index, in.relabel(), scratch, relabelSortHeapBytes,
          relabelSortHeapBytes / 2);
      try {
        return new Source(ordinal, in.meta(), index, chunks, tombstones, r.series(), r.symbols(), r);
      } catch (IOException | RuntimeException e) {
        r.close();
        throw e;
      }
    } catch (CorruptDataException | java.nio.file.NoSuchFileException e) {
      if (index != null) {
        index.close();
      }
      throw BadBlockException.corrupt(in.meta().ulid, e);
    }
  }

  /** The series {@code refs} stops at, read as the cursor reaches them. */
  private static SeriesCursor partitionSeries(IndexReader index, PartitionRefs refs) {
    return new SeriesCursor() {
      private IndexSeries current;

      @Override
      public boolean next() throws CorruptDataException {
        current = refs.next() ? index.readSeries(refs.at()) : null;
        return current != null;
      }

      @Override
      public IndexSeries at() {
        return current;
      }
    };
  }

  // ------------------------------------------------------------------------------------------ output

  private BlockMeta write(List<Source> sources, List<Input> inputs, Directory out, Output spec, Predicate<Labels> drop,
      Partition partition) throws IOException {
    ChunkSegmentWriter chunkWriter = new ChunkSegmentWriter(out, maxSegmentBytes);
    IndexWriter indexWriter = new IndexWriter(out, "index");
    BlockMeta.Stats stats = new BlockMeta.Stats();
    boolean ok = false;
    try {
      if (partition != null) {
        writeKeptSymbols(sources, partition, out, indexWriter);
      } else {
        List<StringCursor> all = new ArrayList<>(sources.size());
        for (Source s : sources) {
          all.add(s.symbols);
        }
        writeSymbols(sources, all, indexWriter);
      }
      writeSeries(sources, chunkWriter, indexWriter, stats, drop);
      chunkWriter.close();
      indexWriter.close();
      ok = true;
    } finally {
      if (!ok) {
        chunkWriter.abort();
        indexWriter.abort();
      }
    }
    if (stats.numSeries == 0) {
      for (String f : out.listAll()) {
        out.delete(f);
      }
      return null;
    }
    BlockMeta meta = CompactedMeta.build(spec, inputs, stats, chunkWriter.segmentFiles());
    // Index health stats are read back from the written index by the verifier before upload.
    out.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
    return meta;
  }

  /**
   * Writes the symbols that the partition's series use. For each input, a pass over those series' entries marks
   * the indexes of their symbols in a bit set (scratch ints of the output directory, one bit per symbol of the
   * input's table: the heap stays flat whatever the number of distinct values); then its symbol table is read in
   * order, skipping what is not marked.
   */
  private static void writeKeptSymbols(List<Source> sources, Partition partition, Directory out, IndexWriter w)
      throws IOException {
    List<ScratchInts> marks = new ArrayList<>(sources.size());
    try {
      List<StringCursor> kept = new ArrayList<>(sources.size());
      for (Source s : sources) {
        ScratchInts used = out.createScratch("kept-symbols");
        marks.add(used);
        try {
          used.ensureSize((s.index.symbolCount() + 31L) >>> 5);
          PartitionRefs refs = partition.refs(s.ulid, s.index);
          while (refs.next()) {
            for (int id : s.index.seriesSymbols(refs.at())) {
              used.set(id >>> 5, used.get(id >>> 5) | 1 << (id & 31));
            }
          }
        } catch (CorruptDataException e) {
          throw corrupt(s, e);
        }
        kept.add(marked(s.symbols, used));
      }
      writeSymbols(sources, kept, w);
    } finally {
      for (ScratchInts m : marks) {
        m.close();
      }
    }
  }

  /** The symbols of {@code table}, read in order, whose index is marked in {@code used}. */
  private static StringCursor marked(StringCursor table, ScratchInts used) {
    return new StringCursor() {
      private int index = -1;

      @Override
      public boolean next() throws CorruptDataException {
        while (table.next()) {
          index++;
          if ((used.get(index >>> 5) & 1 << (index & 31)) != 0) {
            return true;
          }
        }
        return false;
      }

      @Override
      public String value() {
        return table.value();
      }
    };
  }

  /**
   * The sorted union of the inputs' symbols, by a k-way merge of their sorted symbol cursors ({@code cursors}, one
   * per source, in the same order).
   */
  private static void writeSymbols(List<Source> sources, List<StringCursor> cursors, IndexWriter w) throws IOException {
    record Head(String value, StringCursor cursor, Source source) {}
    PriorityQueue<Head> heap = new PriorityQueue<>((a, b) -> Labels.compareStrings(a.value, b.value));
    for (int i = 0; i < sources.size(); i++) {
      Source s = sources.get(i);
      StringCursor c = cursors.get(i);
      try {
        if (c.next()) {
          heap.add(new Head(c.value(), c, s));
        }
      } catch (CorruptDataException e) {
        throw corrupt(s, e);
      }
    }
    String last = null;
    while (!heap.isEmpty()) {
      Head h = heap.poll();
      if (last == null || !last.equals(h.value)) {
        w.addSymbol(h.value);
        last = h.value;
      }
      try {
        if (h.cursor.next()) {
          heap.add(new Head(h.cursor.value(), h.cursor, h.source));
        }
      } catch (CorruptDataException e) {
        throw corrupt(h.source, e);
      }
    }
  }

  /**
   * Reads the inputs' series in label order and writes the merged ones in the same order. The merging itself
   * (decoding, merging and re-encoding of overlapping chunks: most of a vertical compaction's work) runs on this
   * thread and a helper ({@link InOrderParallel}); reading the index and chunks and writing the output stay here.
   */
  private void writeSeries(List<Source> sources, ChunkSegmentWriter chunkWriter, IndexWriter indexWriter,
      BlockMeta.Stats stats, Predicate<Labels> drop) throws IOException {
    PriorityQueue<Source> heap = new PriorityQueue<>((a, b) -> {
      int c = a.current.labels().compareTo(b.current.labels());
      return c != 0 ? c : Integer.compare(a.ordinal, b.ordinal);
    });
    for (Source s : sources) {
      if (s.advance()) {
        heap.add(s);
      }
    }
    InOrderParallel.Sink<SeriesMerge> write = m -> {
      if (!m.merged.isEmpty()) {
        chunkWriter.write(m.merged);
        for (ChunkMeta c : m.merged) {
          count(c.chunk, stats);
        }
        indexWriter.addSeries(m.labels, m.merged);
        stats.numSeries++;
      }
    };
    try (InOrderParallel<SeriesMerge> merges = new InOrderParallel<>("block-merge", SeriesWork::new, write,
        InOrderParallel.SERIES_BATCH_ITEMS, InOrderParallel.SERIES_BATCH_BYTES, true)) {
      List<Source> same = new ArrayList<>();
      while (!heap.isEmpty()) {
        SeriesMerge next;
        long bytes = 0;
        try {
          same.clear();
          Source first = heap.poll();
          same.add(first);
          Labels labels = first.current.labels();
          while (!heap.isEmpty() && heap.peek().current.labels().equals(labels)) {
            same.add(heap.poll());
          }
          // Every entry of the series: one per input, or several from one input whose series relabelling made equal.
          List<Part> parts = new ArrayList<>(same.size());
          for (Source s : same) {
            do {
              parts.add(new Part(s, s.current));
            } while (s.advance() && s.current.labels().equals(labels));
          }
          if (drop != null && drop.test(labels)) {
            requeue(same, heap);
            continue;
          }
          for (Part p : parts) {
            // Each entry holds its own copy of the labels, which can outweigh the chunks.
            bytes += readChunks(p) + p.series.labels().textLength();
          }
          next = new SeriesMerge(labels, parts);
        } catch (IOException | RuntimeException e) {
          // A series read before this one may have failed its merge: that is the failure to report, as a merge
          // one series at a time would have.
          merges.finish();
          throw e;
        }
        merges.add(next, bytes);
        requeue(same, heap);
      }
      merges.finish();
    }
  }

  /** One series between reading and writing: its entries in the inputs and, once merged, its chunks. */
  private static final class SeriesMerge {
    final Labels labels;
    final List<Part> parts;
    List<ChunkMeta> merged;

    SeriesMerge(Labels labels, List<Part> parts) {
      this.labels = labels;
      this.parts = parts;
    }

    /** The blocks holding the series, in input order, for errors. */
    List<String> blocks() {
      List<String> out = new ArrayList<>();
      for (Part p : parts) {
        if (!out.contains(p.source.ulid)) {
          out.add(p.source.ulid);
        }
      }
      return out;
    }
  }

  /** Merges series; one per thread, because the chunk mergers and iterators keep scratch state. */
  private final class SeriesWork implements InOrderParallel.Work<SeriesMerge> {
    private final ChunkMerger perBlock = new ChunkMerger();
    private final SeriesChunkMerger acrossBlocks = dedup == CompactorOptions.DedupFunc.PENALTY
        ? new PenaltyChunkMerger()
        : new ChainedChunkMerger();
    private final XorIterator check = new XorIterator();
    private final HistogramIterator checkHistogram = new HistogramIterator();

    @Override
    public void run(SeriesMerge m) throws IOException {
      Labels labels = m.labels;
      List<Part> parts = m.parts;
      List<ChunkMeta> all = new ArrayList<>();
      for (Part p : parts) {
        all.addAll(cut(p, perBlock, mergeAggregates));
      }
      List<ChunkMeta> merged;
      if (parts.size() == 1 || all.size() < 2) {
        merged = all;
      } else {
        all.sort((a, b) -> Long.compare(a.minTime, b.minTime)); // stable: block order breaks ties
        try {
          // The label set is named by the exceptions below; building its string for every series costs.
          merged = mergeAggregates && AggrChunkMerger.anyAggregate(all)
              ? AggrChunkMerger.merge(labels.toString(), all, null)
              : acrossBlocks.merge("", all);
        } catch (CorruptDataException e) {
          Map<String, String> culprits = undecodable(parts);
          if (!culprits.isEmpty()) {
            // Only the blocks whose own chunks do not decode are at fault; the others stay compactable.
            StringBuilder why = new StringBuilder("series " + labels + ":");
            culprits.forEach((u, problem) -> why.append(" block ").append(u).append(": ").append(problem));
            throw new BadBlockException(new ArrayList<>(culprits.keySet()), Marker.REASON_CORRUPTED_BLOCK,
                why.toString(), e);
          }
          throw new BadBlockException(m.blocks(), Marker.REASON_CORRUPTED_BLOCK,
              "series " + labels + " in blocks " + m.blocks() + ": " + e.getMessage(), e);
        } catch (UnmergeableChunksException e) {
          throw new BadBlockException(m.blocks(), Marker.REASON_UNMERGEABLE_CHUNKS,
              "series " + labels + " in blocks " + m.blocks() + ": " + e.getMessage(), e);
        }
      }
      if (checkReencoded) {
        for (ChunkMeta c : merged) {
          if (!isOriginal(parts, c)) {
            checkEncoded(check, checkHistogram, labels, c);
          }
        }
      }
      m.merged = merged;
    }
  }

  /** One input's entry for the series being written. */
  private static final class Part {
    final Source source;
    final IndexSeries series;
    /**
     * Its deleted samples (tombstones and outside the block's time range) as {@link ChunkMerger#mergeSeries}
     * pairs, or null when none are: set by {@link #readChunks}.
     */
    long[] deleted;

    Part(Source source, IndexSeries series) {
      this.source = source;
      this.series = series;
    }

    Source source() {
      return source;
    }

    IndexSeries series() {
      return series;
    }
  }

  /** Puts the inputs that have series left back on the heap (each has already moved past the series written). */
  private static void requeue(List<Source> sources, PriorityQueue<Source> heap) {
    for (Source s : sources) {
      if (s.current != null) {
        heap.add(s);
      }
    }
  }

  /** True when {@code c} is one of the inputs' own chunks (copied as it is, not re-encoded). */
  private static boolean isOriginal(List<Part> parts, ChunkMeta c) {
    for (Part p : parts) {
      for (ChunkMeta m : p.series().chunks()) {
        if (m == c) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Decodes a chunk this merge encoded before it is written: its samples must be as many as its header says,
   * strictly increasing, and span exactly its [minTime, maxTime]. A failure is our bug, never the inputs'.
   */
  private static void checkEncoded(XorIterator xor, HistogramIterator hist, Labels labels, ChunkMeta c)
      throws IOException {
    SampleIterator it;
    int enc = c.chunk.encoding();
    if (enc == ChunkEncoding.AGGR) {
      try {
        AggrChunk.verify("re-encoded aggregate chunk of " + labels, c.chunk, c.minTime, c.maxTime);
      } catch (CorruptDataException e) {
        throw new IOException(e.getMessage(), e);
      }
      return;
    }
    if (enc == ChunkEncoding.XOR) {
      xor.reset("re-encoded chunk of " + labels, c.chunk.data());
      it = xor;
    } else if (enc == ChunkEncoding.HISTOGRAM || enc == ChunkEncoding.FLOAT_HISTOGRAM) {
      hist.reset("re-encoded chunk of " + labels, enc, c.chunk.data());
      it = hist;
    } else {
      throw new IOException("series " + labels + ": the merge produced a " + ChunkEncoding.name(enc)
          + " chunk; only XOR and histogram chunks are re-encoded");
    }
    int n = 0;
    long first = 0;
    long prev = Long.MIN_VALUE;
    while (it.next()) {
      long t = it.timestamp();
      if (n == 0) {
        first = t;
      } else if (t <= prev) {
        throw new IOException("series " + labels + ": re-encoded chunk has timestamp " + t + " after " + prev);
      }
      prev = t;
      n++;
    }
    if (n == 0 || n != c.chunk.numSamples() || first != c.minTime || prev != c.maxTime) {
      throw new IOException("series " + labels + ": re-encoded chunk [" + c.minTime + "," + c.maxTime + "] with "
          + c.chunk.numSamples() + " samples decodes to " + n + " samples over [" + first + "," + prev + "]");
    }
  }

  /**
   * On the failure path only: the sources whose own XOR chunks of the current series fail to decode, each with
   * the first problem, naming its segment file and chunk reference.
   */
  private static Map<String, String> undecodable(List<Part> parts) {
    Map<String, String> out = new LinkedHashMap<>();
    XorIterator it = new XorIterator();
    for (Part p : parts) {
      Source s = p.source();
      for (ChunkMeta c : p.series().chunks()) {
        if (c.chunk == null || c.chunk.encoding() != ChunkEncoding.XOR) {
          continue;
        }
        String where = s.ulid + "/" + ChunkRef.toString(c.ref);
        try {
          it.reset(where, c.chunk.data());
          while (it.next()) {
            // decode every sample
          }
        } catch (CorruptDataException e) {
          out.put(s.ulid, e.getMessage());
          break;
        }
      }
    }
    return out;
  }

  private static void count(Chunk c, BlockMeta.Stats stats) {
    int n = Math.max(0, c.numSamples());
    stats.numChunks++;
    stats.numSamples += n;
    if (c.encoding() == ChunkEncoding.XOR) {
      stats.numFloatSamples += n;
    } else if (c.encoding() == ChunkEncoding.HISTOGRAM || c.encoding() == ChunkEncoding.FLOAT_HISTOGRAM) {
      stats.numHistogramSamples += n;
    }
  }

  /**
   * Loads the chunks of one input's entry and notes which of their samples count as deleted: that block's
   * tombstones and anything outside its [minTime, maxTime), as Prometheus reads a block. Returns the bytes loaded.
   */
  private static long readChunks(Part p) throws IOException {
    Source s = p.source;
    boolean outside = false;
    long bytes = 0;
    for (ChunkMeta c : p.series.chunks()) {
      try {
        c.chunk = s.chunks.read(c.ref);
      } catch (CorruptDataException e) {
        throw corrupt(s, e);
      }
      bytes += c.chunk.data().length;
      if (c.minTime < s.meta.minTime || c.maxTime >= s.meta.maxTime) {
        checkOutside(s, p.series.labels(), c);
        outside = true;
      }
    }
    List<Interval> deleted = s.tombstones.isEmpty() ? List.of() : s.tombstones.intervals(p.series.ref());
    if (!outside && deleted.isEmpty()) {
      return bytes;
    }
    long[] pairs = new long[2 * deleted.size() + 4];
    int k = 0;
    for (Interval iv : deleted) {
      pairs[k++] = iv.minT();
      pairs[k++] = iv.maxT();
    }
    pairs[k++] = Long.MIN_VALUE;
    pairs[k++] = s.meta.minTime - 1;
    pairs[k++] = s.meta.maxTime;
    pairs[k] = Long.MAX_VALUE;
    p.deleted = pairs;
    return bytes;
  }

  /**
   * A chunk outside its block's [minTime, maxTime) holds samples no query of the block reads. One that starts at
   * maxTime exactly is prometheus/tsdb#347, a known head bug whose chunk Thanos's compactor drops as it repairs
   * the block: it is cut off here too. Any other (wholly below, wholly above, or reaching over an edge) says that
   * meta.json's range and the chunks disagree; Thanos halts on such a block. Cutting those samples off would lose
   * them, so the block is set aside instead, for an operator to look at ({@code tools bucket verify --repair}
   * cuts them off on request).
   */
  private static void checkOutside(Source s, Labels labels, ChunkMeta c) throws BadBlockException {
    if (c.minTime == s.meta.maxTime) {
      return;
    }
    throw new BadBlockException(List.of(s.ulid), Marker.REASON_CORRUPTED_BLOCK, "block " + s.ulid + ": index: series "
        + labels + " has a chunk [" + c.minTime + ", " + c.maxTime + "] outside the block's range [" + s.meta.minTime
        + ", " + s.meta.maxTime + ") in meta.json", null);
  }

  /** The chunks of one input's entry (loaded by {@link #readChunks}) without its deleted samples. */
  private static List<ChunkMeta> cut(Part p, ChunkMerger perBlock, boolean mergeAggregates) throws IOException {
    List<ChunkMeta> chunks = p.series.chunks();
    if (p.deleted == null) {
      return chunks;
    }
    Source s = p.source;
    try {
      return mergeAggregates && AggrChunkMerger.anyAggregate(chunks)
          ? AggrChunkMerger.merge(p.series.labels().toString(), chunks, p.deleted)
          : perBlock.mergeSeries(p.series.labels().toString(), chunks, p.deleted);
    } catch (CorruptDataException e) {
      throw corrupt(s, e);
    } catch (UnmergeableChunksException e) {
      throw new BadBlockException(List.of(s.ulid), Marker.REASON_UNMERGEABLE_CHUNKS,
          "block " + s.ulid + ", series " + p.series.labels() + ": cannot apply deletions: " + e.getMessage(), e);
    }
  }

  /** The default (--deduplication.func=""): Prometheus's compacting chained merge. */
  static final class ChainedChunkMerger implements SeriesChunkMerger {
    private final ChunkMerger merger = new ChunkMerger();

    @Override
    public List<ChunkMeta> merge(String series, List<ChunkMeta> chunks) throws IOException {
      return merger.mergeSeries(series, chunks, null);
    }
  }

}
