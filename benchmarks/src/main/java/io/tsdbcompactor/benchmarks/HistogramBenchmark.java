package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.Histogram;
import io.tsdbcompactor.chunk.HistogramEncoder;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Native histogram chunk encode and decode; one operation is one sample. The data is a scrape-like series of
 * growing histograms with 12 buckets (8 positive, 4 negative), 15 s apart, 120 samples a chunk: float
 * histograms XOR-code 15 values a sample (count, zero count, sum, every bucket), integer histograms only the
 * sum, so the float pair measures mostly the XOR value coder.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HistogramBenchmark {
  static final int SAMPLES = 12_000;
  static final int PER_CHUNK = 120;

  private final long[] ts = new long[SAMPLES];
  private final Histogram[] floatSamples = new Histogram[SAMPLES];
  private final Histogram[] intSamples = new Histogram[SAMPLES];
  private final HistogramEncoder floatEnc = new HistogramEncoder(true);
  private final HistogramEncoder intEnc = new HistogramEncoder(false);
  private final HistogramIterator it = new HistogramIterator();
  private List<Chunk> floatChunks;
  private List<Chunk> intChunks;

  @Setup
  public void setup() {
    Random r = new Random(7);
    long t = 1_700_000_000_000L;
    long[] pos = new long[8];
    long[] neg = new long[4];
    double sum = 0;
    for (int i = 0; i < SAMPLES; i++) {
      t += 15_000 + r.nextInt(41) - 20;
      ts[i] = t;
      long count = 0;
      for (int b = 0; b < pos.length; b++) {
        pos[b] += r.nextInt(20);
        count += pos[b];
      }
      for (int b = 0; b < neg.length; b++) {
        neg[b] += r.nextInt(5);
        count += neg[b];
      }
      sum += r.nextDouble() * 100;
      floatSamples[i] = histogram(true, pos, neg, count, sum);
      intSamples[i] = histogram(false, pos, neg, count, sum);
    }
    floatChunks = encodeAll(floatEnc, floatSamples, null);
    intChunks = encodeAll(intEnc, intSamples, null);
  }

  private static Histogram histogram(boolean floats, long[] pos, long[] neg, long count, double sum) {
    Histogram h = new Histogram();
    h.clear(floats);
    h.schema = 3;
    h.zeroThreshold = 0x1p-128;
    h.addPosSpan(0, pos.length);
    h.addNegSpan(2, neg.length);
    h.sizeBuckets();
    h.sum = sum;
    if (floats) {
      h.floatCount = count;
      for (int b = 0; b < pos.length; b++) {
        h.posCounts[b] = pos[b];
      }
      for (int b = 0; b < neg.length; b++) {
        h.negCounts[b] = neg[b];
      }
    } else {
      h.count = count;
      long prev = 0;
      for (int b = 0; b < pos.length; b++) {
        h.posDeltas[b] = pos[b] - prev;
        prev = pos[b];
      }
      prev = 0;
      for (int b = 0; b < neg.length; b++) {
        h.negDeltas[b] = neg[b] - prev;
        prev = neg[b];
      }
    }
    return h;
  }

  private List<Chunk> encodeAll(HistogramEncoder enc, Histogram[] samples, Blackhole bh) {
    List<Chunk> out = bh == null ? new ArrayList<>() : null;
    enc.reset(samples[0].isFloat);
    for (int i = 0; i < SAMPLES; i++) {
      if (enc.numSamples() == PER_CHUNK) {
        Chunk c = enc.toChunk();
        if (out != null) {
          out.add(c);
        } else {
          bh.consume(c);
        }
        enc.reset(samples[0].isFloat);
      }
      enc.append(ts[i], samples[i]);
    }
    Chunk c = enc.toChunk();
    if (out != null) {
      out.add(c);
    } else {
      bh.consume(c);
    }
    return out;
  }

  private long decodeAll(List<Chunk> chunks) throws CorruptDataException {
    long acc = 0;
    for (int c = 0; c < chunks.size(); c++) {
      Chunk chunk = chunks.get(c);
      it.reset("bench", chunk.encoding(), chunk.data());
      while (it.next()) {
        Histogram h = it.histogram();
        acc += it.timestamp() ^ Double.doubleToRawLongBits(h.sum) ^ Double.doubleToRawLongBits(h.floatCount)
            ^ h.count ^ Double.doubleToRawLongBits(h.posCounts[7]) ^ h.posDeltas[7];
      }
    }
    return acc;
  }

  @Benchmark
  @OperationsPerInvocation(SAMPLES)
  public void encodeFloat(Blackhole bh) {
    encodeAll(floatEnc, floatSamples, bh);
  }

  @Benchmark
  @OperationsPerInvocation(SAMPLES)
  public long decodeFloat() throws CorruptDataException {
    return decodeAll(floatChunks);
  }

  @Benchmark
  @OperationsPerInvocation(SAMPLES)
  public void encodeInt(Blackhole bh) {
    encodeAll(intEnc, intSamples, bh);
  }

  @Benchmark
  @OperationsPerInvocation(SAMPLES)
  public long decodeInt() throws CorruptDataException {
    return decodeAll(intChunks);
  }
}
