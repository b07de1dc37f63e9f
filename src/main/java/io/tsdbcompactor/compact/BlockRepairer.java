package io.tsdbcompactor.compact;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.BlockWriter;
import io.tsdbcompactor.chunk.ChunkMerger;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.UnmergeableChunksException;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.tombstones.Interval;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a repaired copy of a raw block with index issues, what {@code thanos tools bucket verify --repair
 * --issues=index_known_issues} does (Thanos's {@code block.Repair}, pkg/block/index.go; the facts are in
 * docs/bucket-tools.md). The repaired block has:
 * <ul>
 *   <li>each series' label names in order (Prometheus 2.8 and older could write them out of order);
 *   <li>series in label order, each label set once: entries of the same series are merged into one;
 *   <li>per series, chunks in time order without overlap: identical copies of a chunk are dropped, chunks that
 *       overlap are merged sample by sample as the compactor merges them ({@link ChunkMerger});
 *   <li>no sample outside the block's [minTime, maxTime): chunks wholly outside are dropped, chunks reaching
 *       over an edge are cut there (Thanos drops only the wholly outside ones and those starting at maxTime, and
 *       gives up on the rest);
 *   <li>the block's tombstones applied; series left without chunks dropped; stats recomputed.
 * </ul>
 * Its meta.json is the broken block's with a new ULID, the stats and files of what was written, and source
 * {@code bucket.repair}; the time range, external labels, compaction level and parents stay. Unlike Thanos (which
 * keeps {@code compaction.sources} too) its sources are its own ULID and the broken block's sources go into a
 * {@code thanos.rewrites} entry, as a rewrite records them: with the same sources the two blocks would be duplicates
 * to the compactor's garbage collection, which keeps the older ULID and so would mark the repaired block if it ran
 * before the broken one is marked. The result is verified ({@link BlockVerifier}) before it is returned; a block that cannot be repaired safely (a chunk
 * that fails its CRC or does not decode, an unreadable index entry, a downsampled block) is an
 * {@link IOException} naming the block, and whatever was written must be thrown away.
 *
 * <p>Memory: the chunks of one series at a time. The series are sorted by their labels in runs on disk beside the
 * new block ({@link RelabelledSeries}), each series' chunk references read again from the index when its turn
 * comes, so the heap does not grow with the block.
 */
public final class BlockRepairer {
  public static final String SOURCE = "bucket.repair";

  /** What was wrong with the broken block, by Thanos's index health names where they exist. */
  public record Findings(long labelsOutOfOrder, long seriesOutOfOrder, long duplicateSeries, long outOfOrderChunks, long duplicateChunks,
      long outsideChunks, long seriesWithoutChunks) {
    /** Whether the index had any issue this repair fixes. */
    public boolean any() {
      return labelsOutOfOrder + seriesOutOfOrder + duplicateSeries + outOfOrderChunks + duplicateChunks + outsideChunks
          + seriesWithoutChunks > 0;
    }

    /** One line: the non-zero counts. */
    public String describe() {
      List<String> parts = new ArrayList<>();
      add(parts, labelsOutOfOrder, "series with label names out of order");
      add(parts, seriesOutOfOrder, "series out of order");
      add(parts, duplicateSeries, "duplicated series merged");
      add(parts, outOfOrderChunks, "chunks out of order or overlapping");
      add(parts, duplicateChunks, "duplicated chunks");
      add(parts, outsideChunks, "chunks outside the block's time range");
      add(parts, seriesWithoutChunks, "series without chunks");
      return parts.isEmpty() ? "no series, chunk or range issue (the block rewritten whole)" : String.join(", ", parts);
    }

    private static void add(List<String> parts, long n, String what) {
      if (n > 0) {
        parts.add(n + " " + what);
      }
    }
  }

  /** The repaired block's meta (as written to meta.json) and what was fixed. */
  public record Result(BlockMeta meta, Findings findings) {}

  private BlockRepairer() {}

