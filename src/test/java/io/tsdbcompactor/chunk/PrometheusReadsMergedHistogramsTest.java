package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdbcompactor.acceptance.PrometheusServer;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merged histogram chunks that go beyond what Prometheus 2.42's compactor can produce (recoded to more buckets,
 * samples widened with zero buckets, chunks cut on schema changes) are read back by Prometheus 2.42 itself: a
 * block of them is served by {@code /usr/bin/prometheus} and its query API returns every input sample. Fails
 * (does not skip) when prometheus is missing.
 */
class PrometheusReadsMergedHistogramsTest {

  @TempDir
  Path tmp;

  @Test
  void prometheusQueryReturnsEveryMergedSample() throws Exception {
    Map<String, List<ChunkMeta>> inputs = new TreeMap<>();
    for (boolean floats : new boolean[] {false, true}) {
      inputs.put(floats ? "hm_float" : "hm_int", List.of(
          HistogramChunkMergerTest.series(floats, 1000, 30, 40, 1, 0, 1),
          HistogramChunkMergerTest.series(floats, 1010, 30, 40, 1, 0, 1, 2, 7),
          HistogramChunkMergerTest.series(floats, 1020, 30, 40, 1, 1, 9),
          HistogramChunkMergerTest.series(floats, 5000, 20, 10, 3, 0, 1),
          HistogramChunkMergerTest.series(floats, 5010, 20, 10, 2, -1, 4)));
    }
    Ulid ulid = TestUlids.next();
    Path blockDir = tmp.resolve("data").resolve(ulid.toString());
    Files.createDirectories(blockDir);
    FsDirectory dir = new FsDirectory(blockDir);
    ChunkMerger merger = new ChunkMerger();
    Map<String, List<String>> expected = new TreeMap<>();
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    int outChunks = 0;
    try (ChunkSegmentWriter w = new ChunkSegmentWriter(dir); IndexWriter iw = new IndexWriter(dir, "index")) {
      for (String s : List.of("__name__", "hm_float", "hm_int")) {
        iw.addSymbol(s);
      }
      for (Map.Entry<String, List<ChunkMeta>> e : inputs.entrySet()) {
        List<ChunkMeta> merged = merger.mergeSeries(e.getKey(), e.getValue(), null);
        outChunks += merged.size();
        w.write(merged);
        iw.addSeries(Labels.of("__name__", e.getKey()), merged);
        minT = Math.min(minT, merged.get(0).minTime);
        maxT = Math.max(maxT, merged.get(merged.size() - 1).maxTime);
        TreeMap<Long, String> want = new TreeMap<>();
        for (ChunkMeta m : e.getValue()) {
          HistogramIterator it = new HistogramIterator("in", m.chunk.encoding(), m.chunk.data());
          while (it.next()) {
            want.put(it.timestamp(), RealHistogramBlockTest.render(it.timestamp(), it.histogram()));
          }
        }
        assertEquals(140, want.size());
        expected.put(e.getKey(), new ArrayList<>(want.values()));
      }
    }
    assertTrue(outChunks >= 10, outChunks + " chunks"); // schema flips cut, the rest merges into few chunks
    BlockMeta meta = new BlockMeta();
    meta.ulid = ulid.toString();
    meta.minTime = minT;
    meta.maxTime = maxT + 1;
    meta.compaction.level = 1;
    meta.compaction.sources = new ArrayList<>(List.of(meta.ulid));
    dir.writeAll("meta.json", meta.toJsonBytes());

    try (PrometheusServer p = new PrometheusServer(tmp.resolve("data"), "--enable-feature=native-histograms")) {
      for (Map.Entry<String, List<String>> e : expected.entrySet()) {
        String q = URLEncoder.encode(e.getKey() + "[1h]", StandardCharsets.UTF_8);
        String body = p.get("/api/v1/query?query=" + q + "&time=" + (maxT / 1000.0 + 1));
        JsonNode result = new ObjectMapper().readTree(body).get("data").get("result");
        assertEquals(1, result.size(), body);
        List<String> got = new ArrayList<>();
        for (JsonNode h : result.get(0).get("histograms")) {
          got.add(RealHistogramBlockTest.render(h));
        }
        assertEquals(e.getValue(), got, e.getKey());
      }
    }
  }
}
