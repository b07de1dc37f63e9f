package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.BlockWriter;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
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
 * {@link BlockVerifier} over an in-memory block of {@value #SERIES} series, each {@link SeriesData}'s 12,000
 * samples in 100 XOR chunks (20,000 chunks, 2.4 M samples): segment CRCs, index checks, the series walk and a
 * full decode of every chunk. One operation is one sample.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VerifierBenchmark {
  static final int SERIES = 200;

  private MemoryDirectory block;

  @Setup
  public void setup() throws IOException {
    List<Labels> series = new ArrayList<>();
    TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
    for (int i = 0; i < SERIES; i++) {
      Labels l = Labels.of("__name__", "metric_" + (i % 10), "instance", "10.0.0." + i + ":9100", "job", "node");
      series.add(l);
      for (int k = 0; k < l.size(); k++) {
        symbols.add(l.name(k));
        symbols.add(l.value(k));
      }
    }
    series.sort(Labels::compareTo);
    block = new MemoryDirectory("bench-block");
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    try (BlockWriter w = new BlockWriter(block)) {
      for (String s : symbols) {
        w.addSymbol(s);
      }
      for (int i = 0; i < SERIES; i++) {
        List<ChunkMeta> chunks = new SeriesData(i, 0).chunks();
        minT = Math.min(minT, chunks.get(0).minTime);
        maxT = Math.max(maxT, chunks.get(chunks.size() - 1).maxTime);
        w.addSeries(series.get(i), chunks);
      }
      BlockMeta template = new BlockMeta();
      template.ulid = Ulid.generate(minT, new Random(1)).toString();
      template.minTime = minT;
      template.maxTime = maxT + 1;
      template.compaction.level = 1;
      template.compaction.sources.add(template.ulid);
      w.finish(template);
    }
    List<String> problems = BlockVerifier.verify(block);
    if (!problems.isEmpty()) {
      throw new IllegalStateException("benchmark block is not sound: " + problems);
    }
  }

  @Benchmark
  @OperationsPerInvocation(SERIES * SeriesData.SAMPLES)
  public List<String> verify() {
    return BlockVerifier.verify(block);
  }
}
