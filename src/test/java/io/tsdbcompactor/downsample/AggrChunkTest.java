package io.tsdbcompactor.downsample;

import static io.tsdbcompactor.downsample.TestSeries.aggr;
import static io.tsdbcompactor.downsample.TestSeries.render;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.AggrChunkLayout;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggrChunkTest {

  /** Thanos's TestAggrChunk: max absent, everything else round-trips. */
  @Test
  void roundTripWithAbsentMax() throws Exception {
    ChunkMeta c = aggr("100:30 200:50 300:60 400:67", "100:130 200:1000 300:2000 400:5555",
        "100:0 200:-10 300:1000 400:-9.5", null, "100:5 200:10 300:10.1 400:15 400:3");
    assertEquals(ChunkEncoding.AGGR, c.chunk.encoding());
    AggrChunk a = AggrChunk.parse("test", c.chunk);
    assertEquals("100:30 200:50 300:60 400:67", render(a.iterator(AggrType.COUNT)));
    assertEquals("100:130 200:1000 300:2000 400:5555", render(a.iterator(AggrType.SUM)));
    assertEquals("100:0 200:-10 300:1000 400:-9.5", render(a.iterator(AggrType.MIN)));
    assertEquals("100:5 200:10 300:10.1 400:15 400:3", render(a.iterator(AggrType.COUNTER)));
    assertFalse(a.has(AggrType.MAX));
    assertNull(a.get(AggrType.MAX));
    assertEquals("", render(a.iterator(AggrType.MAX)));
    assertEquals(4, a.numSamples());
    assertEquals(4, c.chunk.numSamples());
    assertFalse(a.isHistogram());
    // Re-encoding the parsed sub-chunks gives the same bytes.
    Chunk[] subs = new Chunk[5];
    for (AggrType t : AggrType.values()) {
      subs[t.ordinal()] = a.get(t);
    }
    assertArrayEquals(c.chunk.data(), AggrChunk.encode(subs).data());
  }

  /**
   * The worked example of docs/thanos-compactor.md (§5.9): one sample (0, 1.0) at 5m. Prometheus's bit stream leaves an
   * empty byte after a sample that ends on a byte boundary, so a one-sample XOR chunk is 12 bytes (not the 11
   * the hand-derived example says) and the AggrChunk 71.
   */
  @Test
  void workedExampleBytes() throws Exception {
    SeriesDownsampler d = new SeriesDownsampler();
    d.addRaw(new long[] {0}, new double[] {1.0}, 1);
    List<ChunkMeta> out = new ArrayList<>();
    d.flushRaw(Resolution.FIVE_MINUTES, out);
    assertEquals(1, out.size());
    String plain = "0c01" + "000100" + "3ff0000000000000" + "00";
    String counter = "0d01" + "000300" + "3ff0000000000000" + "0000";
    assertEquals(plain + plain + plain + plain + counter, HexFormat.of().formatHex(out.get(0).chunk.data()));
    assertEquals(71, out.get(0).chunk.data().length);
    assertEquals(0, out.get(0).minTime);
    assertEquals(0, out.get(0).maxTime);
  }

  @Test
  void allAbsentIsFiveZeroBytes() throws Exception {
    Chunk c = AggrChunk.encode(new Chunk[5]);
    assertArrayEquals(new byte[5], c.data());
    AggrChunk a = AggrChunk.parse("x", c);
    for (AggrType t : AggrType.values()) {
      assertFalse(a.has(t));
    }
    assertEquals(0, a.numSamples());
  }

  @Test
  void truncatedEntryNamesFileAndOffset() {
    ChunkMeta c = aggr("100:1", "100:1", "100:1", "100:1", "100:1 100:1 100:1");
    byte[] data = c.chunk.data();
    byte[] cut = Arrays.copyOf(data, data.length - 3);
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> AggrChunk.parse("01BLOCK/chunks/000001 ref 0x8", new Chunk(0xff, cut)));
    assertTrue(e.getMessage().contains("01BLOCK/chunks/000001"), e.getMessage());
    assertTrue(e.getMessage().contains("counter"), e.getMessage());
    // The counter entry starts after four entries of (1 + 1 + 13) bytes (t=100 takes a 2-byte varint).
    assertEquals(4 * 15, e.offset());

    CorruptDataException empty = assertThrows(CorruptDataException.class,
        () -> AggrChunk.parse("f", new Chunk(0xff, new byte[] {0, 0})));
    assertTrue(empty.getMessage().contains("min"), empty.getMessage());
  }

  @Test
  void wrongEncodingRejected() {
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> AggrChunk.parse("f", TestSeries.xor("1:1")));
    assertTrue(e.getMessage().contains("0xff"), e.getMessage());
  }

  @Test
  void histogramSubChunkIsNotReadAsFloats() throws Exception {
    Chunk[] subs = {TestSeries.xor("1:1"), new Chunk(ChunkEncoding.FLOAT_HISTOGRAM, new byte[] {0, 0}), null, null,
        new Chunk(ChunkEncoding.FLOAT_HISTOGRAM, new byte[] {0, 0})};
    AggrChunk a = AggrChunk.parse("f", AggrChunk.encode(subs));
    assertTrue(a.isHistogram());
    assertThrows(CorruptDataException.class, () -> a.iterator(AggrType.SUM));
  }
  /** What the block verifier checks of an aggregate chunk without decoding it ({@link AggrChunkLayout#check}). */
  @Test
  void layoutCheckCountsWindowsAndRefusesWhatCannotBe() throws Exception {
    ChunkMeta good = aggr("100:3 200:5", "100:13 200:50", "100:1 200:2", "100:7 200:20", "90:1 100:5 200:60 200:4");
    byte[] data = good.chunk.data();
    assertEquals(2, AggrChunkLayout.check("c", data, data.length));
    assertEquals(2, AggrChunkLayout.windows(data, data.length));
    assertEquals(-1, AggrChunkLayout.windows(data, 2), "the count's header cut off");
    // A buffer longer than the chunk: only the given length is the chunk.
    byte[] padded = Arrays.copyOf(data, data.length + 40);
    assertEquals(2, AggrChunkLayout.check("c", padded, data.length));
    ChunkMeta noCount = aggr(null, "100:13 200:50", null, null, null);
    assertEquals(0, AggrChunkLayout.check("c", noCount.chunk.data(), noCount.chunk.data().length));
    assertEquals(0, AggrChunkLayout.windows(noCount.chunk.data(), noCount.chunk.data().length));

    ChunkMeta sumShort = aggr("100:3 200:5", "100:13", "100:1 200:2", "100:7 200:20", "100:5 200:60");
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> AggrChunkLayout.check("blk/chunks/000001 ref 0x8", sumShort.chunk.data(), sumShort.chunk.data().length));
    assertTrue(e.getMessage().startsWith("blk/chunks/000001 ref 0x8 at offset "), e.getMessage());
    assertTrue(e.getMessage().contains("the sum aggregate holds 1 samples, the aggregates before it 2"),
        e.getMessage());

    // A min that is a histogram chunk.
    Chunk[] subs = {TestSeries.xor("100:3"), TestSeries.xor("100:13"),
        new Chunk(ChunkEncoding.FLOAT_HISTOGRAM, TestSeries.xor("100:1").data()), null, null};
    byte[] badMin = AggrChunk.encode(subs).data();
    e = assertThrows(CorruptDataException.class, () -> AggrChunkLayout.check("c", badMin, badMin.length));
    assertTrue(e.getMessage().contains("the min aggregate has encoding floathistogram"), e.getMessage());

    // An entry cut short by the length given.
    e = assertThrows(CorruptDataException.class, () -> AggrChunkLayout.check("c", data, data.length - 3));
    assertTrue(e.getMessage().contains("(invalid size)"), e.getMessage());
  }
}

