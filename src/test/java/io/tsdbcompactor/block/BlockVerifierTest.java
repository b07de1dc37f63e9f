package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class BlockVerifierTest {

  static Stream<Path> testdataBlocks() throws Exception {
    return BlockPromtoolTest.testdataBlocks();
  }

  /** A testdata block loaded into memory, so tests can damage it. */
  static MemoryDirectory load(Path block) throws Exception {
    FsDirectory fs = new FsDirectory(block);
    MemoryDirectory mem = new MemoryDirectory("B");
    for (String f : fs.listAll()) {
      mem.writeAll(f, fs.readAll(f));
    }
    return mem;
  }

  static Path first() throws Exception {
    return BlockDumper.blockDirs(Path.of("testdata/blocks/basic")).get(0);
  }

  static void assertHasProblem(List<String> problems, String... fragments) {
    for (String p : problems) {
      if (Arrays.stream(fragments).allMatch(p::contains)) {
        assertTrue(p.startsWith("block B: "), p);
        return;
      }
    }
    throw new AssertionError("no problem mentions " + Arrays.toString(fragments) + " in " + problems);
  }

  @ParameterizedTest
  @MethodSource("testdataBlocks")
  void cleanBlocksPass(Path block) {
    assertEquals(List.of(), BlockVerifier.verify(new FsDirectory(block)));
  }

  @Test
  void corruptChunkByteIsFoundInSegmentAndSeriesWalk() throws Exception {
    MemoryDirectory dir = load(first());
    byte[] seg = dir.readAll("chunks/000001");
    seg[200] ^= 0x10;
    dir.writeAll("chunks/000001", seg);
    List<String> problems = BlockVerifier.verify(dir);
    assertHasProblem(problems, "chunks/000001", "CRC");
    // The series walk reports the same damage with the series and chunk it belongs to.
    assertHasProblem(problems, "series {", "chunks/000001@");
  }

  @Test
  void truncatedIndexIsFound() throws Exception {
    MemoryDirectory dir = load(first());
    byte[] index = dir.readAll("index");
    dir.writeAll("index", Arrays.copyOf(index, index.length - 100));
    assertHasProblem(BlockVerifier.verify(dir), "B/index");
  }

  @Test
  void wrongStatsAreFound() throws Exception {
    MemoryDirectory dir = load(first());
    BlockMeta meta = BlockMeta.parse("meta.json", dir.readAll("meta.json"));
    meta.stats.numSamples += 1;
    meta.stats.numSeries -= 1;
    dir.writeAll("meta.json", meta.toJsonBytes());
    List<String> problems = BlockVerifier.verify(dir);
    assertHasProblem(problems, "meta.json", "numSamples is " + meta.stats.numSamples);
    assertHasProblem(problems, "meta.json", "numSeries is " + meta.stats.numSeries);
    assertEquals(2, problems.size(), problems.toString());
  }

  @Test
  void everyProblemIsReportedNotOnlyTheFirst() throws Exception {
    MemoryDirectory dir = load(first());
    byte[] seg = dir.readAll("chunks/000001");
    seg[300] ^= 0x01;
    dir.writeAll("chunks/000001", seg);
    BlockMeta meta = BlockMeta.parse("meta.json", dir.readAll("meta.json"));
    meta.maxTime = meta.minTime + 1000; // chunks now reach past the block's end
    meta.stats.numChunks = 1;
    dir.writeAll("meta.json", meta.toJsonBytes());
    dir.writeAll("tombstones", "garbage!!!".getBytes(StandardCharsets.US_ASCII));
    List<String> problems = BlockVerifier.verify(dir);
    assertHasProblem(problems, "chunks/000001", "CRC");
    assertHasProblem(problems, "outside the block's time range");
    assertHasProblem(problems, "numChunks is 1");
    assertHasProblem(problems, "tombstones");
  }

  @Test
  void missingMetaAndSegmentsAreNamed() throws Exception {
    MemoryDirectory dir = load(first());
    dir.delete("meta.json");
    dir.writeAll("chunks/000003", new byte[] {1, 2, 3});
    List<String> problems = BlockVerifier.verify(dir);
    assertHasProblem(problems, "meta.json", "missing");
    assertHasProblem(problems, "chunks", "000002");
  }

  @Test
  void chunksOutOfOrderInASeriesAreFound() throws Exception {
    // Rewrite the index (BlockWriter refuses overlapping chunks) with the chunk time ranges of one series
    // overlapping; the chunk references stay valid.
    MemoryDirectory dir = load(first());
    MemoryDirectory out = new MemoryDirectory("B");
    for (String f : dir.listAll()) {
      out.writeAll(f, dir.readAll(f));
    }
    try (BlockReader r = BlockReader.open(dir); IndexWriter w = new IndexWriter(out, "index")) {
      StringCursor symbols = r.index().symbols();
      while (symbols.next()) {
        w.addSymbol(symbols.value());
      }
      BlockReader.Series s = r.series();
      boolean broken = false;
      while (s.next()) {
        List<ChunkMeta> chunks = s.chunkMetas();
        if (!broken && chunks.size() > 1) {
          chunks.get(1).minTime = chunks.get(0).maxTime;
          broken = true;
        }
        w.addSeries(s.labels(), chunks);
      }
      assertTrue(broken);
    }
    assertHasProblem(BlockVerifier.verify(out), "starts at or before the previous chunk's end");
  }

  @Test
  void everyChunkOfALargeBlockIsDecoded() throws Exception {
    // Over a thousand chunks: the walk hands batches of chunks to a second thread, and each damaged chunk,
    // wherever it falls, must still be reported once.
    long minT = 1_700_000_000_000L;
    List<BlockRoundTripTest.Series> series = BlockRoundTripTest.randomSeries(11, 1200, minT);
    BlockMeta template = BlockRoundTripTest.template(Ulid.generate(minT, new java.util.Random(2)).toString(), minT,
        minT + 100_000_000_000L, false);
    MemoryDirectory dir = BlockRoundTripTest.write(series, template, 1 << 20);
    assertTrue(BlockReader.readMeta(dir).stats.numChunks > 1000);
    assertEquals(List.of(), BlockVerifier.verify(dir));

    MemoryDirectory out = new MemoryDirectory("B");
    for (String f : dir.listAll()) {
      out.writeAll(f, dir.readAll(f));
    }
    int damaged = 0;
    int seen = 0;
    try (BlockReader r = BlockReader.open(dir); IndexWriter w = new IndexWriter(out, "index")) {
      StringCursor symbols = r.index().symbols();
      while (symbols.next()) {
        w.addSymbol(symbols.value());
      }
      BlockReader.Series s = r.series();
      while (s.next()) {
        List<ChunkMeta> chunks = s.chunkMetas();
        for (ChunkMeta c : chunks) {
          // Narrow the index's range to the first sample: the chunk's later samples fall outside it.
          if (seen++ % 97 == 0 && c.maxTime > c.minTime) {
            c.maxTime = c.minTime;
            damaged++;
          }
        }
        w.addSeries(s.labels(), chunks);
      }
    }
    assertTrue(damaged > 5, "damaged " + damaged);
    List<String> problems = BlockVerifier.verify(out);
    assertEquals(damaged, problems.stream().filter(p -> p.contains("outside the chunk's range in the index")).count(),
        problems.toString());
  }

  @Test
  void writerRefusesOverlappingChunks() throws Exception {
    MemoryDirectory dir = load(first());
    try (BlockReader r = BlockReader.open(dir); BlockWriter w = new BlockWriter(new MemoryDirectory())) {
      w.addSymbols(r.index().symbols());
      BlockReader.Series s = r.series();
      while (s.next()) {
        List<ChunkMeta> chunks = s.loadChunks();
        if (chunks.size() > 1) {
          chunks.get(1).minTime = chunks.get(0).maxTime;
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
              () -> w.addSeries(s.labels(), chunks));
          assertTrue(e.getMessage().contains("does not start after the previous chunk's end"), e.getMessage());
          return;
        }
      }
    }
    throw new AssertionError("no series with two chunks");
  }
}
