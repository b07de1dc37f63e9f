package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Turns one series' chunks (from one or several blocks) into a list of non-overlapping chunks, as Prometheus
 * 2.42's compactor does ({@code storage.NewCompactingChunkSeriesMerger(storage.ChainedSeriesMerge)} over the
 * blocks' {@code populateWithDelChunkSeriesIterator}s).
 *
 * <h2>Rules</h2>
 * <ol>
 *   <li><b>Deletions</b> (optional): a chunk whose [minTime, maxTime] overlaps a deleted interval (both ends
 *       inclusive) is decoded, its samples inside any deleted interval dropped, and the rest re-encoded into one
 *       chunk (no cutting, as Prometheus). A chunk left empty disappears (Prometheus 2.42 would end the whole
 *       series there, a bug we do not copy). A chunk no interval overlaps is untouched.
 *   <li><b>Order</b>: chunks are taken by minTime, then maxTime (Prometheus's chunk heap order); equal pairs
 *       keep their input order.
 *   <li><b>Groups</b>: a chunk starts a group; every following chunk whose minTime is at most the group's
 *       running maxTime joins it. A chunk identical to the last one that joined (same minTime, maxTime and
 *       bytes) is dropped as a 1:1 duplicate.
 *   <li>A group of one chunk is returned as the <b>same object</b>, so its bytes are copied untouched.
 *   <li>A larger group is decoded and merged by timestamp with {@link MergingSampleIterator}, sources in the
 *       order Prometheus hands them to {@code ChainedSeriesMerge}: the chunks that joined, in order, then the
 *       chunk that started the group. One sample per timestamp; on equal timestamps the winner is chosen
 *       exactly as Prometheus's {@code chainSampleIterator} chooses for that source order (see
 *       {@link MergingSampleIterator}). The merged samples are re-encoded by {@link ChunkCutter}: 120 samples per
 *       chunk. New chunks have ref 0.
 * </ol>
 * Only XOR chunks can be decoded: a group or a deletion that needs another encoding (histograms, Thanos
 * aggregates, unknown) throws {@link UnmergeableChunksException}.
 *
 * <p>Chunks that are decoded are checked: samples in strictly increasing time inside their chunk's
 * [minTime, maxTime], else {@link CorruptDataException}.
 *
 * <p>Where this can differ from Prometheus: only in which value survives an equal timestamp, and only when
 * different chunks of the group have identical minTime and maxTime. Prometheus then orders them by the
 * internal state of two Go heaps (its series-set heap and its chunk heap, shaped by every series merged
 * before); we use the input order (pass chunks block by block, blocks in the order given to the compactor).
 * Chunks with distinct (minTime, maxTime) are ordered exactly as Prometheus orders them.
 *
 * <p>Not thread-safe; reuse one instance per thread.
 */
public final class ChunkMerger {
  private static final Comparator<ChunkMeta> ORDER =
      Comparator.<ChunkMeta>comparingLong(m -> m.minTime).thenComparingLong(m -> m.maxTime);

  private final ChunkCutter cutter = new ChunkCutter();
  private final MergingSampleIterator merging = new MergingSampleIterator();
  private SeriesSampleIterator[] iters = new SeriesSampleIterator[0];
  private final List<ChunkMeta> group = new ArrayList<>();

  public ChunkMerger() {}

  /** {@link #mergeSeries} without deletions, naming the series "(unnamed)" in errors. */
  public static List<ChunkMeta> merge(List<ChunkMeta> sortedByMinTime) throws IOException {
    return new ChunkMerger().mergeSeries("(unnamed)", sortedByMinTime, null);
  }

