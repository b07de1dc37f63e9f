package io.tsdbcompactor.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.IndexOutput;
import io.tsdbcompactor.store.MemoryDirectory;
import io.tsdbcompactor.store.RandomAccessInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IndexWriterReaderTest {

  /** A random index's content: series in label order with chunk metas. */
  record Data(List<String> symbols, List<Labels> series, List<List<ChunkMeta>> chunks) {}

  static Data randomData(long seed, int numSeries) {
    Random rnd = new Random(seed);
    // Values include characters whose UTF-16 and UTF-8 orders differ (U+FFFD vs a surrogate pair).
    String[] values = {"a", "b", "x", "prod", "ü", "\uFFFD", "\uD83D\uDE00", "10", "9", "", "long-value-" + seed};
    String[] names = {"__name__", "job", "instance", "le", "zone", "\u00e9t\u00e9"};
    TreeSet<Labels> set = new TreeSet<>();
    while (set.size() < numSeries) {
      Labels.Builder b = new Labels.Builder();
      b.add("__name__", "metric_" + rnd.nextInt(numSeries));
      for (int i = 1; i < names.length; i++) {
        if (rnd.nextInt(3) > 0) {
          b.add(names[i], values[rnd.nextInt(values.length)] + (rnd.nextInt(4) == 0 ? rnd.nextInt(50) : ""));
        }
      }
      set.add(b.build());
    }
    List<Labels> series = new ArrayList<>(set);
    List<List<ChunkMeta>> chunks = new ArrayList<>();
    for (Labels l : series) {
      List<ChunkMeta> metas = new ArrayList<>();
      long t = rnd.nextInt(2) == 0 ? -rnd.nextInt(1_000_000) : rnd.nextLong() >>> 20;
      int n = rnd.nextInt(6);
      for (int i = 0; i < n; i++) {
        long min = t + 1 + rnd.nextInt(100_000);
        long max = min + rnd.nextInt(7_200_000);
        // Refs go up and sometimes down (chunks of merged series need not be in file order).
        long ref = ((long) rnd.nextInt(3) << 32) | (8 + rnd.nextInt(1 << 30));
        metas.add(new ChunkMeta(min, max, ref, null));
        t = max;
      }
      chunks.add(metas);
    }
    return new Data(symbolsOf(series), series, chunks);
  }

  /** Every label name and value of the series, in the symbol table's order. */
  static List<String> symbolsOf(List<Labels> series) {
    TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
    for (Labels l : series) {
      for (int i = 0; i < l.size(); i++) {
        symbols.add(l.name(i));
        symbols.add(l.value(i));
      }
    }
    return new ArrayList<>(symbols);
  }

  static byte[] write(Data d, boolean labelIndices) throws IOException {
    MemoryDirectory dir = new MemoryDirectory("w");
    IndexWriter w = new IndexWriter(dir, "index");
    w.writeLabelIndices = labelIndices;
    for (String s : d.symbols()) {
      w.addSymbol(s);
    }
    for (int i = 0; i < d.series().size(); i++) {
      w.addSeries(d.series().get(i), d.chunks().get(i));
    }
    w.close();
    return dir.readAll("index");
  }

  static IndexReader open(byte[] file) throws IOException {
    MemoryDirectory dir = new MemoryDirectory("blk");
    dir.writeAll("index", file);
    return IndexReader.open(dir, "index");
  }

  @Test
  void randomIndexesRoundTrip() throws IOException {
    for (int seed = 0; seed < 20; seed++) {
      for (boolean labelIndices : new boolean[] {true, false}) {
        assertRoundTrips(randomData(seed, 1 + seed * 37), labelIndices);
      }
    }
  }

  /**
   * A symbol table longer than {@link IndexReader#ALL_SYMBOL_OFFSETS_UP_TO}, whose reader keeps the offset of every
   * 32nd symbol only: series with label values of their own, as request or pod UIDs make them. Every symbol, look-up,
   * label value and postings list reads as with a short table.
   */
  @Test
  void symbolAndPostingsTablesOfDistinctValuesPerSeriesRoundTrip() throws IOException {
    assertRoundTrips(distinctValuesPerSeries(), true);
  }

  /**
   * In a long symbol table a look-up may start from the symbol read last in the same run of 32: look-ups in every
   * order (descending, shuffled, several ascending sequences interleaved, from threads at once) read every symbol
   * right.
   */
  @Test
  void longSymbolTableLookUpsInAnyOrder() throws Exception {
    Data d = distinctValuesPerSeries();
    List<String> symbols = d.symbols();
    try (IndexReader r = open(write(d, true))) {
      for (int i = symbols.size() - 1; i >= 0; i--) {
        assertEquals(symbols.get(i), r.symbol(i));
      }
      List<Integer> shuffled = new ArrayList<>();
      for (int i = 0; i < symbols.size(); i++) {
        shuffled.add(i);
      }
      Collections.shuffle(shuffled, new Random(5));
      for (int i : shuffled) {
        assertEquals(symbols.get(i), r.symbol(i));
      }
      int third = symbols.size() / 3;
      for (int i = 0; i < third; i++) {
        for (int from : new int[] {0, third, 2 * third}) {
          assertEquals(symbols.get(from + i), r.symbol(from + i));
        }
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int seed = t;
          done.add(pool.submit(() -> {
            Random rnd = new Random(seed);
            for (int k = 0; k < 20_000; k++) {
              int i = rnd.nextInt(symbols.size());
              for (int j = i; j < Math.min(i + 40, symbols.size()); j++) {
                assertEquals(symbols.get(j), r.symbol(j));
              }
            }
            return null;
          }));
        }
        for (var f : done) {
          f.get(2, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Series with label values of their own: more symbols and postings table entries than either table keeps all of. */
  private static Data distinctValuesPerSeries() {
    Random rnd = new Random(3);
    TreeSet<Labels> set = new TreeSet<>();
    for (int i = 0; set.size() < IndexReader.ALL_SYMBOL_OFFSETS_UP_TO / 2 + 1000; i++) {
      set.add(Labels.of("__name__", "requests_total", "id", Long.toHexString(rnd.nextLong()), "pod",
          "pod-" + rnd.nextInt(1 << 20), "shard", String.valueOf(i % 7)));
    }
    List<Labels> series = new ArrayList<>(set);
    List<List<ChunkMeta>> chunks = new ArrayList<>();
    for (Labels l : series) {
      chunks.add(List.of(new ChunkMeta(1000, 2000, 8 + chunks.size() * 100L, null)));
    }
    List<String> symbols = symbolsOf(series);
    assertTrue(symbols.size() > IndexReader.ALL_SYMBOL_OFFSETS_UP_TO, "symbols: " + symbols.size());
    Set<String> pairs = new HashSet<>();
    for (Labels l : series) {
      for (int k = 0; k < l.size(); k++) {
        pairs.add(l.name(k) + "=" + l.value(k));
      }
    }
    assertTrue(pairs.size() + 1 > IndexReader.ALL_ENTRY_POSITIONS_UP_TO, "postings table entries: " + pairs.size());
    return new Data(symbols, series, chunks);
  }

  private static void assertRoundTrips(Data d, boolean labelIndices) throws IOException {
    byte[] file = write(d, labelIndices);
    try (IndexReader r = open(file)) {
      assertEquals(labelIndices, r.toc().hasLabelIndices());
      assertEquals(d.series().size(), r.verify());
      assertEquals(d.symbols().size(), r.symbolCount());
      List<String> syms = new ArrayList<>();
      StringCursor sc = r.symbols();
      while (sc.next()) {
        syms.add(sc.value());
      }
      assertEquals(d.symbols(), syms);
      for (int i = 0; i < syms.size(); i++) {
        assertEquals(i, r.findSymbol(syms.get(i)));
        assertEquals(syms.get(i), r.symbol(i));
      }
      assertEquals(-1, r.findSymbol("not-a-symbol"));

      // Expected postings from the data itself.
      Map<String, Map<String, List<Long>>> expected = new TreeMap<>(Labels::compareStrings);
      SeriesCursor c = r.series();
      List<Long> refs = new ArrayList<>();
      for (int i = 0; i < d.series().size(); i++) {
        assertTrue(c.next());
        IndexSeries s = c.at();
        assertEquals(d.series().get(i), s.labels());
        assertMetas(d.chunks().get(i), s.chunks());
        assertEquals(s.labels(), r.readSeries(s.ref()).labels());
        int[] ids = r.seriesSymbols(s.ref());
        assertEquals(2 * s.labels().size(), ids.length);
        for (int k = 0; k < s.labels().size(); k++) {
          assertEquals(s.labels().name(k), syms.get(ids[2 * k]));
          assertEquals(s.labels().value(k), syms.get(ids[2 * k + 1]));
        }
        refs.add(s.ref());
        for (int k = 0; k < s.labels().size(); k++) {
          expected.computeIfAbsent(s.labels().name(k), x -> new TreeMap<>(Labels::compareStrings))
              .computeIfAbsent(s.labels().value(k), x -> new ArrayList<>()).add(s.ref());
        }
      }
      assertFalse(c.next());
      assertEquals(refs, drain(r.allPostings()));
      assertEquals(new ArrayList<>(expected.keySet()), r.labelNames());
      for (var e : expected.entrySet()) {
        assertEquals(new ArrayList<>(e.getValue().keySet()), r.labelValues(e.getKey()));
        for (var v : e.getValue().entrySet()) {
          assertEquals(v.getValue(), drain(r.postings(e.getKey(), v.getKey())));
          String absent = v.getKey() + "\u0000"; // just after a value there is
          if (!e.getValue().containsKey(absent)) {
            assertEquals(0, r.postings(e.getKey(), absent).size(), absent);
          }
        }
        for (String absent : new String[] {"", "\uffff"}) {
          if (!e.getValue().containsKey(absent)) {
            assertEquals(0, r.postings(e.getKey(), absent).size(), absent);
          }
        }
      }
    }
    // Writing what we read gives the same bytes again.
    assertArrayEquals(file, write(d, labelIndices));
  }

  private static void assertMetas(List<ChunkMeta> want, List<ChunkMeta> got) {
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).minTime, got.get(i).minTime);
      assertEquals(want.get(i).maxTime, got.get(i).maxTime);
      assertEquals(want.get(i).ref, got.get(i).ref);
    }
  }

  static List<Long> drain(Postings p) throws IOException {
    List<Long> out = new ArrayList<>();
    while (p.next()) {
      out.add(p.at());
    }
    return out;
  }

  @Test
  void postingsSeek() throws IOException {
    Data d = randomData(7, 300);
    try (IndexReader r = open(write(d, true))) {
      List<Long> all = drain(r.allPostings());
      Postings p = r.allPostings();
      assertTrue(p.seek(all.get(100)));
      assertEquals(all.get(100), p.at());
      assertTrue(p.seek(all.get(100) + 1));
      assertEquals(all.get(101), p.at());
      assertTrue(p.seek(0)); // never moves backwards
      assertEquals(all.get(101), p.at());
      assertFalse(p.seek(all.get(all.size() - 1) + 1));
    }
  }

  @Test
  void emptyIndex() throws IOException {
    try (IndexReader r = open(write(new Data(List.of(), List.of(), List.of()), true))) {
      assertEquals(0, r.verify());
      assertEquals(0, r.symbolCount());
      assertEquals(List.of(), r.labelNames());
      assertFalse(r.series().next());
      assertEquals(0, r.allPostings().size());
    }
  }

  @Test
  void writerRejectsMisuse() throws IOException {
    IndexWriter w = new IndexWriter(new MemoryDirectory(), "index");
    w.addSymbol("b");
    assertThrows(IllegalArgumentException.class, () -> w.addSymbol("a"));
    assertThrows(IllegalArgumentException.class, () -> w.addSymbol("b"));
    w.addSymbol("c");
    w.addSeries(Labels.of("b", "c"), List.of());
    assertThrows(IllegalArgumentException.class, () -> w.addSeries(Labels.of("b", "c"), List.of()));
    assertThrows(IllegalArgumentException.class, () -> w.addSeries(Labels.of("b", "b"), List.of()));
    assertThrows(IllegalArgumentException.class, () -> w.addSeries(Labels.of("c", "x"), List.of()));
    assertThrows(IllegalStateException.class, () -> w.addSymbol("d"));
    w.close();
  }

  @Test
  void refusesSeriesPastThe32BitReferenceLimit() throws IOException {
    // An output that pretends to sit just below 64 GiB: header (5) and symbol table (18) end exactly at
    // 16 * 0xffffffff, so the first series gets the last 32-bit reference and the second would need 33 bits.
    long base = 16L * 0xffffffffL - 5 - 18;
    Directory dir = new FarOutDirectory(base);
    IndexWriter w = new IndexWriter(dir, "index");
    w.addSymbol("a");
    w.addSymbol("b");
    w.addSymbol("c");
    w.addSeries(Labels.of("a", "b"), List.of());
    IOException e = assertThrows(IOException.class, () -> w.addSeries(Labels.of("a", "c"), List.of()));
    assertTrue(e.getMessage().contains("64 GiB"), e.getMessage());
    // The postings would take the file itself past 64 GiB, which Prometheus also refuses.
    e = assertThrows(IOException.class, w::close);
    assertTrue(e.getMessage().contains("past the 64 GiB limit"), e.getMessage());
  }

  /** Creates outputs that discard their bytes and start counting at a given position. */
  private static final class FarOutDirectory implements Directory {
    private final long start;

    FarOutDirectory(long start) {
      this.start = start;
    }

    @Override
    public String describe() {
      return "far";
    }

    @Override
    public RandomAccessInput openInput(String name) {
      throw new UnsupportedOperationException();
    }

    @Override
    public IndexOutput createOutput(String name) {
      return new IndexOutput() {
        long pos = start;

        @Override
        public String name() {
          return name;
        }

        @Override
        public long position() {
          return pos;
        }

        @Override
        public void writeByte(int b) {
          pos++;
        }

        @Override
        public void writeBytes(byte[] b, int off, int len) {
          pos += len;
        }

        @Override
        public void close() {}

        @Override
        public void abort() {}
      };
    }

    @Override
    public boolean exists(String name) {
      return false;
    }

    @Override
    public long fileLength(String name) {
      return 0;
    }

    @Override
    public List<String> listAll() {
      return List.of();
    }

    @Override
    public void delete(String name) {}
  }
}
