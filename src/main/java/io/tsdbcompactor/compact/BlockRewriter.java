package io.tsdbcompactor.compact;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.LabelMatchers;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.labels.Relabeler;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.IndexOutput;
import io.tsdbcompactor.store.MemoryDirectory;
import io.tsdbcompactor.store.RandomAccessInput;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.tombstones.Interval;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Rewrites one block without the series (or the samples of series) that deletion requests select, and with the
 * series labels relabelled, as {@code thanos tools bucket rewrite --rewrite.to-delete-config
 * --rewrite.to-relabel-config} does (deletions first, then relabelling). Streaming like the compactor: the source
 * is read once to find what the requests select, then merged alone through {@link BlockMerger}, whole series left
 * out, partial deletions applied as tombstones (the block's own tombstones are applied too). The output keeps
 * the source's time range, compaction level, parents, external labels and resolution; as in Thanos its
 * {@code compaction.sources} is the new ULID alone, the old sources go into a {@code thanos.rewrites} entry
 * with the deletions and relabel rules applied, and its source is {@code bucket.rewrite}. The output is verified
 * before it is returned.
 *
 * <p>Deletion requests are Thanos's {@code []DeletionRequest} (the CLI parses its YAML): matchers, and optional
 * inclusive intervals; without intervals the whole series goes. Relabelling ({@link Relabeler}) that drops a series
 * or leaves it no label deletes it; series it makes equal are merged as the compactor merges a series found in
 * several blocks (their chunks' overlaps merged sample by sample), and the output is written in the order of the
 * new labels, its symbols those of the new labels. Downsampled blocks are rewritten too: their aggregate chunks are
 * copied as they are, cut by deletions and merged window by window ({@link
 * io.tsdbcompactor.downsample.AggrChunkMerger}).
 */
public final class BlockRewriter {
  public static final String SOURCE = "bucket.rewrite";

  /** One request: series matching all of {@code matchers}; {@code intervals} empty = all of their samples. */
  public record Deletion(LabelMatchers matchers, List<Interval> intervals) {}

  /**
   * What a rewrite did (or, dry, would do). {@code meta} is null for a dry run or when nothing is left;
   * {@code seriesMerged} counts the series that relabelling made equal to another and that were merged into it.
   */
  public record Result(BlockMeta meta, long seriesDeleted, long seriesModified, long seriesRelabelled,
      long seriesMerged, long seriesTotal) {
    /** "3 of 70 series deleted, 1 with samples deleted, 5 relabelled, 2 merged into others". */
    public String counts() {
      return seriesDeleted + " of " + seriesTotal + " series deleted, " + seriesModified + " with samples deleted, "
          + seriesRelabelled + " relabelled, " + seriesMerged + " merged into others";
    }
  }

  private final List<Deletion> deletions;
  private final Relabeler relabeler;
  /** Heap bytes the relabelled series are sorted in before sorted runs go to scratch files ({@link RelabelledSeries}). */
  private final long sortHeapBytes;

  /** A rewriter applying the deletions only. */
  public BlockRewriter(List<Deletion> deletions) {
    this(deletions, Relabeler.NONE);
  }

  /** A rewriter applying the deletions, then the relabelling (as Thanos applies both). */
  public BlockRewriter(List<Deletion> deletions, Relabeler relabeler) {
    this(deletions, relabeler, RelabelledSeries.DEFAULT_SERIES_HEAP_BYTES);
  }

  private BlockRewriter(List<Deletion> deletions, Relabeler relabeler, long sortHeapBytes) {
    this.deletions = List.copyOf(deletions);
    this.relabeler = relabeler;
    this.sortHeapBytes = sortHeapBytes;
  }

  /** This rewriter sorting relabelled series in {@code heapBytes} of heap: tests make it small, so runs are written. */
  BlockRewriter withSortHeapBytes(long heapBytes) {
    return new BlockRewriter(deletions, relabeler, heapBytes);
  }

  /**
   * Rewrites the block in {@code source} (described by {@code meta}) into {@code out} as block {@code newUlid}, or
   * with {@code dryRun} only reports. {@code changes} hears one line per series deleted or changed. With relabelling,
   * {@code out} also holds the sorted runs of the relabelled series while they are needed (hidden scratch files, gone
   * when the rewrite returns), in a dry run too.
   *
   * @throws BadBlockException when the source is corrupt, naming it
   * @throws IOException when the written block does not verify (nothing of it should be uploaded)
   */
  public Result rewrite(BlockMeta meta, Directory source, Directory out, String newUlid, boolean dryRun,
      Consumer<String> changes) throws IOException {
    if (meta.minTime >= meta.maxTime) {
      // Every chunk would count as outside the range, and the rewrite would write nothing and retire the block.
      throw new BadBlockException(List.of(meta.ulid), Marker.REASON_CORRUPTED_BLOCK, "block " + meta.ulid
          + ": meta.json: minTime " + meta.minTime + " is not before maxTime " + meta.maxTime, null);
    }
    Tombstones.Builder tombstones = new Tombstones.Builder();
    long total = 0;
    long deleted = 0;
    long modified = 0;
    long relabelled = 0;
    // With relabelling, the series kept are sorted under their new labels as they are read here (the deleted ones
    // are never added), and the merge reads them from that sort: the block is read and sorted once.
    try (IndexReader index = IndexReader.open(source, "index");
        RelabelledSeries kept = relabeler.isEmpty() ? null
            : RelabelledSeries.create(index, out, !dryRun, sortHeapBytes, sortHeapBytes / 2)) {
      try {
        Tombstones existing = Tombstones.read(source, Tombstones.FILE_NAME);
        SeriesCursor c = index.series();
        List<Interval> selected = new ArrayList<>();
        while (c.next()) {
          IndexSeries s = c.at();
          total++;
          for (Interval iv : existing.intervals(s.ref())) {
            tombstones.add(s.ref(), iv);
          }
          selected.clear();
          if (deletesWhole(meta, s.labels(), selected)) {
            deleted++;
            changes.accept("deleted series " + s.labels());
            continue;
          }
          if (!selected.isEmpty() && overlapsChunks(s, selected)) {
            modified++;
            for (Interval iv : selected) {
              tombstones.add(s.ref(), iv);
              changes.accept("deleted samples [" + iv.minT() + ", " + iv.maxT() + "] of series " + s.labels());
            }
          }
          Labels to = relabeler.apply(s.labels());
          if (to == null) {
            deleted++;
            changes.accept("deleted series " + s.labels() + " (dropped by relabelling)");
            continue;
          }
          if (!to.equals(s.labels())) {
            relabelled++;
            changes.accept("relabelled series " + s.labels() + " -> " + to);
          }
          if (kept != null) {
            kept.add(to, s.ref());
          }
        }
      } catch (CorruptDataException | java.nio.file.NoSuchFileException e) {
        throw new BadBlockException(List.of(meta.ulid), Marker.REASON_CORRUPTED_BLOCK,
            "block " + meta.ulid + ": " + e.getMessage(), e);
      }
      if (dryRun) {
        long merged = kept == null ? 0 : kept.countRepeated();
        return new Result(null, deleted, modified, relabelled, merged, total);
      }
      MemoryDirectory withDeletions = new MemoryDirectory("tombstones of the rewrite");
      tombstones.build().write(withDeletions, Tombstones.FILE_NAME);
      BlockMerger.Input in = new BlockMerger.Input(meta, new TombstonesOverlay(source, withDeletions));
      BlockMeta.Thanos t = meta.thanos();
      BlockMerger.Output spec = new BlockMerger.Output(newUlid, t.labels == null ? java.util.Map.of() : t.labels,
          t.resolution, t.extensions);
      BlockMerger merger = new BlockMerger(CompactorOptions.DedupFunc.NONE).withAggregateMerging();
      BlockMeta written;
      long merged = 0;
      if (kept == null) {
        // Whole-series deletions are decided again from the labels, rather than remembered: a set of them would
        // grow with the block.
        written = merger.merge(List.of(in), out, spec, l -> deletesWhole(meta, l, null));
      } else {
        written = merger.mergeSorted(in, kept, out, spec);
        merged = kept.repeated();
        kept.close(); // its runs' scratch files go before the block is verified
      }
      if (written == null) {
        return new Result(null, deleted, modified, relabelled, merged, total);
      }
      BlockMeta rewritten = rewrittenMeta(meta, written);
      out.writeAll(BlockMeta.FILE_NAME, rewritten.toJsonBytes());
      List<String> problems = BlockVerifier.verify(out);
      if (!problems.isEmpty()) {
        throw new IOException("rewritten block " + newUlid + " of " + meta.ulid + " does not verify: "
            + String.join("; ", problems));
      }
      return new Result(rewritten, deleted, modified, relabelled, merged, total);
    }
  }

  /**
   * Whether the deletions take the whole of a series with these labels: a matching request without intervals, or
   * with an interval covering the block. The intervals of matching requests that only cut into the block go to
   * {@code cut} (when not null).
   */
  private boolean deletesWhole(BlockMeta meta, Labels labels, List<Interval> cut) {
    boolean whole = false;
    for (Deletion d : deletions) {
      if (!d.matchers().matches(labels)) {
        continue;
      }
      if (d.intervals().isEmpty()) {
        return true;
      }
      for (Interval iv : d.intervals()) {
        if (iv.minT() <= meta.minTime && iv.maxT() >= meta.maxTime - 1) {
          whole = true;
        } else if (cut != null && iv.maxT() >= meta.minTime && iv.minT() < meta.maxTime) {
          cut.add(iv);
        }
      }
    }
    return whole;
  }

  private static boolean overlapsChunks(IndexSeries s, List<Interval> intervals) {
    for (var c : s.chunks()) {
      for (Interval iv : intervals) {
        if (iv.minT() <= c.maxTime && iv.maxT() >= c.minTime) {
          return true;
        }
      }
    }
    return false;
  }

  /** The source's meta with the merged block's ULID, stats and files, and Thanos's rewrite bookkeeping. */
  private BlockMeta rewrittenMeta(BlockMeta source, BlockMeta merged) {
    BlockMeta m = source.copy();
    m.ulid = merged.ulid;
    m.stats.numSamples = merged.stats.numSamples;
    m.stats.numFloatSamples = merged.stats.numFloatSamples;
    m.stats.numHistogramSamples = merged.stats.numHistogramSamples;
    m.stats.numSeries = merged.stats.numSeries;
    m.stats.numChunks = merged.stats.numChunks;
    m.stats.numTombstones = 0;
    BlockMeta.Thanos t = m.thanos();
    ObjectNode rewrite = GoJson.object();
    ArrayNode sources = rewrite.putArray("sources");
    (source.compaction.sources.isEmpty() ? List.of(source.ulid) : source.compaction.sources).forEach(sources::add);
    ArrayNode applied = deletions.isEmpty() ? null : rewrite.putArray("deletions_applied");
    for (Deletion d : deletions) {
      ObjectNode r = applied.addObject();
      r.put("matchers", d.matchers().toString());
      if (!d.intervals().isEmpty()) {
        ArrayNode ivs = r.putArray("intervals");
        for (Interval iv : d.intervals()) {
          ivs.addObject().put("mint", iv.minT()).put("maxt", iv.maxT());
        }
      }
    }
    if (!relabeler.isEmpty()) {
      ArrayNode relabels = rewrite.putArray("relabels_applied");
      for (Relabeler.Rule r : relabeler.rules()) {
        ObjectNode rule = relabels.addObject();
        if (!r.sourceLabels().isEmpty()) {
          r.sourceLabels().forEach(rule.putArray("source_labels")::add);
        }
        rule.put("separator", r.separator()).put("regex", r.regex());
        if (r.modulus() != 0) {
          rule.put("modulus", r.modulus());
        }
        if (!r.targetLabel().isEmpty()) {
          rule.put("target_label", r.targetLabel());
        }
        rule.put("replacement", r.replacement()).put("action", r.action().configName());
      }
    }
    ArrayNode rewrites = t.rewrites != null && t.rewrites.isArray() ? ((ArrayNode) t.rewrites).deepCopy()
        : GoJson.MAPPER.createArrayNode();
    rewrites.add(rewrite);
    t.rewrites = rewrites;
    m.compaction.sources = new ArrayList<>(List.of(merged.ulid));
    t.source = SOURCE;
    t.segmentFiles = merged.thanos().segmentFiles;
    t.files = new ArrayList<>();
    return m;
  }

  /** The source block with its tombstones file replaced. */
  private record TombstonesOverlay(Directory block, Directory tombstones) implements Directory {
    @Override
    public String describe() {
      return block.describe();
    }

    @Override
    public RandomAccessInput openInput(String name) throws IOException {
      return (name.equals(Tombstones.FILE_NAME) ? tombstones : block).openInput(name);
    }

    @Override
    public IndexOutput createOutput(String name) {
      throw new UnsupportedOperationException("the source of a rewrite is read only");
    }

    @Override
    public boolean exists(String name) throws IOException {
      return (name.equals(Tombstones.FILE_NAME) ? tombstones : block).exists(name);
    }

    @Override
    public long fileLength(String name) throws IOException {
      return (name.equals(Tombstones.FILE_NAME) ? tombstones : block).fileLength(name);
    }

    @Override
    public java.util.List<String> listAll() throws IOException {
      return block.listAll();
    }

    @Override
    public void delete(String name) {
      throw new UnsupportedOperationException("the source of a rewrite is read only");
    }
  }
}
