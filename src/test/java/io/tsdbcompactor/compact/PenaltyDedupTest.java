package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PenaltyDedupTest {

  /** Samples as {t, v} pairs. */
  static SampleIterator samples(long... tv) {
    return new SampleIterator() {
      int i = -2;

      @Override
      public boolean next() {
        i += 2;
        return i < tv.length;
      }

      @Override
      public long timestamp() {
        return tv[i];
      }

      @Override
      public double value() {
        return tv[i + 1];
      }
    };
  }

  static List<long[]> drain(SampleIterator it) throws IOException {
    List<long[]> out = new ArrayList<>();
    while (it.next()) {
      out.add(new long[] {it.timestamp(), (long) it.value()});
    }
    return out;
  }

  static void assertSamples(List<long[]> got, long... tv) {
    assertEquals(tv.length / 2, got.size(), "sample count");
    for (int i = 0; i < got.size(); i++) {
      assertArrayEquals(new long[] {tv[2 * i], tv[2 * i + 1]}, got.get(i), "sample " + i);
    }
  }

  /** Thanos's dedup test: two replicas scraping 10s apart with a 2s offset yield one sample per 10s. */
  @Test
  void replicasWithOffsetKeepOneSamplePerInterval() throws Exception {
    SampleIterator a = samples(10000, 1, 20000, 2, 30000, 3, 40000, 4);
    SampleIterator b = samples(12000, 11, 22000, 12, 32000, 13, 42000, 14);
    // First pick: a@10000 (smaller); b penalised by 5000 -> seek 15001 -> 22000.
    // Next: a seeks 10001 -> 20000, b at 22000: a wins, penB = 2*(20000-10000) = 20000 -> b seeks 40001.
    assertSamples(drain(new PenaltyDedupIterator(a, b)), 10000, 1, 20000, 2, 30000, 3, 40000, 4);
  }

  @Test
  void gapInOneReplicaIsFilledFromTheOther() throws Exception {
    SampleIterator a = samples(10000, 1, 20000, 2, 90000, 9);
    SampleIterator b = samples(11000, 11, 21000, 12, 31000, 13, 41000, 14, 51000, 15, 100000, 20);
    // After a@20000 (penB = 20000) b seeks 40001 -> 41000 and wins over a@90000; a@90000 is taken after
    // b@51000, which penalises b by 2 * (90000 - 51000): its 100000 is skipped, as Thanos skips it.
    assertSamples(drain(new PenaltyDedupIterator(a, b)),
        10000, 1, 20000, 2, 41000, 14, 51000, 15, 90000, 9);
  }

  @Test
  void exhaustedReplicaLeavesTheOther() throws Exception {
    assertSamples(drain(new PenaltyDedupIterator(samples(), samples(1, 1, 2, 2))), 1, 1, 2, 2);
    assertSamples(drain(new PenaltyDedupIterator(samples(1, 1, 2, 2), samples())), 1, 1, 2, 2);
    SampleIterator done = new PenaltyDedupIterator(samples(), samples());
    assertEquals(false, done.next());
    assertEquals(false, done.next());
  }

  @Test
  void equalTimestampsTakeTheFirstReplica() throws Exception {
    assertSamples(drain(new PenaltyDedupIterator(samples(1000, 1, 2000, 2), samples(1000, 7, 2000, 8))),
        1000, 1, 2000, 2);
  }

  static ChunkMeta xor(long... tv) {
    XorEncoder e = new XorEncoder();
    for (int i = 0; i < tv.length; i += 2) {
      e.append(tv[i], tv[i + 1]);
    }
    return e.toChunkMeta();
  }

  @Test
  void chunkMergerCopiesLoneChunksDropsDuplicatesAndMergesOverlaps() throws Exception {
    ChunkMeta lone = xor(0, 0, 1000, 1);
    ChunkMeta a = xor(10000, 1, 20000, 2, 30000, 3);
    ChunkMeta aCopy = new ChunkMeta(a.minTime, a.maxTime, 7, new Chunk(ChunkEncoding.XOR, a.chunk.data().clone()));
    ChunkMeta b = xor(12000, 11, 22000, 12, 32000, 13, 42000, 14);
    List<ChunkMeta> out = new PenaltyChunkMerger().merge("s", List.of(lone, a, aCopy, b));
    assertEquals(2, out.size());
    assertSame(lone, out.get(0));
    // b's 42000 falls inside the penalty b got when a@30000 was taken.
    assertSamples(drain(new XorIterator("merged", out.get(1).chunk.data())), 10000, 1, 20000, 2, 30000, 3);
    assertEquals(10000, out.get(1).minTime);
    assertEquals(30000, out.get(1).maxTime);

    // Exact duplicates alone collapse to the first, bytes untouched.
    List<ChunkMeta> dup = new PenaltyChunkMerger().merge("s", List.of(a, aCopy));
    assertEquals(1, dup.size());
    assertSame(a, dup.get(0));
  }

  @Test
  void mergedOutputIsCutEvery120Samples() throws Exception {
    XorEncoder ea = new XorEncoder();
    XorEncoder eb = new XorEncoder();
    for (int i = 0; i < 300; i++) {
      ea.append(i * 10_000L, i);
      eb.append(i * 10_000L + 1000, i);
    }
    List<ChunkMeta> out = new PenaltyChunkMerger().merge("s", List.of(ea.toChunkMeta(), eb.toChunkMeta()));
    assertEquals(3, out.size());
    assertEquals(120, out.get(0).chunk.numSamples());
    assertEquals(120, out.get(1).chunk.numSamples());
    assertEquals(60, out.get(2).chunk.numSamples());
    assertEquals(out.get(0).maxTime + 10_000, out.get(1).minTime);
  }

  @Test
  void overlappingHistogramChunksAreRefused() {
    ChunkMeta h1 = new ChunkMeta(0, 100, 0, new Chunk(ChunkEncoding.HISTOGRAM, new byte[] {0, 1, 0}));
    ChunkMeta h2 = new ChunkMeta(50, 150, 0, new Chunk(ChunkEncoding.HISTOGRAM, new byte[] {0, 1, 1}));
    IOException e = assertThrows(IOException.class, () -> new PenaltyChunkMerger().merge("s", List.of(h1, h2)));
    assertEquals(true, e.getMessage().contains("histogram"), e.getMessage());
  }
}
