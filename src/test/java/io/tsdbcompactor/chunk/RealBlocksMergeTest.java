package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Merges each series' chunks across the real overlapping promtool blocks and compares the samples with
 * promtool's dump of the same blocks (its querier merges overlapping blocks by timestamp as well).
 */
class RealBlocksMergeTest {

  static Map<String, List<ChunkMeta>> seriesAcrossBlocks(String set) throws IOException {
    Map<String, List<ChunkMeta>> all = new TreeMap<>();
    List<Path> blocks;
    try (Stream<Path> s = Files.list(SegmentWalker.testdata().resolve("blocks").resolve(set))) {
      blocks = s.filter(p -> Files.exists(p.resolve("index"))).sorted().toList();
    }
    for (Path block : blocks) {
      for (Map.Entry<String, List<ChunkMeta>> e : IndexWalker.series(block.resolve("index")).entrySet()) {
        IndexWalker.load(block, e.getValue());
        all.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
      }
    }
    return all;
  }

  @Test
  void mergedOverlapBlocksMatchPromtoolDump() throws IOException {
    Map<String, List<ChunkMeta>> series = seriesAcrossBlocks("overlap");
    ChunkMerger merger = new ChunkMerger();
    List<String> lines = new ArrayList<>();
    int untouched = 0;
    int reencoded = 0;
    for (Map.Entry<String, List<ChunkMeta>> e : series.entrySet()) {
      List<ChunkMeta> in = new ArrayList<>(e.getValue());
      in.sort((a, b) -> Long.compare(a.minTime, b.minTime));
      List<ChunkMeta> out = merger.mergeSeries(e.getKey(), in, null);
      long prevMax = Long.MIN_VALUE;
      for (ChunkMeta m : out) {
        assertTrue(m.minTime > prevMax, e.getKey() + " output overlaps");
        prevMax = m.maxTime;
        if (in.contains(m)) {
          untouched++;
        } else {
          reencoded++;
          assertTrue(m.chunk.numSamples() <= ChunkCutter.SAMPLES_PER_CHUNK);
        }
        XorIterator it = new XorIterator(e.getKey(), m.chunk.data());
        while (it.next()) {
          lines.add(e.getKey() + " " + it.timestamp() + " " + it.value());
        }
      }
    }
    List<String> expected = new ArrayList<>();
    for (String line : Files.readAllLines(SegmentWalker.testdata().resolve("expected-dump-overlap.txt"))) {
      int close = line.lastIndexOf('}');
      String[] f = line.substring(close + 2).split(" ");
      expected.add(line.substring(0, close + 1) + " " + f[1] + " " + Double.parseDouble(f[0]));
    }
    assertEquals(expected.size(), lines.size());
    assertEquals(expected, lines);
    assertTrue(untouched > 0 && reencoded > 0, untouched + " untouched, " + reencoded + " re-encoded");
  }

  @Test
  void basicBlocksDoNotOverlapSoEveryChunkIsUntouched() throws IOException {
    for (Map.Entry<String, List<ChunkMeta>> e : seriesAcrossBlocks("basic").entrySet()) {
      List<ChunkMeta> in = new ArrayList<>(e.getValue());
      in.sort((a, b) -> Long.compare(a.minTime, b.minTime));
      List<ChunkMeta> out = ChunkMerger.merge(in);
      assertEquals(in.size(), out.size(), e.getKey());
      for (int i = 0; i < in.size(); i++) {
        assertSame(in.get(i), out.get(i));
      }
    }
  }
}
