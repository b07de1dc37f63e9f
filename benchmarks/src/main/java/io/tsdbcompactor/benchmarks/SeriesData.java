package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.chunk.ChunkCutter;
import io.tsdbcompactor.chunk.ChunkMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic scrape-like series: 15 s interval (or another) with millisecond jitter, half counters (integers growing
 * by small steps) and half gauges (fractional values). Deterministic per seed.
 */
final class SeriesData {
  static final int SAMPLES = 12_000; // 100 chunks of 120

  final long[] ts = new long[SAMPLES];
  final double[] vs = new double[SAMPLES];

  SeriesData(int seed, long offsetMillis) {
    this(seed, offsetMillis, 15_000);
  }

  SeriesData(int seed, long offsetMillis, int intervalMillis) {
    Random r = new Random(seed);
    long t = 1_700_000_000_000L + offsetMillis;
    double counter = 0;
    for (int i = 0; i < SAMPLES; i++) {
      t += intervalMillis + r.nextInt(41) - 20;
      ts[i] = t;
      if ((i / 1200) % 2 == 0) {
        counter += r.nextInt(50);
        vs[i] = counter;
      } else {
        vs[i] = 20 + 5 * Math.sin(i / 40.0) + r.nextDouble();
      }
    }
  }

  List<ChunkMeta> chunks() {
    List<ChunkMeta> out = new ArrayList<>();
    ChunkCutter cutter = new ChunkCutter();
    for (int i = 0; i < SAMPLES; i++) {
      cutter.append(ts[i], vs[i], out);
    }
    cutter.flush(out);
    return out;
  }

  static long bytes(List<ChunkMeta> chunks) {
    long n = 0;
    for (ChunkMeta m : chunks) {
      n += m.chunk.data().length;
    }
    return n;
  }
}
