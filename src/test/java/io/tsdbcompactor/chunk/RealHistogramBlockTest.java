package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The real block Prometheus 2.42 wrote from native histograms it scraped ({@code testdata/make-histogram-testdata.sh}):
 * every histogram chunk decodes, re-encodes to identical bytes, and its samples equal what Prometheus's own
 * query API returned for the series at generation time ({@code testdata/expected-histogram-query.json}).
 */
class RealHistogramBlockTest {

  static Path block() throws IOException {
    try (Stream<Path> s = Files.list(SegmentWalker.testdata().resolve("blocks").resolve("histogram"))) {
      return s.filter(p -> Files.exists(p.resolve("index"))).findFirst().orElseThrow();
    }
  }

  static Map<String, List<ChunkMeta>> series() throws IOException {
    Path b = block();
    Map<String, List<ChunkMeta>> all = IndexWalker.series(b.resolve("index"));
    for (List<ChunkMeta> metas : all.values()) {
      IndexWalker.load(b, metas);
    }
    return all;
  }

  @Test
  void everyHistogramChunkReencodesToIdenticalBytes() throws IOException {
    int chunks = 0;
    int samples = 0;
    int stale = 0;
    TreeSet<Integer> headers = new TreeSet<>();
    TreeSet<Integer> encodings = new TreeSet<>();
    for (Map.Entry<String, List<ChunkMeta>> e : series().entrySet()) {
      for (ChunkMeta m : e.getValue()) {
        int enc = m.chunk.encoding();
        if (enc != ChunkEncoding.HISTOGRAM && enc != ChunkEncoding.FLOAT_HISTOGRAM) {
          continue;
        }
        encodings.add(enc);
        HistogramIterator it = new HistogramIterator(e.getKey(), enc, m.chunk.data());
        HistogramEncoder encoder = new HistogramEncoder(enc == ChunkEncoding.FLOAT_HISTOGRAM);
        encoder.setCounterResetHeader(it.counterResetHeader());
        headers.add(it.counterResetHeader());
        long first = Long.MIN_VALUE;
        long last = Long.MIN_VALUE;
        while (it.next()) {
          if (first == Long.MIN_VALUE) {
            first = it.timestamp();
          }
          assertTrue(it.timestamp() > last, "increasing timestamps");
          last = it.timestamp();
          encoder.append(it.timestamp(), it.histogram());
          samples++;
          stale += it.histogram().isStale() ? 1 : 0;
        }
        assertEquals(m.minTime, first, e.getKey());
        assertEquals(m.maxTime, last, e.getKey());
        assertArrayEquals(m.chunk.data(), encoder.toChunk().data(), e.getKey() + " " + m);
        chunks++;
      }
    }
    assertEquals(Set2.of(ChunkEncoding.HISTOGRAM, ChunkEncoding.FLOAT_HISTOGRAM), encodings);
    assertTrue(chunks >= 8, chunks + " histogram chunks");
    assertTrue(stale >= 5, stale + " stale markers");
    // What Prometheus 2.42 wrote through the snapshot: gauge chunks carry the gauge header; chunks cut on the
    // counter reset, the schema change, after a stale marker and by time all carry "unknown" (0).
    assertEquals(Set2.of(HistogramEncoder.UNKNOWN_COUNTER_RESET, HistogramEncoder.GAUGE_TYPE), headers);
    assertTrue(samples > 500, samples + " samples");
  }

  private static final class Set2 {
    static TreeSet<Integer> of(int a, int b) {
      TreeSet<Integer> s = new TreeSet<>();
      s.add(a);
      s.add(b);
      return s;
    }
  }

