package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.Postings;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
 * Index v2 writing and reading: {@value #SERIES} series of 4 labels (100 metric names, 20 jobs, a distinct
 * instance per series) with 3 chunk metas each, in memory. One operation is one series.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class IndexBenchmark {
  static final int SERIES = 100_000;

  private List<String> symbols;
  private List<Labels> series;
  private List<List<ChunkMeta>> chunks;
  private MemoryDirectory written;

  @Setup
  public void setup() throws IOException {
    TreeSet<Labels> set = new TreeSet<>();
    for (int i = 0; i < SERIES; i++) {
      set.add(Labels.of("__name__", "metric_" + (100 + i % 100), "job", "job-" + (i % 20), "instance",
          "10.0." + (i / 250) + "." + (i % 250) + ":9100", "env", i % 3 == 0 ? "prod" : "dev"));
    }
    series = new ArrayList<>(set);
    TreeSet<String> syms = new TreeSet<>(Labels::compareStrings);
    chunks = new ArrayList<>();
    long ref = 8;
    for (Labels l : series) {
      for (int i = 0; i < l.size(); i++) {
        syms.add(l.name(i));
        syms.add(l.value(i));
      }
      List<ChunkMeta> metas = new ArrayList<>();
      for (int c = 0; c < 3; c++) {
        long min = 1_700_000_000_000L + c * 1_800_000L;
        metas.add(new ChunkMeta(min, min + 1_799_000L, ref, null));
        ref += 150;
      }
      chunks.add(metas);
    }
    symbols = new ArrayList<>(syms);
    written = new MemoryDirectory("bench");
    write(written);
    System.out.printf("%n[data] %d series, %d symbols, index %d bytes%n", SERIES, symbols.size(),
        written.fileLength("index"));
  }

  private void write(MemoryDirectory dir) throws IOException {
    IndexWriter w = new IndexWriter(dir, "index");
    for (String s : symbols) {
      w.addSymbol(s);
    }
    for (int i = 0; i < series.size(); i++) {
      w.addSeries(series.get(i), chunks.get(i));
    }
    w.close();
  }

  @Benchmark
  @OperationsPerInvocation(SERIES)
  public MemoryDirectory writeIndex() throws IOException {
    MemoryDirectory dir = new MemoryDirectory("bench");
    write(dir);
    return dir;
  }

  /** Open, then every series with its labels and chunk metas, in order. */
  @Benchmark
  @OperationsPerInvocation(SERIES)
  public long readAllSeries() throws IOException {
    long n = 0;
    try (IndexReader r = IndexReader.open(written, "index")) {
      SeriesCursor c = r.series();
      while (c.next()) {
        n += c.at().chunks().size();
      }
    }
    return n;
  }

  /** Open, then the series of one job (1/20 of all) looked up through their postings. */
  @Benchmark
  @OperationsPerInvocation(SERIES / 20)
  public long postingsLookup() throws IOException {
    long n = 0;
    try (IndexReader r = IndexReader.open(written, "index")) {
      Postings p = r.postings("job", "job-7");
      while (p.next()) {
        n += r.readSeries(p.at()).labels().size();
      }
    }
    return n;
  }
}
