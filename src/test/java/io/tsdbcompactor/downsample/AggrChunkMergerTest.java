package io.tsdbcompactor.downsample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggrChunkMergerTest {
  /**
   * An aggregate chunk with windows at {@code windows} (count = the window's index + base, sum = 10 × that, min =
   * max = that) and a counter that starts with a raw value at {@code rawFirstT} and repeats the last window's
   * timestamp with a raw last value, as the downsampler writes it.
   */
  private static ChunkMeta chunk(long rawFirstT, double base, long... windows) {
    XorEncoder count = new XorEncoder();
    XorEncoder sum = new XorEncoder();
    XorEncoder min = new XorEncoder();
    XorEncoder max = new XorEncoder();
    XorEncoder counter = new XorEncoder();
    counter.append(rawFirstT, base);
    for (int i = 0; i < windows.length; i++) {
      double v = base + i;
      count.append(windows[i], v);
      sum.append(windows[i], 10 * v);
      min.append(windows[i], v);
      max.append(windows[i], v);
      counter.append(windows[i], 100 * v);
    }
    counter.append(windows[windows.length - 1], base + 0.5);
    Chunk c = AggrChunk.encode(new Chunk[] {count.toChunk(), sum.toChunk(), min.toChunk(), max.toChunk(), counter.toChunk()});
    return new ChunkMeta(windows[0], windows[windows.length - 1], 0, c);
  }

  /** "t=v" for each sample of one aggregate. */
  private static List<String> samples(ChunkMeta c, AggrType type) throws Exception {
    SampleIterator it = AggrChunk.parse("test", c.chunk).iterator(type);
    List<String> out = new ArrayList<>();
    while (it.next()) {
      out.add(it.timestamp() + "=" + it.value());
    }
    return out;
  }

  @Test
  void chunksThatDoNotOverlapAreReturnedAsThey() throws Exception {
    ChunkMeta a = chunk(50, 1, 100, 200);
    ChunkMeta b = chunk(250, 5, 300, 400);
    List<ChunkMeta> out = AggrChunkMerger.merge("s", List.of(b, a), null);
    assertEquals(2, out.size());
    assertSame(a, out.get(0));
    assertSame(b, out.get(1));
  }

  @Test
  void overlapsTakeEachWindowWholeFromTheFirstChunkHavingIt() throws Exception {
    ChunkMeta a = chunk(50, 1, 100, 200, 300);
    ChunkMeta b = chunk(150, 7, 200, 400);
    List<ChunkMeta> out = AggrChunkMerger.merge("s", List.of(a, b), null);
    assertEquals(1, out.size());
    ChunkMeta m = out.get(0);
    assertEquals(100, m.minTime);
    assertEquals(400, m.maxTime);
    assertEquals(List.of("100=1.0", "200=2.0", "300=3.0", "400=8.0"), samples(m, AggrType.COUNT));
    assertEquals(List.of("100=10.0", "200=20.0", "300=30.0", "400=80.0"), samples(m, AggrType.SUM));
    // a's raw first, a's windows (a wins 200), b's raw first in between, both raw lasts with their windows.
    assertEquals(List.of("50=1.0", "100=100.0", "150=7.0", "200=200.0", "300=300.0", "300=1.5", "400=800.0", "400=7.5"),
        samples(m, AggrType.COUNTER));
    assertEquals(4, AggrChunk.verify("merged", m.chunk, m.minTime, m.maxTime));
  }

  @Test
  void deletionsRemoveWindowsAndEmptyChunksDisappear() throws Exception {
    ChunkMeta a = chunk(50, 1, 100, 200, 300);
    ChunkMeta b = chunk(350, 5, 400, 500);
    List<ChunkMeta> out = AggrChunkMerger.merge("s", List.of(a, b), new long[] {150, 250, 390, 600});
    assertEquals(1, out.size(), "b lost every window");
    ChunkMeta cut = out.get(0);
    assertEquals(List.of("100=1.0", "300=3.0"), samples(cut, AggrType.MAX));
    assertEquals(List.of("50=1.0", "100=100.0", "300=300.0", "300=1.5"), samples(cut, AggrType.COUNTER));
    assertEquals(100, cut.minTime);
    assertEquals(300, cut.maxTime);
    assertTrue(AggrChunk.verify("cut", cut.chunk, cut.minTime, cut.maxTime) == 2);
  }
}