  @Test
  void decodedSamplesEqualPrometheusQueryApi() throws IOException {
    JsonNode expected = new ObjectMapper().readTree(
        SegmentWalker.testdata().resolve("expected-histogram-query.json").toFile());
    Map<String, List<ChunkMeta>> series = series();
    int compared = 0;
    for (Iterator<String> names = expected.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      JsonNode result = expected.get(name).get("data").get("result");
      assertEquals(1, result.size(), name);
      JsonNode hs = result.get(0).get("histograms");
      List<ChunkMeta> metas = null;
      for (Map.Entry<String, List<ChunkMeta>> e : series.entrySet()) {
        if (e.getKey().startsWith("{__name__=\"" + name + "\",")) {
          metas = e.getValue();
        }
      }
      assertTrue(metas != null, name);
      List<String> got = new ArrayList<>();
      for (ChunkMeta m : metas) {
        HistogramIterator it = new HistogramIterator(name, m.chunk.encoding(), m.chunk.data());
        while (it.next()) {
          if (!it.histogram().isStale()) {
            got.add(render(it.timestamp(), it.histogram()));
          }
        }
      }
      List<String> want = new ArrayList<>();
      for (JsonNode p : hs) {
        want.add(render(p));
      }
      assertEquals(want.size(), got.size(), name);
      assertEquals(want, got, name);
      compared += got.size();
    }
    assertTrue(compared > 500, compared + " samples compared");
  }

  /** The API's view: timestamp, count, sum, then every non-empty bucket as [rule lower upper count]. */
  static String render(JsonNode p) {
    StringBuilder b = new StringBuilder();
    b.append(Math.round(p.get(0).asDouble() * 1000));
    JsonNode h = p.get(1);
    b.append(" count=").append(Double.parseDouble(h.get("count").asText()));
    b.append(" sum=").append(Double.parseDouble(h.get("sum").asText()));
    if (h.has("buckets")) {
      for (JsonNode bk : h.get("buckets")) {
        bucket(b, bk.get(0).asInt(), Double.parseDouble(bk.get(1).asText()), Double.parseDouble(bk.get(2).asText()),
            Double.parseDouble(bk.get(3).asText()));
      }
    }
    return b.toString();
  }

  static String render(long t, Histogram h) {
    StringBuilder b = new StringBuilder();
    b.append(t);
    b.append(" count=").append(h.isFloat ? h.floatCount : (double) h.count);
    b.append(" sum=").append(h.sum);
    // Negative buckets from the most negative (highest index) down, the zero bucket, then positive ascending.
    long[] negIdx = indices(h.negSpanOffsets, h.negSpanLengths, h.negSpanCount, h.negBucketCount);
    for (int i = h.negBucketCount - 1; i >= 0; i--) {
      double c = h.negBucket(i);
      if (c != 0) {
        bucket(b, 1, -bound(negIdx[i], h.schema), -bound(negIdx[i] - 1, h.schema), c);
      }
    }
    double zc = h.isFloat ? h.floatZeroCount : (double) h.zeroCount;
    if (zc != 0) {
      bucket(b, 3, -h.zeroThreshold, h.zeroThreshold, zc);
    }
    long[] posIdx = indices(h.posSpanOffsets, h.posSpanLengths, h.posSpanCount, h.posBucketCount);
    for (int i = 0; i < h.posBucketCount; i++) {
      double c = h.posBucket(i);
      if (c != 0) {
        bucket(b, 0, bound(posIdx[i] - 1, h.schema), bound(posIdx[i], h.schema), c);
      }
    }
    return b.toString();
  }

  /** Bounds rounded to 12 significant digits: Prometheus's tables for schema > 0 differ from pow in the last bit. */
  private static void bucket(StringBuilder b, int rule, double lower, double upper, double count) {
    b.append(" [").append(rule).append(' ').append(String.format("%.12g", lower)).append(' ')
        .append(String.format("%.12g", upper)).append(' ').append(count).append(']');
  }

  private static double bound(long idx, int schema) {
    return Math.pow(2, idx / Math.pow(2, schema));
  }

  private static long[] indices(int[] off, int[] len, int spans, int n) {
    long[] out = new long[n];
    Spans.BucketIterator it = new Spans.BucketIterator(off, len, spans);
    for (int i = 0; i < n && it.next(); i++) {
      out[i] = it.index();
    }
    return out;
  }
}