  /**
   * Repairs the block in {@code source} (its meta.json parsed as {@code meta}) into the empty {@code out} as block
   * {@code newUlid}.
   */
  public static Result repair(BlockMeta meta, Directory source, Directory out, String newUlid) throws IOException {
    String block = "block " + meta.ulid;
    if (meta.resolution() > 0) {
      throw new IOException(block + ": cannot repair a downsampled block (resolution " + meta.resolution()
          + "ms), as Thanos cannot");
    }
    long outOfOrder = 0;
    Labels previous = null;
    try (IndexReader index = IndexReader.open(source, "index").sortingUnorderedLabels();
        ChunkSegmentReader chunks = new ChunkSegmentReader(source);
        RelabelledSeries sorted = RelabelledSeries.create(index, out, true,
            RelabelledSeries.DEFAULT_SERIES_HEAP_BYTES, RelabelledSeries.DEFAULT_SERIES_HEAP_BYTES / 2)) {
      Tombstones tombstones = Tombstones.read(source, Tombstones.FILE_NAME);
      SeriesCursor cursor = index.series();
      while (cursor.next()) {
        IndexSeries s = cursor.at();
        if (previous != null && s.labels().compareTo(previous) <= 0) {
          outOfOrder++;
        }
        previous = s.labels();
        sorted.add(s.labels(), s.ref()); // stable: file order breaks ties
      }
      // Counted once per entry read: the entries are read again below for their chunks.
      long unorderedLabels = index.unorderedLabelSeries();
      Counts counts = new Counts();
      BlockWriter writer = new BlockWriter(out);
      boolean done = false;
      try {
        StringCursor symbols = sorted.symbols();
        while (symbols.next()) {
          writer.addSymbol(symbols.value());
        }
        ChunkMerger merger = new ChunkMerger();
        SeriesCursor inOrder = sorted.series();
        List<IndexSeries> same = new ArrayList<>();
        IndexSeries next = inOrder.next() ? inOrder.at() : null;
        while (next != null) {
          same.clear();
          same.add(next);
          next = null;
          while (inOrder.next()) {
            if (!inOrder.at().labels().equals(same.get(0).labels())) {
              next = inOrder.at();
              break;
            }
            same.add(inOrder.at());
          }
          counts.duplicateSeries += same.size() - 1;
          writeSeries(meta, same, chunks, tombstones, merger, writer, counts);
        }
        sorted.close(); // the runs' scratch files go before the block is verified
        if (writer.numSeries() == 0) {
          throw new IOException(block + ": cannot repair: no series would be left");
        }
        BlockMeta template = meta.copy();
        template.ulid = newUlid;
        BlockMeta.Thanos t = template.thanos();
        t.source = SOURCE;
        t.files = new ArrayList<>();
        template.compaction.sources = new ArrayList<>(List.of(newUlid));
        ObjectNode repaired = GoJson.object();
        ArrayNode from = repaired.putArray("sources");
        meta.sourcesOrSelf().forEach(from::add);
        ArrayNode rewrites = t.rewrites != null && t.rewrites.isArray() ? ((ArrayNode) t.rewrites).deepCopy()
            : GoJson.MAPPER.createArrayNode();
        rewrites.add(repaired);
        t.rewrites = rewrites;
        BlockMeta written = writer.finish(template);
        done = true;
        Findings findings = new Findings(unorderedLabels, outOfOrder, counts.duplicateSeries, counts.outOfOrderChunks,
            counts.duplicateChunks, counts.outsideChunks, counts.seriesWithoutChunks);
        List<String> problems = BlockVerifier.verify(out);
        if (!problems.isEmpty()) {
          throw new IOException("repaired block " + newUlid + " of " + meta.ulid + " does not verify: "
              + String.join("; ", problems));
        }
        return new Result(written, findings);
      } finally {
        if (!done) {
          writer.abort();
        }
      }
    } catch (CorruptDataException | java.nio.file.NoSuchFileException | UnmergeableChunksException e) {
      throw new IOException(block + ": cannot repair: " + e.getMessage(), e);
    }
  }

  private static final class Counts {
    long duplicateSeries;
    long outOfOrderChunks;
    long duplicateChunks;
    long outsideChunks;
    long seriesWithoutChunks;
  }

  /** One series, from all its entries in the broken index: chunks loaded, sanitised, written, released. */
  private static void writeSeries(BlockMeta meta, List<IndexSeries> same, ChunkSegmentReader reader,
      Tombstones tombstones, ChunkMerger merger, BlockWriter writer, Counts counts) throws IOException {
    Labels labels = same.get(0).labels();
    String name = labels.toString();
    List<ChunkMeta> all = new ArrayList<>();
    List<ChunkMeta> loaded = new ArrayList<>();
    for (IndexSeries s : same) {
      List<ChunkMeta> own = new ArrayList<>(s.chunks().size());
      for (ChunkMeta c : s.chunks()) {
        c.chunk = reader.read(c.ref);
        loaded.add(c);
        own.add(c);
      }
      List<Interval> deleted = tombstones.isEmpty() ? List.of() : tombstones.intervals(s.ref());
      if (!deleted.isEmpty()) {
        long[] pairs = new long[2 * deleted.size()];
        for (int k = 0; k < deleted.size(); k++) {
          pairs[2 * k] = deleted.get(k).minT();
          pairs[2 * k + 1] = deleted.get(k).maxT();
        }
        own = merger.mergeSeries(name, own, pairs);
      }
      all.addAll(own);
    }
    boolean needsMerge = false;
    for (int k = 0; k < all.size(); k++) {
      ChunkMeta c = all.get(k);
      if (c.minTime < meta.minTime || c.maxTime >= meta.maxTime) {
        counts.outsideChunks++;
        needsMerge = true;
      }
      if (k > 0) {
        ChunkMeta p = all.get(k - 1);
        if (c.minTime == p.minTime && c.maxTime == p.maxTime) {
          counts.duplicateChunks++;
          needsMerge = true;
        } else if (c.minTime <= p.maxTime) {
          counts.outOfOrderChunks++;
          needsMerge = true;
        }
      }
    }
    if (all.isEmpty()) {
      counts.seriesWithoutChunks++;
    }
    List<ChunkMeta> fixed = all;
    if (needsMerge) {
      all.sort((a, b) -> Long.compare(a.minTime, b.minTime));
      // Samples outside [minTime, maxTime) are not the block's: Prometheus never reads them, compaction drops them.
      long[] outside = {Long.MIN_VALUE, meta.minTime - 1, meta.maxTime, Long.MAX_VALUE};
      fixed = merger.mergeSeries(name, all, outside);
    }
    writer.addSeries(labels, fixed);
    for (ChunkMeta c : loaded) {
      c.chunk = null; // released as soon as written
    }
  }
}
