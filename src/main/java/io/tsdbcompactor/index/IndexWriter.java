package io.tsdbcompactor.index;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.ByteSink;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.IndexOutput;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes an index file in format v2, byte for byte as Prometheus 2.42's {@code tsdb/index} writer does (spec:
 * Prometheus {@code tsdb/docs/format/index.md}). All integers are big-endian unless marked (u)varint (Go's
 * LEB128 / zig-zag encodings); every CRC is CRC32C (Castagnoli), 4 bytes, big-endian.
 *
 * <pre>
 * header           magic 0xBAAAD700 (4) | version 2 (1)
 * symbol table     len (4, bytes after it up to the CRC) | count (4) | count x (uvarint len, UTF-8 bytes),
 *                  strictly ascending bytewise | CRC of count and symbols
 * series           per series, in label order: zero padding to a multiple of 16, then
 *                    uvarint len (bytes up to the CRC) | uvarint label count |
 *                    per label: uvarint name symbol index, uvarint value symbol index |
 *                    uvarint chunk count | first chunk: varint minT, uvarint maxT-minT, uvarint ref |
 *                    later chunks: uvarint minT-prevMaxT, uvarint maxT-minT, varint ref-prevRef |
 *                    CRC of the entry after len
 *                  the series reference is the entry offset / 16 (must fit 32 bits: 64 GiB of series)
 * label indices    per label name (ascending): zero padding to 4, len (4) | names 1 (4) | count (4) |
 *                  count x value symbol index (4) | CRC after len
 * postings         zero padding to 4, then per (name, value): zero padding to 4, len (4) | count (4) |
 *                  count x series reference (4), ascending | CRC after len. First the all-series key
 *                  ("", ""), then names ascending and each name's values ascending.
 * label idx table  len (4) | count (4) | per label index: uvarint 1, uvarint len + name, uvarint64 offset | CRC
 * postings table   len (4) | count (4) | per postings list, in order: uvarint 2, uvarint len + name,
 *                  uvarint len + value, uvarint64 offset | CRC
 * TOC              offsets (8 each) of: symbols, series, label indices, label indices table, postings,
 *                  postings table | CRC of the 48 bytes
 * </pre>
 *
 * The TOC's label-indices and postings offsets are the positions before their sections' first padding.
 * Prometheus 2.42 still writes label index sections (later versions drop them); writing them keeps our files
 * identical to 2.42's and readable by every Prometheus and Thanos reader.
 *
 * <p>Use: {@link #addSymbol} for every label name and value in ascending byte order, then {@link #addSeries}
 * in ascending label order, then {@link #close()}. Series stream straight to the output; memory grows with
 * the symbols (kept for look-ups, and buffered until the symbol table's length is known) and the postings
 * (one int per label of each series, in primitive arrays keyed by symbol indices).
 */
public final class IndexWriter implements Closeable {
  public static final int MAGIC = 0xBAAAD700;
  public static final int VERSION = 2;
  public static final int HEADER_SIZE = 5;
  private static final long MAX_SERIES_REF = 0xffffffffL;
  private static final long MAX_SECTION = 0xffffffffL;
  /** Prometheus refuses to write an index past 64 GiB; so do we, so every file we write it could have. */
  private static final long MAX_FILE = 16 * 0xffffffffL;

  private final IndexOutput out;
  private final ByteSink buf = new ByteSink(4096);
  private final ByteSink head = new ByteSink(16);
  private final CRC32C crc = new CRC32C();

  private enum Stage { SYMBOLS, SERIES, DONE }

  private Stage stage = Stage.SYMBOLS;

  // Symbols.
  private ByteSink symbolTable = new ByteSink(4096);
  private String[] symbols = new String[64];
  private int[] symbolLength = new int[64];
  private int numSymbols;
  private byte[] lastSymbol;
  private final Map<String, NameCache> nameCache = new HashMap<>();

  // Series and postings.
  private Labels lastSeries;
  private final IntList allRefs = new IntList();
  private final PairMap pairs = new PairMap();
  private IntList[] lists = new IntList[64];

  private long tocSymbols;
  private long tocSeries;
  /** Off only in tests, to produce the layout of Prometheus versions after 2.4x (no label index sections). */
  boolean writeLabelIndices = true;

  private static final class NameCache {
    final int nameId;
    String lastValue;
    int lastValueId;

    NameCache(int nameId) {
      this.nameId = nameId;
    }
  }

  public IndexWriter(Directory dir, String fileName) throws IOException {
    out = dir.createOutput(fileName);
    buf.writeIntBE(MAGIC);
    buf.writeByte(VERSION);
    out.write(buf);
  }

  /** Adds the next symbol; symbols must be unique and ascending by their UTF-8 bytes. */
  public void addSymbol(String symbol) {
    if (stage != Stage.SYMBOLS) {
      throw new IllegalStateException("symbols must all be added before the first series");
    }
    byte[] b = symbol.getBytes(StandardCharsets.UTF_8);
    if (lastSymbol != null && Arrays.compareUnsigned(b, lastSymbol) <= 0) {
      throw new IllegalArgumentException("symbol \"" + symbol + "\" out of order or duplicate");
    }
    lastSymbol = b;
    if (numSymbols == symbols.length) {
      symbols = Arrays.copyOf(symbols, numSymbols * 2);
      symbolLength = Arrays.copyOf(symbolLength, numSymbols * 2);
    }
    symbols[numSymbols] = symbol;
    symbolLength[numSymbols] = b.length;
    numSymbols++;
    symbolTable.writeUvarintBytes(b);
  }

  private void finishSymbols() throws IOException {
    tocSymbols = out.position();
    long len = 4L + symbolTable.length();
    if (len > MAX_SECTION) {
      throw new IOException(out.name() + ": symbol table of " + len + " bytes passes the 4 GiB limit");
    }
    head.reset();
    head.writeIntBE((int) len);
    head.writeIntBE(numSymbols);
    out.write(head);
    out.write(symbolTable);
    crc.reset();
    crc.update(head.array(), 4, 4);
    crc.update(symbolTable.array(), 0, symbolTable.length());
    out.writeIntBE((int) crc.getValue());
    symbolTable = null;
    lastSymbol = null;
    tocSeries = out.position();
    stage = Stage.SERIES;
  }

  /**
   * Adds the next series with its chunk metas (chunk references already assigned). Series must come in
   * strictly ascending label order and use only added symbols.
   */
  public void addSeries(Labels labels, List<ChunkMeta> chunks) throws IOException {
    if (stage == Stage.SYMBOLS) {
      finishSymbols();
    } else if (stage == Stage.DONE) {
      throw new IllegalStateException("index writer is closed");
    }
    if (labels.size() == 0 || (lastSeries != null && labels.compareTo(lastSeries) <= 0)) {
      throw new IllegalArgumentException("series " + labels + " empty or not after " + lastSeries);
    }
    long pos = out.position();
    long aligned = (pos + 15) & ~15L;
    if (aligned / 16 > MAX_SERIES_REF) {
      throw new IOException(out.name() + ": series offset " + aligned
          + " passes the 64 GiB limit of 32-bit series references");
    }
    int ref = (int) (aligned / 16);

    buf.reset();
    buf.writeUvarint(labels.size());
    for (int i = 0; i < labels.size(); i++) {
      String name = labels.name(i);
      String value = labels.value(i);
      NameCache c = nameCache.get(name);
      if (c == null) {
        c = new NameCache(symbolIndex(name));
        nameCache.put(name, c);
      }
      if (c.lastValue == null || !c.lastValue.equals(value)) {
        c.lastValueId = symbolIndex(value);
        c.lastValue = value;
      }
      buf.writeUvarint(c.nameId);
      buf.writeUvarint(c.lastValueId);
      addPosting(c.nameId, c.lastValueId, ref);
    }
    buf.writeUvarint(chunks.size());
    long prevMax = 0;
    long prevRef = 0;
    for (int i = 0; i < chunks.size(); i++) {
      ChunkMeta c = chunks.get(i);
      if (i == 0) {
        buf.writeVarint(c.minTime);
        buf.writeUvarint(c.maxTime - c.minTime);
        buf.writeUvarint(c.ref);
      } else {
        buf.writeUvarint(c.minTime - prevMax);
        buf.writeUvarint(c.maxTime - c.minTime);
        buf.writeVarint(c.ref - prevRef);
      }
      prevMax = c.maxTime;
      prevRef = c.ref;
    }
    for (long p = pos; p < aligned; p++) {
      out.writeByte(0);
    }
    head.reset();
    head.writeUvarint(buf.length());
    out.write(head);
    out.write(buf);
    out.writeIntBE(buf.crc32c(0));
    allRefs.add(ref);
    lastSeries = labels;
  }

  private int symbolIndex(String s) {
    int lo = 0;
    int hi = numSymbols - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Labels.compareStrings(symbols[mid], s);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    throw new IllegalArgumentException("label string \"" + s + "\" was not added as a symbol");
  }

  private void addPosting(int nameId, int valueId, int ref) {
    long key = ((long) nameId << 32) | (valueId & 0xffffffffL);
    int slot = pairs.getOrAdd(key);
    if (slot == lists.length) {
      lists = Arrays.copyOf(lists, lists.length * 2);
    }
    IntList l = lists[slot];
    if (l == null) {
      l = new IntList();
      lists[slot] = l;
    }
    l.add(ref);
  }

  /** Writes label indices, postings, both offset tables and the TOC, and makes the file visible. */
  @Override
  public void close() throws IOException {
    if (stage == Stage.DONE) {
      return;
    }
    try {
      if (stage == Stage.SYMBOLS) {
        finishSymbols();
      }
      stage = Stage.DONE;
      finish();
      out.close();
    } catch (IOException | RuntimeException e) {
      out.abort();
      throw e;
    }
  }

  /** Throws away the partial file. */
  public void abort() {
    stage = Stage.DONE;
    out.abort();
  }

  private void finish() throws IOException {
    // Order the (name, value) pairs: symbol indices follow byte order, so sorting the packed keys sorts the
    // pairs by name, then value, as Prometheus does.
    int n = pairs.size();
    long[] keys = new long[n];
    int[] slots = new int[n];
    long[] sortable = new long[n];
    for (int i = 0; i < n; i++) {
      sortable[i] = pairs.keyAt(i);
    }
    Arrays.sort(sortable);
    for (int i = 0; i < n; i++) {
      keys[i] = sortable[i];
      slots[i] = pairs.get(sortable[i]);
    }
    sortable = null;

    // Label indices: one per name, listing its values' symbol indices.
    long tocLabelIndices = out.position();
    int numNames = 0;
    int[] nameIds = new int[16];
    long[] nameOffsets = new long[16];
    for (int i = 0; i < n && writeLabelIndices; ) {
      int nameId = (int) (keys[i] >>> 32);
      int j = i;
      while (j < n && (int) (keys[j] >>> 32) == nameId) {
        j++;
      }
      out.alignTo(4);
      if (numNames == nameIds.length) {
        nameIds = Arrays.copyOf(nameIds, numNames * 2);
        nameOffsets = Arrays.copyOf(nameOffsets, numNames * 2);
      }
      nameIds[numNames] = nameId;
      nameOffsets[numNames] = out.position();
      numNames++;
      long len = 8L + 4L * (j - i);
      checkSection(len, "label index");
      out.writeIntBE((int) len);
      crc.reset();
      head.reset();
      head.writeIntBE(1);
      head.writeIntBE(j - i);
      crc.update(head.array(), 0, head.length());
      out.write(head);
      for (int k = i; k < j; k++) {
        head.reset();
        head.writeIntBE((int) keys[k]);
        crc.update(head.array(), 0, 4);
        out.write(head);
      }
      out.writeIntBE((int) crc.getValue());
      i = j;
    }

    // Postings lists: the all-series list first, then each pair in order.
    long tocPostings = out.position();
    out.alignTo(4);
    long allOffset = out.position();
    writePostings(allRefs);
    long[] offsets = new long[n];
    for (int i = 0; i < n; i++) {
      out.alignTo(4);
      offsets[i] = out.position();
      writePostings(lists[slots[i]]);
      lists[slots[i]] = null;
    }

    // Label indices table.
    long tocLabelIndicesTable = out.position();
    buf.reset();
    if (writeLabelIndices) {
      buf.writeIntBE(0);
      buf.writeIntBE(numNames);
      for (int i = 0; i < numNames; i++) {
        buf.writeUvarint(1);
        buf.writeUvarintString(symbols[nameIds[i]]);
        buf.writeUvarint(nameOffsets[i]);
      }
      checkSection(buf.length() - 4L, "label indices table");
      buf.putIntBE(0, buf.length() - 4);
      buf.writeCrc32c(4);
      out.write(buf);
    }

    // Postings offset table, streamed: its length is computed first from the symbol lengths.
    long tocPostingsTable = out.position();
    long len = 4 + entrySize(0, 0, allOffset);
    for (int i = 0; i < n; i++) {
      len += entrySize(symbolLength[(int) (keys[i] >>> 32)], symbolLength[(int) keys[i]], offsets[i]);
    }
    checkSection(len, "postings offset table");
    out.writeIntBE((int) len);
    crc.reset();
    buf.reset();
    buf.writeIntBE(n + 1);
    writeEntry("", "", allOffset);
    for (int i = 0; i < n; i++) {
      writeEntry(symbols[(int) (keys[i] >>> 32)], symbols[(int) keys[i]], offsets[i]);
    }
    flushCrc();
    out.writeIntBE((int) crc.getValue());

    buf.reset();
    buf.writeLongBE(tocSymbols);
    buf.writeLongBE(tocSeries);
    buf.writeLongBE(tocLabelIndices);
    buf.writeLongBE(tocLabelIndicesTable);
    buf.writeLongBE(tocPostings);
    buf.writeLongBE(tocPostingsTable);
    buf.writeCrc32c(0);
    checkFileSize(out.position() + buf.length());
    out.write(buf);
  }

  private void checkFileSize(long size) throws IOException {
    if (size > MAX_FILE) {
      throw new IOException(out.name() + ": index would grow to " + size + " bytes, past the 64 GiB limit");
    }
  }

  private static long entrySize(int nameLen, int valueLen, long offset) {
    return 1 + ByteSink.uvarintSize(nameLen) + nameLen + ByteSink.uvarintSize(valueLen) + valueLen
        + ByteSink.uvarintSize(offset);
  }

  private void writeEntry(String name, String value, long offset) throws IOException {
    buf.writeUvarint(2);
    buf.writeUvarintString(name);
    buf.writeUvarintString(value);
    buf.writeUvarint(offset);
    if (buf.length() > 1 << 16) {
      flushCrc();
    }
  }

  private void flushCrc() throws IOException {
    crc.update(buf.array(), 0, buf.length());
    out.write(buf);
    buf.reset();
  }

  private void writePostings(IntList refs) throws IOException {
    long len = 4L + 4L * refs.size;
    checkSection(len, "postings list");
    checkFileSize(out.position() + 4 + len);
    out.writeIntBE((int) len);
    crc.reset();
    buf.reset();
    buf.writeIntBE(refs.size);
    for (int i = 0; i < refs.size; i++) {
      buf.writeIntBE(refs.values[i]);
      if (buf.length() >= 1 << 16) {
        flushCrc();
      }
    }
    flushCrc();
    out.writeIntBE((int) crc.getValue());
  }

  private void checkSection(long len, String what) throws IOException {
    if (len > MAX_SECTION) {
      throw new IOException(out.name() + ": " + what + " of " + len + " bytes passes the 4 GiB limit");
    }
  }

  /** A growable int array. */
  private static final class IntList {
    int[] values = new int[4];
    int size;

    void add(int v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }
  }

  /** Open-addressing map from a packed (name, value) symbol pair to a dense slot number. */
  private static final class PairMap {
    private long[] keys = new long[64];
    private int[] slots = new int[64];
    private long[] byInsertion = new long[32];
    private int size;

    int size() {
      return size;
    }

    long keyAt(int slot) {
      return byInsertion[slot];
    }

    /** The key's slot, or -1. */
    int get(long key) {
      int mask = keys.length - 1;
      for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
        if (slots[i] == 0) {
          return -1;
        }
        if (keys[i] == key) {
          return slots[i] - 1;
        }
      }
    }

    int getOrAdd(long key) {
      int mask = keys.length - 1;
      for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
        if (slots[i] == 0) {
          keys[i] = key;
          slots[i] = size + 1;
          if (size == byInsertion.length) {
            byInsertion = Arrays.copyOf(byInsertion, size * 2);
          }
          byInsertion[size] = key;
          size++;
          if (size * 2 > keys.length) {
            grow();
          }
          return size - 1;
        }
        if (keys[i] == key) {
          return slots[i] - 1;
        }
      }
    }

    private void grow() {
      long[] oldKeys = keys;
      int[] oldSlots = slots;
      keys = new long[oldKeys.length * 2];
      slots = new int[oldKeys.length * 2];
      int mask = keys.length - 1;
      for (int j = 0; j < oldKeys.length; j++) {
        if (oldSlots[j] != 0) {
          int i = hash(oldKeys[j]) & mask;
          while (slots[i] != 0) {
            i = (i + 1) & mask;
          }
          keys[i] = oldKeys[j];
          slots[i] = oldSlots[j];
        }
      }
    }

    private static int hash(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32));
    }
  }
}
