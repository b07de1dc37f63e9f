package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.List;
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

/** XOR chunk encode and decode; one operation is one sample, so the score is samples per second. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class XorBenchmark {
  private SeriesData data;
  private List<ChunkMeta> chunks;
  private final XorEncoder enc = new XorEncoder();
  private final XorIterator it = new XorIterator();

  @Setup
  public void setup() {
    data = new SeriesData(1, 0);
    chunks = data.chunks();
    System.out.printf("%n[data] %d samples in %d chunks, %d bytes (%.2f bytes/sample)%n", SeriesData.SAMPLES,
        chunks.size(), SeriesData.bytes(chunks), SeriesData.bytes(chunks) / (double) SeriesData.SAMPLES);
  }

  /** Encodes the series into 120-sample chunks (including the copy out of the encoder). */
  @Benchmark
  @OperationsPerInvocation(SeriesData.SAMPLES)
  public void encode(Blackhole bh) {
    long[] ts = data.ts;
    double[] vs = data.vs;
    for (int i = 0; i < ts.length; i++) {
      if (enc.numSamples() == 120) {
        bh.consume(enc.toChunk());
        enc.reset();
      }
      enc.append(ts[i], vs[i]);
    }
    bh.consume(enc.toChunk());
    enc.reset();
  }

  /** Decodes every chunk of the series, touching each timestamp and value. */
  @Benchmark
  @OperationsPerInvocation(SeriesData.SAMPLES)
  public long decode() throws CorruptDataException {
    long acc = 0;
    for (int c = 0; c < chunks.size(); c++) {
      it.reset("bench", chunks.get(c).chunk.data());
      while (it.next()) {
        acc += it.timestamp() ^ Double.doubleToRawLongBits(it.value());
      }
    }
    return acc;
  }
}
