package io.tsdbcompactor.downsample;

import static io.tsdbcompactor.downsample.TestSeries.aggr;
import static io.tsdbcompactor.downsample.TestSeries.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AggrChunkDumpTest {
  private static final Labels A = Labels.of("__name__", "a");

  @Test
  void v1AsDocumented() throws Exception {
    SeriesDownsampler d = new SeriesDownsampler();
    d.addRaw(parse("20:1 40:2 60:3 80:1 100:2 101:Stale 120:5 180:10 250:1"));
    List<ChunkMeta> out = new ArrayList<>();
    d.flushRaw(100, out);
    assertEquals("""
        {__name__="a"} counter_first=1 20
        {__name__="a"} count=4 sum=7 min=1 max=3 counter=4 99
        {__name__="a"} count=3 sum=17 min=2 max=10 counter=13 199
        {__name__="a"} count=1 sum=1 min=1 max=1 counter=14 250
        {__name__="a"} counter_last=1 250
        """, AggrChunkDump.format(A, out.get(0).chunk, "test"));
  }

  @Test
  void absentAggregatesAreLeftOutAndValuesUseGoFormat() throws Exception {
    ChunkMeta c = aggr("100:30 200:50", "100:1e+06 200:0.5", "100:0 200:-10", null, "50:5 100:10 200:10.1 200:3");
    assertEquals("""
        {__name__="a"} counter_first=5 50
        {__name__="a"} count=30 sum=1e+06 min=0 counter=10 100
        {__name__="a"} count=50 sum=0.5 min=-10 counter=10.1 200
        {__name__="a"} counter_last=3 200
        """, AggrChunkDump.format(A, c.chunk, "test"));
  }

  @Test
  void verifyAcceptsOurChunksAndNamesProblems() throws Exception {
    ChunkMeta good = aggr("100:1 200:2", "100:1 200:2", "100:1 200:2", "100:1 200:2", "50:1 100:1 200:2 200:2");
    assertEquals(2, AggrChunk.verify("f", good.chunk, 100, 200));

    ChunkMeta misaligned = aggr("100:1 200:2", "100:1 201:2", null, null, null);
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> AggrChunk.verify("blk/chunks/000001 ref 0x8", misaligned.chunk, 100, 201));
    assertTrue(e.getMessage().contains("sum") && e.getMessage().contains("blk/chunks/000001"), e.getMessage());

    CorruptDataException range = assertThrows(CorruptDataException.class,
        () -> AggrChunk.verify("f", good.chunk, 100, 150));
    assertTrue(range.getMessage().contains("outside the chunk's range"), range.getMessage());

    ChunkMeta backwards = aggr("200:1 100:2", null, null, null, null);
    assertThrows(CorruptDataException.class, () -> AggrChunk.verify("f", backwards.chunk, 0, 300));
  }

  @Test
  void dumpOfADownsampledBlock() throws Exception {
    Map<Labels, List<TestSeries.Samples>> series = new TreeMap<>();
    series.put(Labels.of("__name__", "up", "job", "x"), List.of(parse("1000:1 2000:2 400000:3")));
    series.put(Labels.of("__name__", "z"), List.of(parse("5:7")));
    MemoryDirectory raw = new MemoryDirectory("raw");
    BlockDownsamplerTest.writeRawBlock(raw, series, Resolution.RAW);
    MemoryDirectory out = new MemoryDirectory("out");
    BlockMeta m = BlockDownsampler.downsample(raw, out, Resolution.FIVE_MINUTES, TestUlids.next()).meta();
    StringBuilder sb = new StringBuilder();
    try (BlockReader r = BlockReader.open(out)) {
      assertEquals(m.ulid, r.meta().ulid);
      AggrChunkDump.dump(r, Long.MIN_VALUE, Long.MAX_VALUE, sb);
    }
    assertEquals("""
        {__name__="up", job="x"} counter_first=1 1000
        {__name__="up", job="x"} count=2 sum=3 min=1 max=2 counter=2 299999
        {__name__="up", job="x"} count=1 sum=3 min=3 max=3 counter=3 400000
        {__name__="up", job="x"} counter_last=3 400000
        {__name__="z"} counter_first=7 5
        {__name__="z"} count=1 sum=7 min=7 max=7 counter=7 5
        {__name__="z"} counter_last=7 5
        """, sb.toString());

    // The block layer's promtool-style dump can print one aggregate through the decoder hook.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BlockReader r = BlockReader.open(out)) {
      new BlockDumper().withDecoder(ChunkEncoding.AGGR, AggrChunkDump.decoder(AggrType.COUNT))
          .dump(List.of(r), Long.MIN_VALUE, Long.MAX_VALUE, bytes);
    }
    assertEquals("""
        {__name__="up", job="x"} 2 299999
        {__name__="up", job="x"} 1 400000
        {__name__="z"} 1 5
        """, bytes.toString(StandardCharsets.UTF_8));
  }
}
