package io.tsdbcompactor.downsample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.ChildJvm;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.Histogram;
import io.tsdbcompactor.chunk.HistogramEncoder;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A raw run too long to hold in memory is read twice ({@link SeriesDownsampler#downsampleRaw}): the chunks it makes
 * are those of the run held whole, for float and histogram runs alike, and a block of series scraped every second
 * downsamples in a heap that one such series' samples alone would not fit.
 */
class LongRunDownsampleTest {

  /** A run over chunks in a list, as the block downsampler's run over a series' chunks; counts how often each is read. */
  static final class ListRun implements SeriesDownsampler.RawRun {
    final List<Chunk> chunks;
    int opened;

    ListRun(List<Chunk> chunks) {
      this.chunks = chunks;
    }

    @Override
    public int size() {
      return chunks.size();
    }

    @Override
    public int numSamples(int i) {
      return chunks.get(i).numSamples();
    }

    @Override
    public SampleIterator floats(int i) {
      opened++;
      return new XorIterator("chunk " + i, chunks.get(i).data());
    }

    @Override
    public HistogramIterator histograms(int i) {
      opened++;
      return new HistogramIterator("chunk " + i, chunks.get(i).encoding(), chunks.get(i).data());
    }
  }

  /**
   * Random raw float chunks (stale markers, NaNs, resets, gaps) where a chunk may also go back in time, repeat a
   * timestamp, which the raw expansion drops or keeps, or sit on the last millisecond of a 5m window, where a batch
   * of the cut ends.
   */
  private static List<Chunk> floatChunks(Random r) {
    List<Chunk> chunks = new ArrayList<>();
    for (TestSeries.Samples c : DownsamplePropertyTest.randomSeries(r)) {
      XorEncoder enc = new XorEncoder();
      for (int i = 0; i < c.n; i++) {
        int odd = r.nextInt(100);
        long t = odd == 0 ? c.t[i] - 1 - r.nextInt(600_000)
            : odd == 1 && i > 0 ? c.t[i - 1]
            : odd < 12 ? Resolution.windowEnd(c.t[i], Resolution.FIVE_MINUTES)
            : c.t[i];
        enc.append(t, c.v[i]);
      }
      chunks.add(enc.toChunk());
    }
    return chunks;
  }

  private static void assertSameChunks(List<ChunkMeta> expected, List<ChunkMeta> got, String what) {
    assertEquals(expected.size(), got.size(), what + ": chunks");
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).minTime, got.get(i).minTime, what + " chunk " + i);
      assertEquals(expected.get(i).maxTime, got.get(i).maxTime, what + " chunk " + i);
      assertArrayEquals(expected.get(i).chunk.data(), got.get(i).chunk.data(), what + " chunk " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void aFloatRunReadTwiceGivesTheChunksOfTheRunHeldWhole(long seed) throws Exception {
    List<Chunk> chunks = floatChunks(new Random(seed));
    for (long resolution : new long[] {Resolution.FIVE_MINUTES, 20_000, Resolution.ONE_HOUR}) {
      SeriesDownsampler whole = new SeriesDownsampler();
      for (int i = 0; i < chunks.size(); i++) {
        whole.addRaw(new XorIterator("chunk " + i, chunks.get(i).data()));
      }
      List<ChunkMeta> expected = new ArrayList<>();
      whole.flushRaw(resolution, expected);

      ListRun run = new ListRun(chunks);
      List<ChunkMeta> got = new ArrayList<>();
      new SeriesDownsampler(16, 16).downsampleRaw(run, resolution, got);
      assertEquals(2 * chunks.size(), run.opened, "read twice");
      assertSameChunks(expected, got, "seed " + seed + " at " + resolution);
    }
  }

  @Test
  void aRunThatFitsTheBufferIsReadOnce() throws Exception {
    List<Chunk> chunks = floatChunks(new Random(3));
    ListRun run = new ListRun(chunks);
    new SeriesDownsampler().downsampleRaw(run, Resolution.FIVE_MINUTES, new ArrayList<>());
    assertEquals(chunks.size(), run.opened);
  }

  /** A histogram run with stale markers, resets, gaps, steps back in time and a custom-bucket chunk now and then. */
  private static List<Chunk> histogramChunks(Random r) {
    List<Chunk> chunks = new ArrayList<>();
    long t = (long) r.nextInt(1 << 20) * 1000;
    long[] buckets = {1, 1, 1};
    int n = 500 + r.nextInt(3000);
    HistogramEncoder enc = new HistogramEncoder(false);
    for (int i = 0; i < n; i++) {
      t += r.nextInt(10) < 8 ? 15_000 : 1 + r.nextInt(1_200_000);
      Histogram h;
      int kind = r.nextInt(100);
      if (kind == 0) {
        h = new Histogram();
        h.setStale(false);
      } else {
        if (kind < 3) {
          buckets = new long[] {r.nextInt(3), r.nextInt(3), r.nextInt(3)};
        } else {
          for (int b = 0; b < buckets.length; b++) {
            buckets[b] += r.nextInt(4);
          }
        }
        h = HistogramDownsampleTest.intHist(buckets[0] + 2.5 * buckets[1], buckets);
      }
      enc.append(kind == 3 ? t - 1 - r.nextInt(100_000) : t, h);
      if (enc.numSamples() == 120 || kind == 0) {
        chunks.add(enc.toChunk());
        enc = new HistogramEncoder(false);
      }
      if (r.nextInt(400) == 0) {
        chunks.add(customBucketChunk(t + 1));
        t += 2;
      }
    }
    if (enc.numSamples() > 0) {
      chunks.add(enc.toChunk());
    }
    return chunks;
  }

  private static Chunk customBucketChunk(long t) {
    Histogram h = new Histogram();
    h.clear(true);
    h.schema = Histogram.CUSTOM_BUCKETS_SCHEMA;
    h.addCustomValue(1.0);
    h.addPosSpan(0, 1);
    h.sizeBuckets();
    h.posCounts[0] = 3;
    h.floatCount = 3;
    HistogramEncoder enc = new HistogramEncoder(true);
    enc.append(t, h);
    return enc.toChunk();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void aHistogramRunReadTwiceGivesTheChunksOfTheRunHeldWholeAndLeavesOutTheSameChunks(long seed) throws Exception {
    List<Chunk> chunks = histogramChunks(new Random(seed));
    SeriesDownsampler whole = new SeriesDownsampler();
    int leftOut = 0;
    for (int i = 0; i < chunks.size(); i++) {
      Chunk c = chunks.get(i);
      if (!whole.addRawHistograms(new HistogramIterator("chunk " + i, c.encoding(), c.data()))) {
        leftOut++;
      }
    }
    List<ChunkMeta> expected = new ArrayList<>();
    whole.flushRawHistograms(Resolution.FIVE_MINUTES, expected);

    ListRun run = new ListRun(chunks);
    List<ChunkMeta> got = new ArrayList<>();
    int gotLeftOut = new SeriesDownsampler(16, 16).downsampleRawHistograms(run, Resolution.FIVE_MINUTES, got);
    assertTrue(run.opened > chunks.size(), "read twice");
    assertEquals(leftOut, gotLeftOut, "chunks left out");
    assertSameChunks(expected, got, "seed " + seed);
  }

  /** The child: downsamples the raw block in {@code args[0]} to 5m into {@code args[1]} as block {@code args[2]}. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      BlockDownsampler.downsample(new FsDirectory(Path.of(args[0])), new FsDirectory(Path.of(args[1])),
          Resolution.FIVE_MINUTES, Ulid.parse(args[2]));
    }
  }

  /**
   * Four series scraped every second for 14 days, 1.2 million samples each (the raw block a first run on a bucket
   * with a backlog downsamples after compacting it to 14 days): held whole, one series' timestamps and values take
   * 32 MiB on each of the two threads. A child JVM with a 40 MiB heap downsamples the block into the chunks a
   * downsampler holding each series whole makes.
   */
  @Test
  void seriesScrapedEverySecondForTwoWeeksDownsampleInA40MiBHeap(@TempDir Path tmp) throws Exception {
    Random r = new Random(5);
    Map<Labels, List<TestSeries.Samples>> series = new TreeMap<>();
    long t0 = 1_700_006_400_000L;
    int perSeries = 14 * 24 * 3600;
    for (int s = 0; s < 4; s++) {
      List<TestSeries.Samples> chunks = new ArrayList<>();
      double v = 0;
      for (int i = 0; i < perSeries; i += 120) {
        TestSeries.Samples c = new TestSeries.Samples(120);
        for (int j = i; j < Math.min(i + 120, perSeries); j++) {
          v += r.nextInt(5);
          c.add(t0 + j * 1000L, v);
        }
        chunks.add(c);
      }
      series.put(Labels.of("__name__", "requests_total", "instance", "host-" + s), chunks);
    }
    Path raw = Files.createDirectories(tmp.resolve("raw"));
    BlockDownsamplerTest.writeRawBlock(new FsDirectory(raw), series, Resolution.RAW);
    Path five = Files.createDirectories(tmp.resolve("5m"));

    ChildJvm.run(tmp, ChildJvm.smallHeap("40m"), Child.class, raw.toString(), five.toString(),
        TestUlids.next().toString());

    FsDirectory out = new FsDirectory(five);
    try (IndexReader index = IndexReader.open(out, "index"); ChunkSegmentReader cr = new ChunkSegmentReader(out)) {
      SeriesCursor c = index.series();
      int seen = 0;
      while (c.next()) {
        IndexSeries s = c.at();
        SeriesDownsampler whole = new SeriesDownsampler();
        for (TestSeries.Samples chunk : series.get(s.labels())) {
          whole.addRaw(chunk.t, chunk.v, chunk.n);
        }
        List<ChunkMeta> expected = new ArrayList<>();
        whole.flushRaw(Resolution.FIVE_MINUTES, expected);
        List<ChunkMeta> got = new ArrayList<>();
        for (ChunkMeta m : s.chunks()) {
          got.add(new ChunkMeta(m.minTime, m.maxTime, m.ref, cr.read(m.ref)));
        }
        assertSameChunks(expected, got, s.labels().toString());
        seen++;
      }
      assertEquals(series.size(), seen);
    }
  }
}
