package io.tsdbcompactor.downsample;

import static io.tsdbcompactor.downsample.TestSeries.aggr;
import static io.tsdbcompactor.downsample.TestSeries.aggregate;
import static io.tsdbcompactor.downsample.TestSeries.parse;
import static io.tsdbcompactor.downsample.TestSeries.render;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Thanos's published downsampling test cases ({@code pkg/compact/downsample/downsample_test.go}, docs/thanos-compactor.md §9
 * V1-V8) with their expected values.
 */
class ThanosVectorsTest {

  private static List<ChunkMeta> raw(long res, String... chunks) throws CorruptDataException {
    SeriesDownsampler d = new SeriesDownsampler();
    for (String c : chunks) {
      d.addRaw(parse(c));
    }
    List<ChunkMeta> out = new ArrayList<>();
    d.flushRaw(res, out);
    return out;
  }

  private static void assertAggr(ChunkMeta c, String count, String sum, String min, String max, String counter)
      throws CorruptDataException {
    assertEquals(count, aggregate(c, AggrType.COUNT), "count");
    assertEquals(sum, aggregate(c, AggrType.SUM), "sum");
    assertEquals(min, aggregate(c, AggrType.MIN), "min");
    assertEquals(max, aggregate(c, AggrType.MAX), "max");
    assertEquals(counter, aggregate(c, AggrType.COUNTER), "counter");
  }

  @Test
  void v1SingleChunk() throws Exception {
    List<ChunkMeta> out = raw(100, "20:1 40:2 60:3 80:1 100:2 101:Stale 120:5 180:10 250:1");
    assertEquals(1, out.size());
    assertAggr(out.get(0), "99:4 199:3 250:1", "99:7 199:17 250:1", "99:1 199:2 250:1", "99:3 199:10 250:1",
        "20:1 99:4 199:13 250:14 250:1");
    // Chunk time range is the window timestamps, not the first raw sample.
    assertEquals(99, out.get(0).minTime);
    assertEquals(250, out.get(0).maxTime);
  }

  @Test
  void v2ThreeChunksMergeIntoOne() throws Exception {
    List<ChunkMeta> out = raw(100,
        "20:1 40:2 60:3 80:1 100:2 101:Stale 120:5 180:10 250:2",
        "260:1 300:10 340:15 380:25 420:35",
        "460:Stale 500:10 540:3");
    assertEquals(1, out.size());
    assertAggr(out.get(0),
        "99:4 199:3 299:2 399:3 499:1 540:2",
        "99:7 199:17 299:3 399:50 499:35 540:13",
        "99:1 199:2 299:1 399:10 499:35 540:3",
        "99:3 199:10 299:2 399:25 499:35 540:10",
        "20:1 99:4 199:13 299:16 399:40 499:50 540:63 540:3");
  }

  @Test
  void v3FirstChunkOnlyNaN() throws Exception {
    List<ChunkMeta> out = raw(100,
        "20:NaN 40:NaN 60:NaN 80:NaN 100:NaN 101:Stale 120:NaN 180:NaN 250:NaN",
        "260:1 300:10 340:15 380:25 420:35",
        "460:Stale 500:10 540:3");
    assertEquals(1, out.size());
    assertAggr(out.get(0),
        "299:1 399:3 499:1 540:2",
        "299:1 399:50 499:35 540:13",
        "299:1 399:10 499:35 540:3",
        "299:1 399:25 499:35 540:10",
        "260:1 299:1 399:25 499:35 540:48 540:3");
  }

  private static final ChunkMeta V4_IN = aggr(
      "199:5 299:1 399:10 400:3 499:10 699:0 999:100",
      "199:5 299:1 399:10 400:3 499:10 699:0 999:100",
      "199:5 299:1 399:10 400:-3 499:10 699:0 999:100",
      "199:5 299:1 399:10 400:-3 499:10 699:0 999:100",
      "99:100 299:150 499:210 499:10 599:20 799:50 999:120 999:50 1099:40 1199:80 1299:110");

  private static List<ChunkMeta> aggrDown(long outRes, ChunkMeta... in) throws CorruptDataException {
    List<ChunkMeta> out = new ArrayList<>();
    new SeriesDownsampler().downsampleAggr(TestSeries.parsed(List.of(in)), in[0].minTime,
        in[in.length - 1].maxTime, outRes - 1, outRes, out);
    return out;
  }

  @Test
  void v4SingleAggregatedChunk() throws Exception {
    List<ChunkMeta> out = aggrDown(500, V4_IN);
    assertEquals(1, out.size());
    assertAggr(out.get(0), "499:29 999:100", "499:29 999:100", "499:-3 999:0", "499:10 999:100",
        "99:100 499:210 999:320 1299:430 1299:110");

    // Downsampling to the same resolution again gives the same samples.
    List<ChunkMeta> again = aggrDown(500, out.get(0));
    assertEquals(1, again.size());
    assertAggr(again.get(0), "499:29 999:100", "499:29 999:100", "499:-3 999:0", "499:10 999:100",
        "99:100 499:210 999:320 1299:430 1299:110");
  }