  /**
   * @param series name for errors, e.g. the label set
   * @param chunks the series' chunks with {@link ChunkMeta#chunk} loaded, sorted by minTime
   * @param deleted deleted intervals as pairs {@code [min0, max0, min1, max1, ...]}, both ends inclusive;
   *     null or empty for none
   * @return non-overlapping chunks sorted by time; untouched chunks are the input objects
   */
  public List<ChunkMeta> mergeSeries(String series, List<ChunkMeta> chunks, long[] deleted) throws IOException {
    if (deleted != null && (deleted.length & 1) != 0) {
      throw new IllegalArgumentException("deleted intervals come in pairs: " + deleted.length + " values");
    }
    List<ChunkMeta> in = chunks;
    if (deleted != null && deleted.length > 0) {
      in = new ArrayList<>(chunks.size());
      for (ChunkMeta m : chunks) {
        if (!touchesDeletion(m, deleted)) {
          in.add(m);
        } else {
          ChunkMeta kept = applyDeletions(series, m, deleted);
          if (kept != null) {
            in.add(kept);
          }
        }
      }
    }
    if (!sorted(in)) {
      in = new ArrayList<>(in);
      in.sort(ORDER); // stable
    }
    int n = in.size();
    List<ChunkMeta> out = new ArrayList<>(n);
    int i = 0;
    while (i < n) {
      ChunkMeta first = loaded(series, in.get(i));
      long groupMax = first.maxTime;
      ChunkMeta prev = first;
      group.clear();
      int j = i + 1;
      for (; j < n && in.get(j).minTime <= groupMax; j++) {
        ChunkMeta next = loaded(series, in.get(j));
        if (next.minTime == prev.minTime && next.maxTime == prev.maxTime
            && next.chunk.encoding() == prev.chunk.encoding()
            && Arrays.equals(next.chunk.data(), prev.chunk.data())) {
          continue;
        }
        group.add(next);
        groupMax = Math.max(groupMax, next.maxTime);
        prev = next;
      }
      if (group.isEmpty()) {
        out.add(first);
      } else {
        group.add(first);
        mergeGroup(series, group, first.minTime, groupMax, out);
      }
      i = j;
    }
    group.clear();
    return out;
  }

  private void mergeGroup(String series, List<ChunkMeta> g, long minT, long maxT, List<ChunkMeta> out)
      throws IOException {
    int k = g.size();
    for (ChunkMeta m : g) {
      if (m.chunk.encoding() != ChunkEncoding.XOR) {
        StringBuilder encs = new StringBuilder();
        for (ChunkMeta x : g) {
          encs.append(encs.length() == 0 ? "" : ", ").append(ChunkEncoding.name(x.chunk.encoding()))
              .append(" [").append(x.minTime).append(',').append(x.maxTime).append(']');
        }
        throw new UnmergeableChunksException(series, minT, maxT,
            k + " overlapping chunks can only be merged when all are XOR chunks: " + encs);
      }
    }
    if (iters.length < k) {
      SeriesSampleIterator[] grown = Arrays.copyOf(iters, k);
      for (int i = iters.length; i < k; i++) {
        grown[i] = new SeriesSampleIterator();
      }
      iters = grown;
    }
    for (int i = 0; i < k; i++) {
      iters[i].reset(series, g.get(i), null);
    }
    merging.reset(iters, k);
    cutter.reset(); // nothing left over from a merge that failed half-way
    cutter.cut(merging, out);
  }

  private ChunkMeta applyDeletions(String series, ChunkMeta m, long[] deleted) throws IOException {
    loaded(series, m);
    if (m.chunk.encoding() != ChunkEncoding.XOR) {
      throw new UnmergeableChunksException(series, m.minTime, m.maxTime, "a deletion cuts a "
          + ChunkEncoding.name(m.chunk.encoding()) + " chunk, which cannot be re-encoded here");
    }
    SeriesSampleIterator it = new SeriesSampleIterator();
    it.reset(series, m, deleted);
    XorEncoder enc = new XorEncoder();
    while (it.next()) {
      enc.append(it.timestamp(), it.value());
    }
    return enc.numSamples() == 0 ? null : enc.toChunkMeta();
  }

  private static boolean touchesDeletion(ChunkMeta m, long[] deleted) {
    for (int i = 0; i < deleted.length; i += 2) {
      if (m.minTime <= deleted[i + 1] && deleted[i] <= m.maxTime) {
        return true;
      }
    }
    return false;
  }


  private static boolean sorted(List<ChunkMeta> l) {
    for (int i = 1; i < l.size(); i++) {
      if (ORDER.compare(l.get(i - 1), l.get(i)) > 0) {
        return false;
      }
    }
    return true;
  }

  private static ChunkMeta loaded(String series, ChunkMeta m) {
    if (m.chunk == null) {
      throw new IllegalArgumentException("series " + series + ": chunk " + m + " is not loaded");
    }
    return m;
  }
}
