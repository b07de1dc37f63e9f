package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.UnmergeableChunksException;
import io.tsdbcompactor.chunk.XorEncoder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Deletes samples from, and merges overlapping, aggregate chunks ({@link AggrChunk}) of one series of a downsampled
 * block: what a rewrite needs when its deletions cut into a downsampled series or its relabelling makes two
 * downsampled series one. {@link io.tsdbcompactor.chunk.ChunkMerger} does this for raw chunks.
 *
 * <ul>
 *   <li><b>Deletions</b>: a chunk whose [minTime, maxTime] overlaps a deleted interval (both ends inclusive) loses,
 *       in each of its aggregates, the samples inside the intervals (whole windows; the counter's raw first and
 *       last values too when their timestamps are inside). A chunk left without windows disappears.</li>
 *   <li><b>Merges</b>: chunks are taken by minTime (equal: input order); a chunk joins the group of those before
 *       it while it starts at or before the group's running maxTime. A group of one is returned as the same
 *       object (its bytes are copied). A larger group becomes one chunk: each aggregate holds every timestamp any
 *       member has, and at a timestamp several members have, all of that timestamp's samples of every aggregate
 *       come from the first member that has it, so a window's count, sum, min, max and counter stay together.</li>
 * </ul>
 * Native-histogram aggregate chunks cannot be cut or merged ({@link UnmergeableChunksException}). New chunks have
 * ref 0 and the [minTime, maxTime] of their windows.
 */
public final class AggrChunkMerger {
  private static final Comparator<ChunkMeta> ORDER =
      Comparator.<ChunkMeta>comparingLong(m -> m.minTime).thenComparingLong(m -> m.maxTime);

  private AggrChunkMerger() {}

  /** Whether any of the chunks is an aggregate chunk. */
  public static boolean anyAggregate(List<ChunkMeta> chunks) {
    for (ChunkMeta c : chunks) {
      if (c.chunk != null && c.chunk.encoding() == ChunkEncoding.AGGR) {
        return true;
      }
    }
    return false;
  }

  /**
   * @param series the series' labels, for errors
   * @param chunks the series' aggregate chunks, loaded
   * @param deleted deleted intervals as pairs {@code [min0, max0, min1, max1, ...]}, both ends inclusive; null for none
   * @return non-overlapping chunks in time order; untouched chunks are the input objects
   */
  public static List<ChunkMeta> merge(String series, List<ChunkMeta> chunks, long[] deleted) throws IOException {
    List<ChunkMeta> in = new ArrayList<>(chunks.size());
    for (ChunkMeta c : chunks) {
      if (c.chunk.encoding() != ChunkEncoding.AGGR) {
        throw new UnmergeableChunksException(series, c.minTime, c.maxTime,
            "a downsampled series holds a " + ChunkEncoding.name(c.chunk.encoding()) + " chunk among aggregate chunks");
      }
      if (deleted == null || !overlaps(c, deleted)) {
        in.add(c);
        continue;
      }
      ChunkMeta kept = build(series, List.of(windows(series, c, deleted)));
      if (kept != null) {
        in.add(kept);
      }
    }
    in.sort(ORDER); // stable
    List<ChunkMeta> out = new ArrayList<>(in.size());
    int i = 0;
    while (i < in.size()) {
      long groupMax = in.get(i).maxTime;
      int j = i + 1;
      while (j < in.size() && in.get(j).minTime <= groupMax) {
        groupMax = Math.max(groupMax, in.get(j).maxTime);
        j++;
      }
      if (j == i + 1) {
        out.add(in.get(i));
      } else {
        List<Windows> group = new ArrayList<>();
        for (ChunkMeta c : in.subList(i, j)) {
          group.add(windows(series, c, null));
        }
        ChunkMeta merged = build(series, group);
        if (merged != null) {
          out.add(merged);
        }
      }
      i = j;
    }
    return out;
  }

  private static boolean overlaps(ChunkMeta c, long[] deleted) {
    for (int k = 0; k < deleted.length; k += 2) {
      if (deleted[k] <= c.maxTime && deleted[k + 1] >= c.minTime) {
        return true;
      }
    }
    return false;
  }

