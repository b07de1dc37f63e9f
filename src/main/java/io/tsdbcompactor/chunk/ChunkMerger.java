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
 * XOR chunks and histogram chunks (encodings 2 and 3) can be decoded. A histogram group is merged by the same
 * rules and re-encoded as 2.42's compactor does (120 samples per chunk, counter-reset header "unknown"), with
 * bucket layouts reconciled where 2.42 would crash or write garbage (see {@link #mergeHistogramGroup}); a
 * deletion re-encodes a histogram chunk keeping its counter-reset header, as 2.42 does. A group mixing
 * encodings, overlapping gauge-histogram chunks, and a group or deletion that needs another encoding (Thanos
 * aggregates, unknown) throw {@link UnmergeableChunksException}.
 *
 * <p>Chunks that are decoded are checked: samples in strictly increasing time inside their chunk's
 * [minTime, maxTime], else {@link CorruptDataException}.
 *
 * <p>Where this can differ from Prometheus: only in which value survives an equal timestamp, and only when
 * different chunks of the group have identical minTime and maxTime. Prometheus then orders them by the
 * internal state of two Go heaps (its series-set heap and its chunk heap, shaped by every series merged
 * before); we use the input order (pass chunks block by block, blocks in the order given to the compactor).
 * Chunks with distinct (minTime, maxTime) are ordered exactly as Prometheus orders them. For histograms, also
 * where 2.42 itself fails: merged samples whose buckets differ from the chunk's (2.42 panics or writes chunks
 * that decode to other values; we recode or zero-widen, losslessly) and deletions in gauge-histogram chunks
 * (2.42 errors; we keep the gauge header). Validated: our merge of two real HA-replica blocks equals 2.42's
 * vertical compaction byte for byte, and Prometheus 2.42 reads our reconciled chunks back sample for sample.
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
  private final HistogramEncoder histogramEncoder = new HistogramEncoder(false);
  private final Histogram widened = new Histogram();

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
    int enc = g.get(0).chunk.encoding();
    boolean same = true;
    for (ChunkMeta m : g) {
      same &= m.chunk.encoding() == enc;
    }
    if (!same || (enc != ChunkEncoding.XOR && !isHistogram(enc))) {
      throw new UnmergeableChunksException(series, minT, maxT, k + " overlapping chunks can only be merged when all"
          + " are XOR chunks, all histogram chunks or all float-histogram chunks: " + describe(g));
    }
    if (isHistogram(enc)) {
      mergeHistogramGroup(series, g, minT, maxT, out);
      return;
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

  private static boolean isHistogram(int enc) {
    return enc == ChunkEncoding.HISTOGRAM || enc == ChunkEncoding.FLOAT_HISTOGRAM;
  }

  private static String describe(List<ChunkMeta> g) {
    StringBuilder encs = new StringBuilder();
    for (ChunkMeta x : g) {
      encs.append(encs.length() == 0 ? "" : ", ").append(ChunkEncoding.name(x.chunk.encoding()))
          .append(" [").append(x.minTime).append(',').append(x.maxTime).append(']');
    }
    return encs.toString();
  }

  /**
   * Overlapping histogram chunks of one encoding: merged by timestamp with the same tie rule as floats, then
   * re-encoded as Prometheus 2.42's compactor does ({@code seriesToChunkEncoder}): a new chunk every 120 samples,
   * counter-reset header "unknown". Where 2.42 would crash or write a chunk that decodes to other values, we
   * do what {@link HistogramEncoder#compactorPlan} says: samples with other buckets than the chunk are reconciled
   * losslessly (the chunk recoded to more buckets and/or the sample given zero counts in the chunk's other
   * buckets); another schema or zero threshold, or a live sample after a stale marker, cuts a new chunk. Gauge
   * histogram chunks are refused: 2.42's compactor drops their gauge header, which changes how PromQL reads them.
   */
  private void mergeHistogramGroup(String series, List<ChunkMeta> g, long minT, long maxT, List<ChunkMeta> out)
      throws IOException {
    int k = g.size();
    int enc = g.get(0).chunk.encoding();
    HistogramSource[] src = new HistogramSource[k];
    for (int i = 0; i < k; i++) {
      src[i] = new HistogramSource(series, g.get(i));
      if (src[i].it.counterResetHeader() == HistogramEncoder.GAUGE_TYPE) {
        throw new UnmergeableChunksException(series, minT, maxT, "overlapping gauge histogram chunks are not"
            + " merged (Prometheus 2.42's compactor would drop their gauge header): " + describe(g));
      }
    }
    merging.reset(src, k);
    HistogramEncoder he = histogramEncoder;
    he.reset(enc == ChunkEncoding.FLOAT_HISTOGRAM);
    while (merging.next()) {
      Histogram h = src[merging.source()].it.histogram();
      long t = merging.timestamp();
      if (he.numSamples() == ChunkCutter.SAMPLES_PER_CHUNK) {
        out.add(he.toChunkMeta());
        he.reset(he.isFloat());
      }
      if (he.numSamples() > 0) {
        switch (he.compactorPlan(h, widened)) {
          case HistogramEncoder.RECODE:
            he.recode(h);
            break;
          case HistogramEncoder.WIDEN:
            h = widened;
            break;
          case HistogramEncoder.RECODE_AND_WIDEN:
            h = widened;
            he.recode(h);
            break;
          case HistogramEncoder.NEW_CHUNK:
            out.add(he.toChunkMeta());
            he.reset(he.isFloat());
            break;
          default:
            break;
        }
      }
      he.append(t, h);
    }
    if (he.numSamples() > 0) {
      out.add(he.toChunkMeta());
    }
  }

  /** One histogram chunk as a checked sample stream: samples strictly increasing, inside the chunk's range. */
  private static final class HistogramSource implements SampleIterator {
    final HistogramIterator it = new HistogramIterator();
    private final String series;
    private final ChunkMeta m;
    private boolean any;
    private long last;

    HistogramSource(String series, ChunkMeta m) {
      this.series = series;
      this.m = m;
      it.reset(series, m.chunk.encoding(), m.chunk.data());
    }

    @Override
    public boolean next() throws CorruptDataException {
      boolean more;
      try {
        more = it.next();
      } catch (CorruptDataException e) {
        throw new CorruptDataException(name(), e.offset(), e.getMessage(), e);
      }
      if (!more) {
        return false;
      }
      long t = it.timestamp();
      if (t < m.minTime || t > m.maxTime || (any && t <= last)) {
        throw new CorruptDataException(name(), 0, "histogram sample at " + t + (any ? " after " + last : "")
            + (t < m.minTime || t > m.maxTime ? " lies outside the chunk's time range" : " is not in increasing order"));
      }
      any = true;
      last = t;
      return true;
    }

    private String name() {
      return "series " + series + " chunk [" + m.minTime + "," + m.maxTime + "] ref 0x" + Long.toHexString(m.ref);
    }

    @Override
    public long timestamp() {
      return it.timestamp();
    }

    @Override
    public double value() {
      return it.value();
    }
  }

  private ChunkMeta applyDeletions(String series, ChunkMeta m, long[] deleted) throws IOException {
    loaded(series, m);
    if (isHistogram(m.chunk.encoding())) {
      return applyHistogramDeletions(series, m, deleted);
    }
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

  /**
   * As Prometheus 2.42's {@code populateWithDelChunkSeriesIterator}: the surviving samples re-encoded into one
   * chunk of the same encoding with the source chunk's counter-reset header. They all share the chunk's layout,
   * so they append as they are.
   */
  private static ChunkMeta applyHistogramDeletions(String series, ChunkMeta m, long[] deleted) throws IOException {
    HistogramSource src = new HistogramSource(series, m);
    HistogramEncoder he = new HistogramEncoder(m.chunk.encoding() == ChunkEncoding.FLOAT_HISTOGRAM);
    he.setCounterResetHeader(src.it.counterResetHeader());
    while (src.next()) {
      if (!SeriesSampleIterator.isDeleted(src.timestamp(), deleted)) {
        he.append(src.timestamp(), src.it.histogram());
      }
    }
    return he.numSamples() == 0 ? null : he.toChunkMeta();
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
