package io.tsdbcompactor.compact;

import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.UnmergeableChunksException;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The chunks of one series merged as {@code --deduplication.func=penalty} merges them (Thanos
 * {@code dedup.NewChunkSeriesMerger}, pkg/dedup/chunk_iter.go): chunks in (minTime, maxTime) order; a chunk that
 * overlaps nothing is kept as is (its bytes are copied); a cluster of overlapping chunks drops exact 1:1
 * duplicates (same range, same bytes) and merges the rest through {@link PenaltyDedupIterator}, the cluster's
 * first chunk first, re-encoded into XOR chunks of at most {@value #SAMPLES_PER_CHUNK} samples.
 *
 * <p>Only XOR chunks are merged here; overlapping histogram or aggregate chunks are refused with an error
 * (downsampled overlaps never reach the merge: the planner marks them no-compact).
 */
public final class PenaltyChunkMerger implements SeriesChunkMerger {
  /** Prometheus's seriesToChunkEncoderSplit. */
  static final int SAMPLES_PER_CHUNK = 120;

  private static final Comparator<ChunkMeta> ORDER =
      Comparator.<ChunkMeta>comparingLong(c -> c.minTime).thenComparingLong(c -> c.maxTime);

  private final XorEncoder encoder = new XorEncoder();

  @Override
  public List<ChunkMeta> merge(String series, List<ChunkMeta> chunks) throws IOException {
    if (chunks.size() < 2) {
      return chunks;
    }
    List<ChunkMeta> sorted = new ArrayList<>(chunks);
    sorted.sort(ORDER);
    List<ChunkMeta> out = new ArrayList<>(sorted.size());
    int i = 0;
    while (i < sorted.size()) {
      ChunkMeta first = sorted.get(i);
      List<ChunkMeta> cluster = new ArrayList<>();
      cluster.add(first);
      long clusterMaxT = first.maxTime;
      ChunkMeta prev = first;
      int j = i + 1;
      for (; j < sorted.size() && sorted.get(j).minTime <= clusterMaxT; j++) {
        ChunkMeta next = sorted.get(j);
        if (next.minTime == prev.minTime && next.maxTime == prev.maxTime && sameBytes(next, prev)) {
          continue;
        }
        cluster.add(next);
        clusterMaxT = Math.max(clusterMaxT, next.maxTime);
        prev = next;
      }
      if (cluster.size() == 1) {
        out.add(first);
      } else {
        encodeMerged(series, cluster, out);
      }
      i = j;
    }
    return out;
  }

  private static boolean sameBytes(ChunkMeta a, ChunkMeta b) {
    return a.chunk.encoding() == b.chunk.encoding() && Arrays.equals(a.chunk.data(), b.chunk.data());
  }

  private void encodeMerged(String series, List<ChunkMeta> cluster, List<ChunkMeta> out) throws IOException {
    SampleIterator[] its = new SampleIterator[cluster.size()];
    for (int k = 0; k < its.length; k++) {
      ChunkMeta c = cluster.get(k);
      if (c.chunk.encoding() != ChunkEncoding.XOR) {
        throw new UnmergeableChunksException(series, c.minTime, c.maxTime,
            "penalty deduplication merges only XOR chunks, this one is " + ChunkEncoding.name(c.chunk.encoding()));
      }
      its[k] = new XorIterator("chunk ref " + Long.toHexString(c.ref), c.chunk.data());
    }
    SampleIterator merged = PenaltyDedupIterator.of(its);
    encoder.reset();
    while (merged.next()) {
      if (encoder.numSamples() == SAMPLES_PER_CHUNK) {
        out.add(encoder.toChunkMeta());
        encoder.reset();
      }
      encoder.append(merged.timestamp(), merged.value());
    }
    if (encoder.numSamples() > 0) {
      out.add(encoder.toChunkMeta());
    }
  }

}
