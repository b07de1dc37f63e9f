package io.tsdbcompactor.compact;

import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.ByteArrayInput;
import io.tsdbcompactor.store.ByteSink;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Decoder;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.ExternalSorter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * An index's series under new labels, in the order of the new labels, with the distinct strings of those labels (the
 * output's symbols): a rewrite's relabelling, which reorders the series and may make some equal, or a repair's
 * labels, put in order. Both are sorted outside the heap where the scratch directory is on disk
 * ({@link ExternalSorter}), so a block of millions of series is rewritten in the compactor's fixed heap. Series that
 * become equal follow each other in their index order. Only labels and series references are sorted; a series'
 * chunk entries are read from the index as the cursor reaches it.
 */
final class RelabelledSeries implements Closeable {
  /**
   * Heap bytes of series (new labels and references) held before a sorted run goes to scratch; the merger gives the
   * symbols half as much. Less than the CronJob's survivor spaces (1.6 MB): a larger batch outlives young
   * collections, and every series then passes through the old generation (4 MiB took 41 full collections to
   * relabel 1M series, 1 MiB 3; benchmarks/README.md, "Rewrites in a fixed heap").
   */
  static final long DEFAULT_SERIES_HEAP_BYTES = 1 << 20;

  /** A series under its new labels. */
  record Entry(Labels labels, long ref) {}

  private final IndexReader index;
  private final ExternalSorter<Entry> series;
  private final ExternalSorter<String> symbols;
  /** Series read so far whose new labels equal those of the series read before them. */
  private long repeated;
  private Labels previous;

  private RelabelledSeries(IndexReader index, ExternalSorter<Entry> series, ExternalSorter<String> symbols) {
    this.index = index;
    this.series = series;
    this.symbols = symbols;
  }

  /**
   * An empty sort of {@code index}'s series, to {@link #add} them to; with {@code withSymbols} the strings of the new
   * labels are sorted too. Runs go to {@code scratch}.
   */
  static RelabelledSeries create(IndexReader index, Directory scratch, boolean withSymbols, long seriesHeapBytes,
      long symbolHeapBytes) {
    ExternalSorter<Entry> series = ExternalSorter.of(scratch, "relabelled-series",
        (a, b) -> a.labels().compareTo(b.labels()), ENTRY_CODEC, seriesHeapBytes);
    ExternalSorter<String> symbols = withSymbols
        ? ExternalSorter.distinct(scratch, "relabelled-symbols", Labels::compareStrings, STRING_CODEC, symbolHeapBytes)
        : null;
    return new RelabelledSeries(index, series, symbols);
  }

  /**
   * Reads {@code index}'s series once, relabelling each ({@code relabel}: the new labels, or null to leave the series
   * out), and sorts them with the strings of their new labels. Runs go to {@code scratch}.
   */
  static RelabelledSeries sort(IndexReader index, Function<Labels, Labels> relabel, Directory scratch,
      long seriesHeapBytes, long symbolHeapBytes) throws IOException {
    RelabelledSeries sorted = create(index, scratch, true, seriesHeapBytes, symbolHeapBytes);
    boolean ok = false;
    try {
      SeriesCursor all = index.series();
      while (all.next()) {
        IndexSeries s = all.at();
        Labels to = relabel.apply(s.labels());
        if (to != null) {
          sorted.add(to, s.ref());
        }
      }
      ok = true;
      return sorted;
    } finally {
      if (!ok) {
        sorted.close();
      }
    }
  }

  /** Adds series {@code ref} under its new labels {@code to}; series are added in index order. */
  void add(Labels to, long ref) throws IOException {
    series.add(new Entry(to, ref));
    if (symbols != null) {
      for (int i = 0; i < to.size(); i++) {
        symbols.add(to.name(i));
        symbols.add(to.value(i));
      }
    }
  }

  /**
   * Reads the sorted series through (without their chunk entries) and returns {@link #repeated()}: what a dry run
   * reports. Uses up the sort, as {@link #series()} does.
   */
  long countRepeated() throws IOException {
    ExternalSorter.Cursor<Entry> entries = series.sorted();
    while (entries.next()) {
      noteRead(entries.at().labels());
    }
    return repeated;
  }

