package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.block.GoFormat;
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

/**
 * Formatting sample values as Go's %g for {@code tools block dump}; one operation is one value. Gauges are
 * random doubles (16-17 significant digits: the Ryū path), counters are integers (the fast path).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DumpFormatBenchmark {
  private static final int N = 10_000;
  private final double[] gauges = new double[N];
  private final double[] counters = new double[N];
  private final StringBuilder sb = new StringBuilder(32);

  @Setup
  public void setup() {
    Random r = new Random(1);
    for (int i = 0; i < N; i++) {
      gauges[i] = r.nextGaussian() * 100;
      counters[i] = r.nextInt(100_000_000);
    }
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public int gauges() {
    int len = 0;
    for (double v : gauges) {
      sb.setLength(0);
      GoFormat.appendFloat(sb, v);
      len += sb.length();
    }
    return len;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public int counters() {
    int len = 0;
    for (double v : counters) {
      sb.setLength(0);
      GoFormat.appendFloat(sb, v);
      len += sb.length();
    }
    return len;
  }
}