  @Test
  void v5TwoAggregatedChunks() throws Exception {
    ChunkMeta b = aggr(
        "1399:10 1400:3 1499:10 1699:0 1999:100",
        "1399:10 1400:3 1499:10 1699:0 1999:100",
        "1399:10 1400:-3 1499:10 1699:0 1999:100",
        "1399:10 1400:-3 1499:10 1699:0 1999:100",
        "1499:210 1499:10 1599:20 1799:50 1999:120 1999:50 2099:40 2199:80 2299:110");
    List<ChunkMeta> out = aggrDown(500, V4_IN, b);
    assertEquals(1, out.size());
    assertAggr(out.get(0),
        "499:29 999:100 1499:23 1999:100",
        "499:29 999:100 1499:23 1999:100",
        "499:-3 999:0 1499:-3 1999:0",
        "499:10 999:100 1499:10 1999:100",
        "99:100 499:210 999:320 1499:530 1999:640 2299:750 2299:110");
  }

  @Test
  void v6Realistic5mTo1h() throws Exception {
    String ts12 = "1587690299999 1587690599999 1587690899999 1587691199999 1587691499999 1587691799999"
        + " 1587692099999 1587692399999 1587692699999 1587692999999 1587693299999 1587693590791";
    ChunkMeta in = aggr(
        zip(ts12, "20 20 20 20 20 20 20 20 16 20 20 20"),
        zip(ts12, "9276972 9359861 9447457 9542732 9630379 9715631 9799808 9888117 2989280 81592 163711 255746"),
        zip(ts12, "461968 466070 470131 474913 479625 483709 488036 492223 75 2261 6210 10464"),
        zip(ts12, "465870 469951 474726 479368 483566 487787 492065 496245 496544 6010 10242 14956"),
        "1587690005791:461968 " + zip(ts12,
            "465870 469951 474726 479368 483566 487787 492065 496245 498647 502554 506786 511500")
            + " 1587693590791:14956");
    List<ChunkMeta> out = new ArrayList<>();
    new SeriesDownsampler().downsampleAggr(TestSeries.parsed(List.of(in)), in.minTime, in.maxTime,
        Resolution.FIVE_MINUTES, Resolution.ONE_HOUR, out);
    assertEquals(1, out.size());
    assertAggr(out.get(0), "1587693590791:236", "1587693590791:80151286", "1587693590791:75",
        "1587693590791:496544", "1587690005791:461968 1587693590791:511500 1587693590791:14956");
  }