  /**
   * How many of the series read so far have the new labels of the series read before them, that is, how many are
   * merged into another: once all are read, the series added less the distinct new label sets.
   */
  long repeated() {
    return repeated;
  }

  private void noteRead(Labels l) {
    if (l.equals(previous)) {
      repeated++;
    }
    previous = l;
  }

  /** The series under their new labels, in their new order; their chunk entries read as reached. Once only. */
  SeriesCursor series() throws IOException {
    ExternalSorter.Cursor<Entry> entries = series.sorted();
    return new SeriesCursor() {
      private IndexSeries current;

      @Override
      public boolean next() throws CorruptDataException {
        if (!entries.next()) {
          current = null;
          return false;
        }
        Entry e = entries.at();
        noteRead(e.labels());
        current = new IndexSeries(e.ref(), e.labels(), index.readSeries(e.ref()).chunks());
        return true;
      }

      @Override
      public IndexSeries at() {
        return current;
      }
    };
  }

  /** The distinct strings of the new labels, in order. Once only; only when sorted with symbols. */
  StringCursor symbols() throws IOException {
    ExternalSorter.Cursor<String> strings = symbols.sorted();
    return new StringCursor() {
      @Override
      public boolean next() {
        return strings.next();
      }

      @Override
      public String value() {
        return strings.at();
      }
    };
  }

  /** Releases the runs. */
  @Override
  public void close() {
    try {
      series.close();
    } finally {
      if (symbols != null) {
        symbols.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- codecs

  /** Heap bytes of a string: its object, its array's header, and a byte per char (compact strings). */
  private static long stringHeapBytes(String s) {
    return 40 + s.length();
  }

  /** A string as its UTF-8 length (uvarint) and bytes, as {@link Decoder#readUvarintString} reads it. */
  private static void writeString(String s, ByteSink out) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeUvarint(b.length);
    out.writeBytes(b);
  }

  /** A decoder over one encoded value of a run. */
  private static Decoder decoder(byte[] b, int len) {
    try {
      return Decoder.whole(new ByteArrayInput("sorted run", b, 0, len));
    } catch (CorruptDataException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An entry: the reference as 8 bytes, the number of labels (uvarint), then each name and value. */
  static final ExternalSorter.Codec<Entry> ENTRY_CODEC = new ExternalSorter.Codec<>() {
    @Override
    public void encode(Entry e, ByteSink out) {
      out.writeLongBE(e.ref());
      Labels l = e.labels();
      out.writeUvarint(l.size());
      for (int i = 0; i < l.size(); i++) {
        writeString(l.name(i), out);
        writeString(l.value(i), out);
      }
    }

    @Override
    public Entry decode(byte[] b, int len) {
      Decoder d = decoder(b, len);
      try {
        long ref = d.readLongBE();
        int n = d.readUvarint32();
        String[] names = new String[n];
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
          names[i] = d.readUvarintString();
          values[i] = d.readUvarintString();
        }
        return new Entry(Labels.ofSorted(names, values), ref);
      } catch (CorruptDataException e) {
        // The runs are this process's own bytes: a value that does not decode is a bug, not bad input.
        throw new IllegalStateException(e);
      }
    }

    @Override
    public long heapBytes(Entry e) {
      Labels l = e.labels();
      long bytes = 24 + 24 + 2 * (16 + 4L * l.size());
      for (int i = 0; i < l.size(); i++) {
        bytes += stringHeapBytes(l.name(i)) + stringHeapBytes(l.value(i));
      }
      return bytes;
    }
  };

  /** A string as {@link #writeString} writes it. */
  static final ExternalSorter.Codec<String> STRING_CODEC = new ExternalSorter.Codec<>() {
    @Override
    public void encode(String s, ByteSink out) {
      writeString(s, out);
    }

    @Override
    public String decode(byte[] b, int len) {
      try {
        return decoder(b, len).readUvarintString();
      } catch (CorruptDataException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public long heapBytes(String s) {
      return stringHeapBytes(s);
    }
  };
}