  private static boolean isDeleted(long t, long[] deleted) {
    for (int k = 0; k < deleted.length; k += 2) {
      if (t >= deleted[k] && t <= deleted[k + 1]) {
        return true;
      }
    }
    return false;
  }

  /** One chunk's aggregates decoded: per {@link AggrType}, timestamps and values (null arrays: absent). */
  private record Windows(long[][] ts, double[][] vs) {}

  private static Windows windows(String series, ChunkMeta c, long[] deleted) throws IOException {
    AggrChunk a = AggrChunk.parse("series " + series, c.chunk);
    if (a.isHistogram()) {
      throw new UnmergeableChunksException(series, c.minTime, c.maxTime,
          "native-histogram aggregate chunks cannot be cut or merged");
    }
    int n = AggrType.values().length;
    long[][] ts = new long[n][];
    double[][] vs = new double[n][];
    for (AggrType type : AggrType.values()) {
      if (!a.has(type)) {
        continue;
      }
      SampleIterator it = a.iterator(type);
      long[] t = new long[16];
      double[] v = new double[16];
      int k = 0;
      while (it.next()) {
        if (deleted != null && isDeleted(it.timestamp(), deleted)) {
          continue;
        }
        if (k == t.length) {
          t = Arrays.copyOf(t, 2 * k);
          v = Arrays.copyOf(v, 2 * k);
        }
        t[k] = it.timestamp();
        v[k++] = it.value();
      }
      ts[type.ordinal()] = Arrays.copyOf(t, k);
      vs[type.ordinal()] = Arrays.copyOf(v, k);
    }
    return new Windows(ts, vs);
  }

  /**
   * One aggregate chunk from the members' windows (earlier members win a shared timestamp); null when no window
   * is left.
   */
  private static ChunkMeta build(String series, List<Windows> members) throws UnmergeableChunksException {
    Chunk[] aggregates = new Chunk[AggrType.values().length];
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    for (AggrType type : AggrType.values()) {
      int a = type.ordinal();
      int[] pos = new int[members.size()];
      XorEncoder enc = null;
      while (true) {
        long next = Long.MAX_VALUE;
        for (int m = 0; m < members.size(); m++) {
          long[] t = members.get(m).ts()[a];
          if (t != null && pos[m] < t.length) {
            next = Math.min(next, t[pos[m]]);
          }
        }
        if (next == Long.MAX_VALUE) {
          break;
        }
        boolean taken = false;
        for (int m = 0; m < members.size(); m++) {
          long[] t = members.get(m).ts()[a];
          // The first member's samples at this timestamp (a counter repeats its last window's), the others' skipped.
          boolean winner = !taken && t != null && pos[m] < t.length && t[pos[m]] == next;
          while (t != null && pos[m] < t.length && t[pos[m]] == next) {
            if (winner) {
              if (enc == null) {
                enc = new XorEncoder();
              }
              if (type == AggrType.COUNTER && enc.numSamples() > 0) {
                // After its first (raw) value the counter must stay inside the chunk's range.
                minT = Math.min(minT, next);
                maxT = Math.max(maxT, next);
              }
              enc.append(next, members.get(m).vs()[a][pos[m]]);
            }
            pos[m]++;
          }
          taken |= winner;
        }
        if (type != AggrType.COUNTER) {
          minT = Math.min(minT, next);
          maxT = Math.max(maxT, next);
        }
      }
      if (enc != null && enc.numSamples() > 0) {
        if (enc.numSamples() > XorEncoder.MAX_SAMPLES) {
          throw new UnmergeableChunksException(series, minT, maxT, "a merged " + type.label() + " aggregate would hold "
              + enc.numSamples() + " samples, more than a chunk can");
        }
        aggregates[a] = enc.toChunk();
      }
    }
    if (minT == Long.MAX_VALUE) {
      return null;
    }
    return new ChunkMeta(minT, maxT, 0, AggrChunk.encode(aggregates));
  }

}