  /**
   * "realistic 15s interval raw chunks": Thanos's two raw chunks (120 + 117 samples, a stale marker and a
   * counter reset from 496544 to 75) downsample to 5m exactly as V6's input lists.
   */
  @Test
  void v6RealisticRawTo5m() throws Exception {
    List<String> chunks = new ArrayList<>();
    try (java.io.InputStream in = getClass().getResourceAsStream("/downsample/realistic-15s-raw.txt")) {
      for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          chunks.add(line);
        }
      }
    }
    assertEquals(2, chunks.size());
    List<ChunkMeta> out = raw(Resolution.FIVE_MINUTES, chunks.toArray(new String[0]));
    assertEquals(1, out.size());
    String ts12 = "1587690299999 1587690599999 1587690899999 1587691199999 1587691499999 1587691799999"
        + " 1587692099999 1587692399999 1587692699999 1587692999999 1587693299999 1587693590791";
    assertAggr(out.get(0),
        zip(ts12, "20 20 20 20 20 20 20 20 16 20 20 20"),
        zip(ts12, "9276972 9359861 9447457 9542732 9630379 9715631 9799808 9888117 2989280 81592 163711 255746"),
        zip(ts12, "461968 466070 470131 474913 479625 483709 488036 492223 75 2261 6210 10464"),
        zip(ts12, "465870 469951 474726 479368 483566 487787 492065 496245 496544 6010 10242 14956"),
        "1587690005791:461968 " + zip(ts12,
            "465870 469951 474726 479368 483566 487787 492065 496245 498647 502554 506786 511500")
            + " 1587693590791:14956");
    assertEquals(1587690299999L, out.get(0).minTime);
    assertEquals(1587693590791L, out.get(0).maxTime);
  }

  private static String zip(String ts, String vs) {
    String[] t = ts.split(" ");
    String[] v = vs.split(" ");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < t.length; i++) {
      sb.append(i == 0 ? "" : " ").append(t[i]).append(':').append(v[i]);
    }
    return sb.toString();
  }

  @Test
  void v7CounterBoundaryReset() throws Exception {
    SeriesDownsampler d = new SeriesDownsampler();
    d.addRaw(parse("10:1 20:3 30:5 50:1 60:8 70:10 120:1 130:18 140:20 160:21 170:38 180:40"));
    List<ChunkMeta> raw = new ArrayList<>();
    d.rawLoop(50, 13, raw);
    assertEquals(4, raw.size());
    assertEquals("10:1 30:5 30:5 50:1 70:10 70:10 120:1 140:20 140:20 160:21 180:40 180:40",
        concat(raw, AggrType.COUNTER));
    assertEquals("10:1 30:5 50:6 70:15 120:16 140:35 160:36 180:55", render(counterResets(raw)));

    List<ChunkMeta> coarse = new ArrayList<>();
    new SeriesDownsampler().aggrLoop(TestSeries.parsed(raw), 100, 2, coarse);
    assertEquals(2, coarse.size());
    assertEquals("10:1 70:15 70:10 120:1 180:40 180:40", concat(coarse, AggrType.COUNTER));
    assertEquals("10:1 70:15 120:16 180:55", render(counterResets(coarse)));
  }

  private static String concat(List<ChunkMeta> chunks, AggrType type) throws CorruptDataException {
    StringBuilder sb = new StringBuilder();
    for (ChunkMeta c : chunks) {
      String s = aggregate(c, type);
      sb.append(sb.length() > 0 && !s.isEmpty() ? " " : "").append(s);
    }
    return sb.toString();
  }

  private static CounterResetIterator counterResets(List<ChunkMeta> chunks) throws CorruptDataException {
    List<SampleIterator> its = new ArrayList<>();
    for (AggrChunk c : TestSeries.parsed(chunks)) {
      its.add(c.iterator(AggrType.COUNTER));
    }
    return new CounterResetIterator(its);
  }

  @Test
  void v8CounterResetsWithStaleMarker() throws Exception {
    CounterResetIterator it = new CounterResetIterator(
        parse("100:10 200:20 300:10 400:20 400:5"),
        parse("500:10 600:20 700:30 800:40 800:10"),
        parse("900:5 1000:10 1100:15"),
        parse("1200:20 1250:Stale 1300:40"),
        parse("1400:30 1500:30 1600:50"));
    assertEquals("100:10 200:20 300:30 400:40 500:45 600:55 700:65 800:75 900:80 1000:85 1100:90 1200:95"
        + " 1300:115 1400:145 1500:145 1600:165", render(it));
  }

  @Test
  void v9ExpandDropsStaleAndBackwardSamples() throws Exception {
    SeriesDownsampler d = new SeriesDownsampler();
    d.addRaw(parse("100:1 200:2 200:3 201:4 200:5 300:6 400:Stale 500:5"));
    // Thanos expands to 100:1 200:2 200:3 201:4 300:6 500:5. Seen through 100 ms windows: 200:5 (back in time)
    // and the stale marker are not in any aggregate.
    List<ChunkMeta> out = new ArrayList<>();
    d.flushRaw(100, out);
    assertEquals(1, out.size());
    AggrChunk a = AggrChunk.parse("v9", out.get(0).chunk);
    assertEquals("199:1 299:3 399:1 500:1", render(a.iterator(AggrType.COUNT)));
    assertEquals("199:1 299:9 399:6 500:5", render(a.iterator(AggrType.SUM)));
    assertEquals("199:1 299:2 399:6 500:5", render(a.iterator(AggrType.MIN)));
    assertEquals("199:1 299:4 399:6 500:5", render(a.iterator(AggrType.MAX)));
  }

  @Test
  void v9AverageIterator() throws Exception {
    ChunkMeta c = aggr("100:1 200:5 300:2 400:10", "100:30 200:40 300:5 400:-10", null, null, null);
    assertEquals("100:30 200:8 300:2.5 400:-1",
        render(new AverageIterator(AggrChunk.parse("test", c.chunk))));
  }

  /**
   * Thanos's cut of a raw run ({@code downsampleRawLoop}): a batch takes {@code batchSize} samples, then every later
   * one up to and including the last millisecond of the window its {@code batchSize}-th sample is in; the same for
   * a run read as a stream and for one held whole.
   */
  @Test
  void theCutTakesBatchSizeSamplesThenTheRestOfTheLastOnesWindow() {
    long[] ts = {1, 2, 9, 9, 19, 20, 21, 29, 35, 36};
    Resolution.RawBatchCut cut = new Resolution.RawBatchCut(2, 10);
    StringBuilder batches = new StringBuilder();
    for (long t : ts) {
      batches.append(cut.startsBatch(t) ? " | " : batches.length() == 0 ? "" : " ").append(t);
    }
    assertEquals("1 2 9 9 | 19 20 21 29 | 35 36", batches.toString());

    StringBuilder held = new StringBuilder();
    Resolution.RawBatchCut whole = new Resolution.RawBatchCut(2, 10);
    for (int from = 0, to; from < ts.length; from = to) {
      to = whole.batchEnd(ts, from, ts.length);
      for (int i = from; i < to; i++) {
        held.append(i == 0 ? "" : i == from ? " | " : " ").append(ts[i]);
      }
    }
    assertEquals(batches.toString(), held.toString(), "the cut of the run held whole");
  }
}
