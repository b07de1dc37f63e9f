package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ChunkMergerTest {

  /** An XOR chunk of samples at {@code ts} with value {@code base + t}. */
  static ChunkMeta chunk(double base, long... ts) {
    XorEncoder e = new XorEncoder();
    for (long t : ts) {
      e.append(t, base + t);
    }
    return e.toChunkMeta();
  }

  static long[] range(long from, long to, long step) {
    int n = (int) ((to - from) / step) + 1;
    long[] r = new long[n];
    for (int i = 0; i < n; i++) {
      r[i] = from + i * step;
    }
    return r;
  }

  /** All samples of the chunks, in order; checks the chunks are non-overlapping and their ranges exact. */
  static TreeMap<Long, Double> samples(List<ChunkMeta> chunks) throws CorruptDataException {
    TreeMap<Long, Double> out = new TreeMap<>();
    long prevMax = Long.MIN_VALUE;
    boolean first = true;
    for (ChunkMeta m : chunks) {
      assertTrue(first || m.minTime > prevMax, "chunks overlap or are out of order: " + chunks);
      first = false;
      prevMax = m.maxTime;
      XorIterator it = new XorIterator("out", m.chunk.data());
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      while (it.next()) {
        lo = Math.min(lo, it.timestamp());
        hi = Math.max(hi, it.timestamp());
        out.put(it.timestamp(), it.value());
      }
      assertEquals(m.minTime, lo);
      assertEquals(m.maxTime, hi);
    }
    return out;
  }

  @Test
  void nonOverlappingChunksAreTheSameObjects() throws IOException {
    ChunkMeta a = chunk(0, 1, 2, 3);
    ChunkMeta b = chunk(0, 4, 5);
    ChunkMeta c = chunk(0, 10, 20);
    List<ChunkMeta> out = ChunkMerger.merge(List.of(a, b, c));
    assertEquals(3, out.size());
    assertSame(a, out.get(0));
    assertSame(b, out.get(1));
    assertSame(c, out.get(2));
  }

  @Test
  void identicalDuplicatesCollapseToTheFirstUntouched() throws IOException {
    ChunkMeta a = chunk(0, 1, 2, 3);
    ChunkMeta a2 = chunk(0, 1, 2, 3);
    ChunkMeta a3 = chunk(0, 1, 2, 3);
    List<ChunkMeta> out = ChunkMerger.merge(List.of(a, a2, a3));
    assertEquals(1, out.size());
    assertSame(a, out.get(0));
  }

  @Test
  void twoOverlappingChunksMergeAndReencode() throws IOException {
    ChunkMeta a = chunk(100, 1, 2, 3);
    ChunkMeta b = chunk(200, 2, 3, 4);
    List<ChunkMeta> out = ChunkMerger.merge(List.of(a, b));
    assertEquals(1, out.size());
    assertNotSame(a, out.get(0));
    assertEquals(0, out.get(0).ref);
    // Prometheus order: [b, a]; b, waiting in the heap, wins the shared timestamps.
    assertEquals(Map.of(1L, 101.0, 2L, 202.0, 3L, 203.0, 4L, 204.0), samples(out));
  }

  @Test
  void mergedSamplesAreCutEvery120() throws IOException {
    ChunkMeta a = chunk(0, range(0, 240, 2)); // 121 samples
    ChunkMeta b = chunk(0, range(1, 239, 2)); // 120 samples
    List<ChunkMeta> out = ChunkMerger.merge(List.of(a, b));
    assertEquals(3, out.size());
    assertEquals(120, out.get(0).chunk.numSamples());
    assertEquals(120, out.get(1).chunk.numSamples());
    assertEquals(1, out.get(2).chunk.numSamples());
    assertEquals(241, samples(out).size());
    assertEquals(0, out.get(0).minTime);
    assertEquals(119, out.get(0).maxTime);
    assertEquals(240, out.get(2).minTime);
  }

  @Test
  void groupsChainThroughRunningMaxTime() throws IOException {
    ChunkMeta a = chunk(0, 0, 100); // [0,100]
    ChunkMeta b = chunk(0, 50, 60); // inside a
    ChunkMeta c = chunk(0, 90, 200); // overlaps a only
    ChunkMeta d = chunk(0, 201, 300); // touches nothing
    List<ChunkMeta> out = ChunkMerger.merge(List.of(a, b, c, d));
    assertEquals(2, out.size());
    assertSame(d, out.get(1));
    assertEquals(List.of(0L, 50L, 60L, 90L, 100L, 200L, 201L, 300L), new ArrayList<>(samples(out).keySet()));
  }

  @Test
  void randomOverlappingStreams() throws IOException {
    ChunkMerger merger = new ChunkMerger();
    for (int seed = 0; seed < 150; seed++) {
      Random r = new Random(seed);
      int streams = new int[] {2, 3, 5}[seed % 3];
      List<ChunkMeta> in = new ArrayList<>();
      Map<Long, List<Double>> offered = new HashMap<>();
      for (int s = 0; s < streams; s++) {
        long t = r.nextInt(5000);
        int chunks = 1 + r.nextInt(4);
        for (int c = 0; c < chunks; c++) {
          int n = 1 + r.nextInt(150);
          long[] ts = new long[n];
          for (int i = 0; i < n; i++) {
            t += 1 + r.nextInt(r.nextBoolean() ? 2 : 40);
            ts[i] = t;
            offered.computeIfAbsent(t, x -> new ArrayList<>()).add(s * 1e6 + t);
          }
          in.add(chunk(s * 1e6, ts));
          t += r.nextInt(300);
        }
      }
      in.sort((x, y) -> Long.compare(x.minTime, y.minTime));
      List<ChunkMeta> out = merger.mergeSeries("{seed=\"" + seed + "\"}", in, null);
      TreeMap<Long, Double> got = samples(out);
      assertEquals(offered.keySet(), got.keySet());
      for (Map.Entry<Long, Double> e : got.entrySet()) {
        assertTrue(offered.get(e.getKey()).contains(e.getValue()));
      }
      for (ChunkMeta m : out) {
        if (!in.contains(m)) {
          assertTrue(m.chunk.numSamples() <= 120);
          assertEquals(0, m.ref);
        }
      }
      // Untouched chunks are exactly the inputs that overlap no other input.
      for (ChunkMeta m : in) {
        boolean alone = in.stream().noneMatch(o -> o != m && o.overlaps(m));
        assertEquals(alone, out.stream().anyMatch(o -> o == m), "chunk " + m + " alone=" + alone);
      }
    }
  }

  @Test
  void deletionsDropSamplesAndReencodeOnlyTouchedChunks() throws IOException {
    ChunkMeta a = chunk(0, 10, 20, 30, 40);
    ChunkMeta b = chunk(0, 50, 60, 70);
    ChunkMeta c = chunk(0, 100, 110);
    ChunkMeta d = chunk(0, 200, 300);
    long[] deleted = {15, 30, 100, 110, 250, 260};
    List<ChunkMeta> out = new ChunkMerger().mergeSeries("s", List.of(a, b, c, d), deleted);
    assertEquals(3, out.size());
    assertEquals(List.of(10L, 40L), new ArrayList<>(samples(List.of(out.get(0))).keySet()));
    assertSame(b, out.get(1));
    // d's range [200,300] overlaps [250,260] though no sample is deleted: Prometheus re-encodes it.
    assertNotSame(d, out.get(2));
    assertArrayEquals(d.chunk.data(), out.get(2).chunk.data());
  }

  @Test
  void deletionsApplyBeforeOverlapDetection() throws IOException {
    ChunkMeta a = chunk(0, 10, 20, 30);
    ChunkMeta b = chunk(0, 25, 35);
    List<ChunkMeta> out = new ChunkMerger().mergeSeries("s", List.of(a, b), new long[] {25, 30});
    assertEquals(2, out.size());
    assertEquals(List.of(10L, 20L), new ArrayList<>(samples(List.of(out.get(0))).keySet()));
    assertEquals(List.of(35L), new ArrayList<>(samples(List.of(out.get(1))).keySet()));
  }

  @Test
  void overlappingXorAndHistogramChunksAreRefused() {
    ChunkMeta x = chunk(0, 1, 2, 3);
    ChunkMeta h = new ChunkMeta(2, 5, 0, new Chunk(ChunkEncoding.HISTOGRAM, new byte[] {0, 1, 2, 3}));
    UnmergeableChunksException e = assertThrows(UnmergeableChunksException.class,
        () -> new ChunkMerger().mergeSeries("{__name__=\"h\"}", List.of(x, h), null));
    assertTrue(e.getMessage().contains("{__name__=\"h\"}"), e.getMessage());
    assertTrue(e.getMessage().contains("histogram"), e.getMessage());
    assertEquals(1, e.minTime());
    assertEquals(5, e.maxTime());
    // Histogram chunks are decoded now: damaged bytes under a deletion are corrupt data; aggregates are refused.
    assertThrows(CorruptDataException.class,
        () -> new ChunkMerger().mergeSeries("h", List.of(h), new long[] {3, 3}));
    ChunkMeta a = new ChunkMeta(2, 5, 0, new Chunk(ChunkEncoding.AGGR, new byte[] {0}));
    assertThrows(UnmergeableChunksException.class,
        () -> new ChunkMerger().mergeSeries("a", List.of(a), new long[] {3, 3}));
  }

  @Test
  void nonOverlappingHistogramChunksPassThrough() throws IOException {
    ChunkMeta h = new ChunkMeta(2, 5, 0, new Chunk(ChunkEncoding.HISTOGRAM, new byte[] {0, 1, 2, 3}));
    ChunkMeta x = chunk(0, 6, 7);
    List<ChunkMeta> out = ChunkMerger.merge(List.of(h, x));
    assertSame(h, out.get(0));
    assertSame(x, out.get(1));
  }

  @Test
  void damagedChunksInAGroupAreCorrupt() {
    ChunkMeta a = chunk(0, 1, 2, 3);
    ChunkMeta b = chunk(0, 2, 5);
    byte[] d = b.chunk.data().clone();
    ChunkMeta truncated = new ChunkMeta(2, 5, 0x1234, new Chunk(ChunkEncoding.XOR, java.util.Arrays.copyOf(d, 5)));
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> new ChunkMerger().mergeSeries("{job=\"x\"}", List.of(a, truncated), null));
    assertTrue(e.getMessage().contains("{job=\"x\"}") && e.getMessage().contains("0x1234"), e.getMessage());
    // Samples outside the index entry's range.
    ChunkMeta lying = new ChunkMeta(2, 4, 0, b.chunk);
    assertThrows(CorruptDataException.class, () -> ChunkMerger.merge(List.of(a, lying)));
  }

  @Test
  void damagedGroupsOnlyEverThrowCorruptDataException() throws IOException {
    Random r = new Random(5);
    ChunkMerger merger = new ChunkMerger();
    for (int k = 0; k < 3000; k++) {
      ChunkMeta a = chunk(0, range(0, 200, 10));
      ChunkMeta b = chunk(1, range(5, 205, 10));
      byte[] d = b.chunk.data().clone();
      switch (k % 3) {
        case 0 -> d[r.nextInt(d.length)] ^= (byte) (1 << r.nextInt(8));
        case 1 -> d = java.util.Arrays.copyOf(d, r.nextInt(d.length));
        default -> d = java.util.Arrays.copyOf(d, d.length + 1 + r.nextInt(4));
      }
      ChunkMeta damaged = new ChunkMeta(b.minTime, b.maxTime, 7, new Chunk(ChunkEncoding.XOR, d));
      try {
        List<ChunkMeta> out = merger.mergeSeries("s", List.of(a, damaged), null);
        assertTrue(k % 3 == 0, "only a flip can still decode");
        samples(out);
      } catch (CorruptDataException expected) {
        assertTrue(expected.getMessage().contains("series s"), expected.getMessage());
      }
    }
  }

  @Test
  void aMergerIsCleanAfterAFailedMerge() throws IOException {
    ChunkMerger merger = new ChunkMerger();
    ChunkMeta a = chunk(0, range(0, 100, 10));
    ChunkMeta b = chunk(0, range(5, 105, 10));
    byte[] cut = java.util.Arrays.copyOf(b.chunk.data(), b.chunk.data().length - 3);
    ChunkMeta bad = new ChunkMeta(b.minTime, b.maxTime, 0, new Chunk(ChunkEncoding.XOR, cut));
    assertThrows(CorruptDataException.class, () -> merger.mergeSeries("s", List.of(a, bad), null));
    List<ChunkMeta> out = merger.mergeSeries("s", List.of(chunk(0, 1, 2), chunk(0, 2, 3)), null);
    assertEquals(List.of(1L, 2L, 3L), new ArrayList<>(samples(out).keySet()));
  }

  @Test
  void unsortedInputIsSortedByMinThenMaxTime() throws IOException {
    ChunkMeta a = chunk(0, 1, 2);
    ChunkMeta b = chunk(0, 5, 6);
    List<ChunkMeta> out = ChunkMerger.merge(List.of(b, a));
    assertSame(a, out.get(0));
    assertSame(b, out.get(1));
  }
}
