package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.chunk.ChunkMerger;
import io.tsdbcompactor.chunk.ChunkMeta;
import java.io.IOException;
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
 * {@link ChunkMerger} on one series: k overlapping streams (as k overlapping blocks of the same series, each a
 * replica scraped a few hundred milliseconds apart) decoded, merged and re-encoded into 120-sample chunks; and
 * the untouched-copy path (back-to-back chunks that overlap nothing, returned as they are). One operation is
 * one input sample.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MergeBenchmark {
  private final ChunkMerger merger = new ChunkMerger();
  private List<ChunkMeta> two;
  private List<ChunkMeta> three;
  private List<ChunkMeta> five;
  private List<ChunkMeta> disjoint;

  @Setup
  public void setup() throws IOException {
    two = streams(2);
    three = streams(3);
    five = streams(5);
    disjoint = new SeriesData(1, 0).chunks();
    for (List<ChunkMeta> in : List.of(two, three, five, disjoint)) {
      List<ChunkMeta> out = merger.mergeSeries("bench", in, null);
      System.out.printf("%n[data] %d input chunks, %d bytes -> %d output chunks, %d bytes%n", in.size(),
          SeriesData.bytes(in), out.size(), SeriesData.bytes(out));
    }
  }

  private static List<ChunkMeta> streams(int k) {
    List<ChunkMeta> all = new ArrayList<>();
    for (int s = 0; s < k; s++) {
      all.addAll(new SeriesData(s + 1, s * 300L).chunks());
    }
    all.sort((a, b) -> Long.compare(a.minTime, b.minTime));
    return all;
  }

  @Benchmark
  @OperationsPerInvocation(2 * SeriesData.SAMPLES)
  public List<ChunkMeta> merge2() throws IOException {
    return merger.mergeSeries("bench", two, null);
  }

  @Benchmark
  @OperationsPerInvocation(3 * SeriesData.SAMPLES)
  public List<ChunkMeta> merge3() throws IOException {
    return merger.mergeSeries("bench", three, null);
  }

  @Benchmark
  @OperationsPerInvocation(5 * SeriesData.SAMPLES)
  public List<ChunkMeta> merge5() throws IOException {
    return merger.mergeSeries("bench", five, null);
  }

  /**
   * Nothing overlaps: every chunk comes back as the same object and its bytes are copied as they are (here
   * into a reused buffer, standing in for the segment writer's output buffer).
   */
  @Benchmark
  @OperationsPerInvocation(SeriesData.SAMPLES)
  public int untouchedCopy() throws IOException {
    List<ChunkMeta> out = merger.mergeSeries("bench", disjoint, null);
    int pos = 0;
    for (int i = 0; i < out.size(); i++) {
      byte[] d = out.get(i).chunk.data();
      System.arraycopy(d, 0, copyBuffer, pos, d.length);
      pos += d.length;
    }
    return pos;
  }

  private final byte[] copyBuffer = new byte[1 << 20];
}
