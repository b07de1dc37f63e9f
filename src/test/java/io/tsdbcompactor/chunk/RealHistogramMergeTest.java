package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Two overlapping blocks written by an HA pair of Prometheus 2.42 replicas scraping the same native histograms,
 * and the block Prometheus 2.42 itself made by compacting them vertically
 * ({@code testdata/make-histogram-merge-testdata.sh}): our merge of every series gives the same chunks, byte
 * for byte, histogram and float chunks alike.
 */
class RealHistogramMergeTest {

  static Map<String, List<ChunkMeta>> load(String set) throws IOException {
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
  void ourMergeEqualsPrometheusVerticalCompaction() throws IOException {
    Map<String, List<ChunkMeta>> in = load("histogram-overlap");
    Map<String, List<ChunkMeta>> want = load("histogram-overlap-compacted");
    assertEquals(want.keySet(), in.keySet());
    ChunkMerger merger = new ChunkMerger();
    int histogramChunks = 0;
    int merged = 0;
    for (Map.Entry<String, List<ChunkMeta>> e : in.entrySet()) {
      List<ChunkMeta> chunks = new ArrayList<>(e.getValue());
      chunks.sort((a, b) -> Long.compare(a.minTime, b.minTime)); // stable: block order breaks ties
      List<ChunkMeta> got = merger.mergeSeries(e.getKey(), chunks, null);
      List<ChunkMeta> exp = want.get(e.getKey());
      assertEquals(exp.size(), got.size(), e.getKey());
      for (int i = 0; i < exp.size(); i++) {
        String what = e.getKey() + " chunk " + i;
        assertEquals(exp.get(i).minTime, got.get(i).minTime, what);
        assertEquals(exp.get(i).maxTime, got.get(i).maxTime, what);
        assertEquals(exp.get(i).chunk.encoding(), got.get(i).chunk.encoding(), what);
        assertArrayEquals(exp.get(i).chunk.data(), got.get(i).chunk.data(), what);
        int enc = got.get(i).chunk.encoding();
        if (enc == ChunkEncoding.HISTOGRAM || enc == ChunkEncoding.FLOAT_HISTOGRAM) {
          histogramChunks++;
          merged += chunks.contains(got.get(i)) ? 0 : 1;
        }
      }
    }
    assertTrue(histogramChunks >= 4 && merged >= 4, histogramChunks + " histogram chunks, " + merged + " merged");
  }
}
