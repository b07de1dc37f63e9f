package io.tsdbcompactor.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Runs the JMH benchmark methods of the named classes and reports operations per second of the benchmark
 * thread's CPU time, not of wall time: on a machine shared with other work the thread waits for a core a varying
 * share of the time, which JMH's throughput counts and CPU time does not. For comparing two library versions
 * on a loaded machine (run each version's JVM in turn, several rounds); on a quiet machine use JMH.
 *
 * <pre>
 *   java -cp LIBRARY_CLASSES:BENCHMARK_CLASSES:JMH_JARS io.tsdbcompactor.benchmarks.CpuTimeRunner \
 *       warmupSeconds measureSeconds XorBenchmark HistogramBenchmark.decodeFloat ...
 * </pre>
 * Prints one line per benchmark: the median over ten measurement batches, in operations per CPU second.
 */
public final class CpuTimeRunner {
  private static final String BLACKHOLE_CONSENT =
      "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.";

  public static void main(String[] args) throws Exception {
    double warmup = Double.parseDouble(args[0]);
    double measure = Double.parseDouble(args[1]);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Blackhole bh = new Blackhole(BLACKHOLE_CONSENT);
    for (String arg : Arrays.copyOfRange(args, 2, args.length)) {
      // "XorBenchmark" runs all its benchmarks, "XorBenchmark.decode" one.
      String name = arg.contains(".") ? arg.substring(0, arg.indexOf('.')) : arg;
      String only = arg.contains(".") ? arg.substring(arg.indexOf('.') + 1) : null;
      Class<?> c = Class.forName("io.tsdbcompactor.benchmarks." + name);
      Object state = c.getDeclaredConstructor().newInstance();
      List<Method> benches = new ArrayList<>();
      for (Method m : c.getMethods()) {
        if (m.isAnnotationPresent(Setup.class)) {
          m.invoke(state);
        }
        if (m.isAnnotationPresent(Benchmark.class) && (only == null || only.equals(m.getName()))) {
          benches.add(m);
        }
      }
      benches.sort((a, b) -> a.getName().compareTo(b.getName()));
      for (Method m : benches) {
        OperationsPerInvocation ops = m.getAnnotation(OperationsPerInvocation.class);
        long perCall = ops == null ? 1 : ops.value();
        Object[] callArgs = m.getParameterCount() == 1 ? new Object[] {bh} : new Object[0];
        run(m, state, callArgs, mx, (long) (warmup * 1e9));
        double[] batches = new double[10];
        for (int i = 0; i < batches.length; i++) {
          long[] callsAndCpu = run(m, state, callArgs, mx, (long) (measure * 1e9 / batches.length));
          batches[i] = callsAndCpu[0] * perCall / (callsAndCpu[1] / 1e9);
        }
        Arrays.sort(batches);
        System.out.printf("%s.%s %.0f ops/cpu-s (batches %.3g..%.3g)%n", name, m.getName(),
            (batches[4] + batches[5]) / 2, batches[0], batches[9]);
      }
    }
  }

  /** Calls the method until {@code cpuNanos} of this thread's CPU time have passed; returns {calls, cpu ns}. */
  private static long[] run(Method m, Object state, Object[] args, ThreadMXBean mx, long cpuNanos) throws Exception {
    long start = mx.getCurrentThreadCpuTime();
    long calls = 0;
    long now;
    do {
      for (int i = 0; i < 10; i++) {
        m.invoke(state, args);
      }
      calls += 10;
      now = mx.getCurrentThreadCpuTime();
    } while (now - start < cpuNanos);
    return new long[] {calls, now - start};
  }
}
