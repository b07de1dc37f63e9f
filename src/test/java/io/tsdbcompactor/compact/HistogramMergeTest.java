package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.Histogram;
import io.tsdbcompactor.chunk.HistogramEncoder;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.MemoryDirectory;
import io.tsdbcompactor.sync.Marker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Histogram chunks in the block merge: copied when alone; overlapping ones merged (no dedup), refused by penalty
 * dedup and when they are gauge histograms; damaged ones make the blocks corrupt.
 */
class HistogramMergeTest {
  static final Labels SERIES = Labels.of("__name__", "rpc_latency", "job", "api");

  /** A block with one series holding one histogram chunk over [min, max]; the bytes stand in for real data. */
  static BlockMerger.Input block(String ulid, long min, long max, byte fill) throws Exception {
    MemoryDirectory dir = new MemoryDirectory(ulid);
    byte[] data = new byte[40];
    java.util.Arrays.fill(data, fill);
    data[0] = 0;
    data[1] = 12; // 12 samples in the count header
    ChunkMeta c = new ChunkMeta(min, max, 0, new Chunk(ChunkEncoding.HISTOGRAM, data));
    try (ChunkSegmentWriter w = new ChunkSegmentWriter(dir)) {
      w.write(List.of(c));
    }
    try (IndexWriter iw = new IndexWriter(dir, "index")) {
      for (String s : List.of("__name__", "api", "job", "rpc_latency")) {
        iw.addSymbol(s);
      }
      iw.addSeries(SERIES, List.of(c));
    }
    BlockMeta m = new BlockMeta();
    m.ulid = ulid;
    m.minTime = min;
    m.maxTime = max + 1;
    m.compaction.level = 1;
    m.compaction.sources = new ArrayList<>(List.of(ulid));
    dir.writeAll("meta.json", m.toJsonBytes());
    return new BlockMerger.Input(m, dir);
  }

  @Test
  void adjacentHistogramChunksAreCopied() throws Exception {
    BlockMerger.Input a = block("01H00000000000000000000001", 0, 999, (byte) 7);
    BlockMerger.Input b = block("01H00000000000000000000002", 1000, 1999, (byte) 9);
    MemoryDirectory out = new MemoryDirectory("out");
    BlockMeta meta = new BlockMerger(CompactorOptions.DedupFunc.NONE).merge(List.of(a, b), out,
        new BlockMerger.Output("01H00000000000000000000003", Map.of("c", "1"), 0, null));
    assertEquals(2, meta.stats.numChunks);
    assertEquals(24, meta.stats.numHistogramSamples);
    assertEquals(0, meta.stats.numFloatSamples);
    java.util.Map<Labels, List<Chunk>> chunks = new java.util.HashMap<>();
    BlockMergerTest.collect(out, chunks);
    java.util.Map<Labels, List<Chunk>> in = new java.util.HashMap<>();
    BlockMergerTest.collect(a.dir(), in);
    BlockMergerTest.collect(b.dir(), in);
    assertEquals(in, chunks);
  }

  /** A block with one series holding one real histogram chunk: samples at min, min+step, ... up to max. */
  static BlockMerger.Input realBlock(String ulid, long min, long max, long step, int header) throws Exception {
    MemoryDirectory dir = new MemoryDirectory(ulid);
    HistogramEncoder enc = new HistogramEncoder(false);
    enc.setCounterResetHeader(header);
    Histogram h = new Histogram();
    h.clear(false);
    h.schema = 3;
    h.zeroThreshold = 0x1p-128;
    h.addPosSpan(-2, 3);
    h.sizeBuckets();
    for (long t = min; t <= max; t += step) {
      h.count = t;
      h.posDeltas[0] = t;
      h.sum = t * 0.5;
      enc.append(t, h);
    }
    ChunkMeta c = enc.toChunkMeta();
    try (ChunkSegmentWriter w = new ChunkSegmentWriter(dir)) {
      w.write(List.of(c));
    }
    try (IndexWriter iw = new IndexWriter(dir, "index")) {
      for (String s : List.of("__name__", "api", "job", "rpc_latency")) {
        iw.addSymbol(s);
      }
      iw.addSeries(SERIES, List.of(c));
    }
    BlockMeta m = new BlockMeta();
    m.ulid = ulid;
    m.minTime = min;
    m.maxTime = max + 1;
    m.compaction.level = 1;
    m.compaction.sources = new ArrayList<>(List.of(ulid));
    dir.writeAll("meta.json", m.toJsonBytes());
    return new BlockMerger.Input(m, dir);
  }

