package io.tsdbcompactor.downsample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties of the aggregates for random raw series (reproducible seeds). Values are small integers, so sums
 * are exact in doubles and compared exactly.
 *
 * <ul>
 *   <li>The windows of all output chunks partition the raw samples: the window stamped T holds the raw samples
 *       after the previous window's stamp up to T. Its count, sum, min and max equal a direct computation.
 *   <li>The counter aggregates, read through {@link CounterResetIterator}, give at each stamp T exactly the raw
 *       series' reset-corrected total at the last raw sample at or before T, so the increase over any range
 *       equals the raw increase.
 *   <li>Both hold for raw → 5m and again for 5m → 1h.
 * </ul>
 */
class DownsamplePropertyTest {

  /** A raw counter-like series with resets, stale markers, NaNs and irregular gaps, cut into 120-sample chunks. */
  static List<TestSeries.Samples> randomSeries(Random r) {
    int n = 200 + r.nextInt(r.nextBoolean() ? 3000 : 30000);
    long t = r.nextInt(10) == 0 ? 0 : (long) r.nextInt(1 << 30) * 1000 + r.nextInt(1000);
    double v = r.nextInt(100);
    List<TestSeries.Samples> chunks = new ArrayList<>();
    TestSeries.Samples cur = new TestSeries.Samples(120);
    for (int i = 0; i < n; i++) {
      int gapKind = r.nextInt(100);
      t += gapKind < 80 ? 15_000 : gapKind < 95 ? 1 + r.nextInt(120_000) : r.nextInt(4 * 3_600_000);
      int kind = r.nextInt(200);
      double sample;
      if (kind == 0) {
        sample = TestSeries.STALE;
      } else if (kind == 1) {
        sample = TestSeries.NAN;
      } else if (kind < 5) {
        v = r.nextInt(50); // counter reset
        sample = v;
      } else {
        v += r.nextInt(20);
        sample = v;
      }
      cur.add(t, sample);
      if (cur.n == 120) {
        chunks.add(cur);
        cur = new TestSeries.Samples(120);
      }
    }
    if (cur.n > 0) {
      chunks.add(cur);
    }
    return chunks;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void aggregatesMatchDirectComputation(long seed) throws Exception {
    Random r = new Random(seed);
    List<TestSeries.Samples> raw = randomSeries(r);
    TestSeries.Samples kept = new TestSeries.Samples(1024);
    for (TestSeries.Samples c : raw) {
      for (int i = 0; i < c.n; i++) {
        if (!Double.isNaN(c.v[i])) {
          kept.add(c.t[i], c.v[i]);
        }
      }
    }

    SeriesDownsampler d = new SeriesDownsampler();
    for (TestSeries.Samples c : raw) {
      d.addRaw(c);
    }
    List<ChunkMeta> fiveMin = new ArrayList<>();
    d.flushRaw(Resolution.FIVE_MINUTES, fiveMin);
    checkAgainstRaw(kept, fiveMin, Resolution.FIVE_MINUTES, "seed " + seed + " 5m");

    List<ChunkMeta> oneHour = new ArrayList<>();
    new SeriesDownsampler().downsampleAggr(TestSeries.parsed(fiveMin), fiveMin.get(0).minTime,
        fiveMin.get(fiveMin.size() - 1).maxTime, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR, oneHour);
    checkAgainstRaw(kept, oneHour, Resolution.ONE_HOUR, "seed " + seed + " 1h");
    assertTrue(oneHour.size() <= fiveMin.size());
  }

  private static void checkAgainstRaw(TestSeries.Samples raw, List<ChunkMeta> out, long res, String what)
      throws CorruptDataException {
    double[] corrected = new double[raw.n];
    for (int i = 0; i < raw.n; i++) {
      corrected[i] = i == 0 ? raw.v[0]
          : corrected[i - 1] + (raw.v[i] >= raw.v[i - 1] ? raw.v[i] - raw.v[i - 1] : raw.v[i]);
    }

    int next = 0; // first raw sample not yet covered by a window
    long prevStamp = Long.MIN_VALUE;
    List<SampleIterator> counters = new ArrayList<>();
    for (ChunkMeta cm : out) {
      AggrChunk a = AggrChunk.parse(what, cm.chunk);
      SampleIterator count = a.iterator(AggrType.COUNT);
      SampleIterator sum = a.iterator(AggrType.SUM);
      SampleIterator min = a.iterator(AggrType.MIN);
      SampleIterator max = a.iterator(AggrType.MAX);
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      while (count.next()) {
        assertTrue(sum.next() && min.next() && max.next(), what);
        long t = count.timestamp();
        assertTrue(t > prevStamp, what + ": stamps increase across chunks at " + t);
        assertEquals(t, sum.timestamp(), what);
        assertEquals(t, min.timestamp(), what);
        assertEquals(t, max.timestamp(), what);
        int from = next;
        double s = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        while (next < raw.n && raw.t[next] <= t) {
          s += raw.v[next];
          lo = Math.min(lo, raw.v[next]);
          hi = Math.max(hi, raw.v[next]);
          next++;
        }
        assertTrue(next > from, what + ": empty window at " + t);
        // The stamp is the window end, or the last sample's time when the chunk ends earlier.
        long end = Resolution.windowEnd(raw.t[next - 1], res);
        assertTrue(t == end || t == raw.t[next - 1], what + ": stamp " + t + " for window ending " + end);
        assertEquals(next - from, count.value(), what + ": count at " + t);
        assertEquals(s, sum.value(), what + ": sum at " + t);
        assertEquals(lo, min.value(), what + ": min at " + t);
        assertEquals(hi, max.value(), what + ": max at " + t);
        first = Math.min(first, t);
        last = Math.max(last, t);
        prevStamp = t;
      }
      assertEquals(first, cm.minTime, what + ": chunk min time");
      assertEquals(last, cm.maxTime, what + ": chunk max time");
      counters.add(a.iterator(AggrType.COUNTER));
    }
    assertEquals(raw.n, next, what + ": every raw sample is in a window");

    CounterResetIterator it = new CounterResetIterator(counters);
    int j = 0;
    int emitted = 0;
    while (it.next()) {
      long t = it.timestamp();
      while (j + 1 < raw.n && raw.t[j + 1] <= t) {
        j++;
      }
      assertEquals(corrected[j], it.value(), what + ": reset-corrected counter at " + t);
      emitted++;
    }
    assertTrue(emitted > out.size(), what);
    assertEquals(raw.v[raw.n - 1], it.lastRawValue(), what + ": last raw value kept");
  }
}
