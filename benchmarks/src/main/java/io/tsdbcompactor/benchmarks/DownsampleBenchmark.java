package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.downsample.AggrChunk;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.downsample.SeriesDownsampler;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
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

/**
 * Downsampling throughput. The raw benchmarks count one operation per raw sample (score = raw samples per
 * second); the 5m → 1h benchmark counts one per 5m window read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DownsampleBenchmark {
  private SeriesData data;
  private List<ChunkMeta> rawChunks;
  /** The same number of samples scraped every 60 s: five per 5m window, so one aggregate append per raw sample. */
  private List<ChunkMeta> rawChunksEveryMinute;
  private List<AggrChunk> fiveMinChunks;
  private long fiveMinMin;
  private long fiveMinMax;
  private int fiveMinWindows;
  private final SeriesDownsampler downsampler = new SeriesDownsampler();
  private final XorIterator it = new XorIterator();
  private final List<ChunkMeta> out = new ArrayList<>();

  @Setup
  public void setup() throws CorruptDataException {
    data = new SeriesData(1, 0);
    rawChunks = data.chunks();
    rawChunksEveryMinute = new SeriesData(1, 0, 60_000).chunks();
    List<ChunkMeta> five = new ArrayList<>();
    downsampler.resetRaw();
    downsampler.addRaw(data.ts, data.vs, data.ts.length);
    downsampler.flushRaw(Resolution.FIVE_MINUTES, five);
    fiveMinChunks = new ArrayList<>();
    for (ChunkMeta m : five) {
      AggrChunk a = AggrChunk.parse("bench", m.chunk);
      fiveMinChunks.add(a);
      fiveMinWindows += a.numSamples();
    }
    fiveMinMin = five.get(0).minTime;
    fiveMinMax = five.get(five.size() - 1).maxTime;
    System.out.printf("%n[data] %d raw samples in %d XOR chunks -> %d 5m windows in %d AggrChunks%n",
        SeriesData.SAMPLES, rawChunks.size(), fiveMinWindows, five.size());
  }

  /** Raw XOR chunks of one series → 5m AggrChunks: decode, aggregate, encode the five aggregates. */
  @Benchmark
  @OperationsPerInvocation(SeriesData.SAMPLES)
  public List<ChunkMeta> rawTo5mFromChunks() throws CorruptDataException {
    return rawTo5m(rawChunks);
  }

  /**
   * As {@link #rawTo5mFromChunks} for a series scraped every minute (node exporter's common interval, and
   * {@code scale.sh}'s): four times the aggregate encoding per raw sample.
   */
  @Benchmark
  @OperationsPerInvocation(SeriesData.SAMPLES)
  public List<ChunkMeta> rawTo5mFromChunksEveryMinute() throws CorruptDataException {
    return rawTo5m(rawChunksEveryMinute);
  }

  private List<ChunkMeta> rawTo5m(List<ChunkMeta> chunks) throws CorruptDataException {
    out.clear();
    downsampler.resetRaw();
    for (int c = 0; c < chunks.size(); c++) {
      it.reset("bench", chunks.get(c).chunk.data());
      downsampler.addRaw(it);
    }
    downsampler.flushRaw(Resolution.FIVE_MINUTES, out);
    return out;
  }

  /** Raw samples already in arrays → 5m AggrChunks: aggregation and encoding only. */
  @Benchmark
  @OperationsPerInvocation(SeriesData.SAMPLES)
  public List<ChunkMeta> rawTo5mFromArrays() {
    out.clear();
    downsampler.resetRaw();
    downsampler.addRaw(data.ts, data.vs, data.ts.length);
    downsampler.flushRaw(Resolution.FIVE_MINUTES, out);
    return out;
  }

  /** 5m AggrChunks → 1h AggrChunks; one operation per 5m window (601 for this series). */
  @Benchmark
  @OperationsPerInvocation(601)
  public List<ChunkMeta> fiveMinTo1h() throws CorruptDataException {
    out.clear();
    downsampler.downsampleAggr(fiveMinChunks, fiveMinMin, fiveMinMax, Resolution.FIVE_MINUTES,
        Resolution.ONE_HOUR, out);
    return out;
  }
}