  @Test
  void overlappingHistogramChunksMergeWithoutDedupAndAreRefusedByPenaltyDedup() throws Exception {
    BlockMerger.Input a = realBlock("01H00000000000000000000001", 0, 990, 10, 0);
    BlockMerger.Input b = realBlock("01H00000000000000000000002", 505, 1495, 10, 0);
    MemoryDirectory out = new MemoryDirectory("out");
    BlockMeta meta = new BlockMerger(CompactorOptions.DedupFunc.NONE).merge(List.of(a, b), out,
        new BlockMerger.Output("01H00000000000000000000003", Map.of("c", "1"), 0, null));
    // 100 + 100 samples, none at the same timestamp.
    assertEquals(200, meta.stats.numHistogramSamples);
    assertEquals(2, meta.stats.numChunks); // 120 + 80, as Prometheus 2.42's compactor cuts
    java.util.Map<Labels, List<Chunk>> chunks = new java.util.HashMap<>();
    BlockMergerTest.collect(out, chunks);
    long prev = -1;
    int n = 0;
    for (Chunk c : chunks.get(SERIES)) {
      HistogramIterator it = new HistogramIterator("out", c.encoding(), c.data());
      while (it.next()) {
        assertTrue(it.timestamp() > prev);
        prev = it.timestamp();
        assertEquals(it.timestamp(), it.histogram().count);
        n++;
      }
    }
    assertEquals(200, n);

    MemoryDirectory out2 = new MemoryDirectory("out2");
    BadBlockException e = assertThrows(BadBlockException.class, () -> new BlockMerger(
        CompactorOptions.DedupFunc.PENALTY).merge(List.of(a, b), out2,
        new BlockMerger.Output("01H00000000000000000000003", Map.of("c", "1"), 0, null)));
    assertEquals(Marker.REASON_UNMERGEABLE_CHUNKS, e.reason());
    assertTrue(!out2.exists("meta.json"), "no block is written");
  }

  @Test
  void overlappingGaugeHistogramChunksRefuseTheBlocksByName() throws Exception {
    BlockMerger.Input a = realBlock("01H00000000000000000000001", 0, 990, 10, HistogramEncoder.GAUGE_TYPE);
    BlockMerger.Input b = realBlock("01H00000000000000000000002", 505, 1495, 10, HistogramEncoder.GAUGE_TYPE);
    for (CompactorOptions.DedupFunc f : CompactorOptions.DedupFunc.values()) {
      MemoryDirectory out = new MemoryDirectory("out");
      BadBlockException e = assertThrows(BadBlockException.class, () -> new BlockMerger(f).merge(List.of(a, b), out,
          new BlockMerger.Output("01H00000000000000000000003", Map.of("c", "1"), 0, null)));
      assertEquals(Marker.REASON_UNMERGEABLE_CHUNKS, e.reason());
      assertEquals(List.of(a.meta().ulid, b.meta().ulid), e.ulids());
      assertTrue(e.getMessage().contains("rpc_latency"), e.getMessage());
      assertTrue(!out.exists("meta.json"), "no block is written");
    }
  }

  @Test
  void overlappingDamagedHistogramChunksAreCorruptBlocks() throws Exception {
    BlockMerger.Input a = block("01H00000000000000000000001", 0, 999, (byte) 7);
    BlockMerger.Input b = block("01H00000000000000000000002", 500, 1499, (byte) 9);
    MemoryDirectory out = new MemoryDirectory("out");
    BadBlockException e = assertThrows(BadBlockException.class, () -> new BlockMerger(CompactorOptions.DedupFunc.NONE)
        .merge(List.of(a, b), out, new BlockMerger.Output("01H00000000000000000000003", Map.of("c", "1"), 0, null)));
    assertEquals(Marker.REASON_CORRUPTED_BLOCK, e.reason());
    assertTrue(!out.exists("meta.json"), "no block is written");
  }
}
