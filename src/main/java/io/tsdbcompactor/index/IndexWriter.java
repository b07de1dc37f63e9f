package io.tsdbcompactor.index;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.ByteSink;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.IndexOutput;
import io.tsdbcompactor.store.ScratchBytes;
import io.tsdbcompactor.store.ScratchInts;
import io.tsdbcompactor.store.Varint;
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
 * in ascending label order, then {@link #close()}. Series stream straight to the output. What grows with the
 * number of series stays off the heap: each label of each series is recorded as (pair slot, series reference)
 * in the directory's scratch ints ({@link Directory#createScratch}: a mapped temporary file for a directory on
 * disk), and on close a counting sort by pair scatters the references into a second scratch array from which
 * the postings lists are written in order. The symbols' table bytes, buffered until the table's length is known
 * and used for look-ups, are the directory's scratch bytes ({@link Directory#createScratchBytes}: a mapped file
 * past a few MiB on disk). The heap holds three ints per symbol and about 40 bytes per distinct (name, value) pair,
 * so it grows with the number of distinct label values, not with the number of series.
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

  // Symbols: the table's bytes (uvarint length + UTF-8 each) double as the look-up store. They are scratch bytes
  // of the directory (a mapped file past a few MiB on disk): a table grows with the block's distinct label values.
  private final ScratchBytes symbolTable;
  private final ByteSink symbolPrefix = new ByteSink(8);
  /** The last symbol added, to check the order. */
  private byte[] lastSymbol;
  /** A symbol's bytes read back from a table that is no longer on the heap. */
  private byte[] symbolScratch = new byte[64];
  private int[] symbolStart = new int[64];
  private int[] symbolLength = new int[64];
  private int numSymbols;
  /** Open-addressing hash of symbol index + 1 by the symbol's bytes: O(1) look-ups for one int per slot. */
  private int[] symbolHash = new int[128];
  private final Map<String, NameCache> nameCache = new HashMap<>();

  // Series and postings: per label of each series, (pair slot, series reference) in entries; per pair slot
  // its number of series.
  private final Directory dir;
  private Labels lastSeries;
  private long numSeries;
  private ScratchInts entries;
  private final IntList slotCounts = new IntList();
  private final PairMap pairs = new PairMap();

  private long tocSymbols;
  private long tocSeries;
  /**
   * Always on in what we write (Prometheus 2.42 writes label index sections). Off only in IndexWriterReaderTest:
   * it is the one way to get the layout of later Prometheus versions (no label index sections) that the reader
   * must also read, with no such Prometheus at hand.
   */
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
    this.dir = dir;
    out = dir.createOutput(fileName);
    symbolTable = dir.createScratchBytes("index-symbols");
    buf.writeIntBE(MAGIC);
    buf.writeByte(VERSION);
    out.write(buf);
  }

  /** Adds the next symbol; symbols must be unique and ascending by their UTF-8 bytes. */
  public void addSymbol(String symbol) throws IOException {
    if (stage != Stage.SYMBOLS) {
      throw new IllegalStateException("symbols must all be added before the first series");
    }
    byte[] b = symbol.getBytes(StandardCharsets.UTF_8);
    if (lastSymbol != null && Arrays.compareUnsigned(b, lastSymbol) <= 0) {
      throw new IllegalArgumentException("symbol \"" + symbol + "\" out of order or duplicate");
    }
    if (symbolTable.size() + 10L + b.length > Integer.MAX_VALUE - 64) {
      throw new IOException(out.name() + ": symbol table passes the 2 GiB this writer holds in memory");
    }
    if (numSymbols == symbolStart.length) {
      symbolStart = Arrays.copyOf(symbolStart, numSymbols * 2);
      symbolLength = Arrays.copyOf(symbolLength, numSymbols * 2);
    }
    symbolPrefix.reset();
    symbolPrefix.writeUvarint(b.length);
    symbolTable.append(symbolPrefix.array(), 0, symbolPrefix.length());
    symbolStart[numSymbols] = (int) symbolTable.size();
    symbolLength[numSymbols] = b.length;
    symbolTable.append(b, 0, b.length);
    lastSymbol = b;
    numSymbols++;
    if (numSymbols * 2 > symbolHash.length) {
      symbolHash = new int[symbolHash.length * 2];
      for (int i = 0; i < numSymbols; i++) {
        hashInsert(i);
      }
    } else {
      hashInsert(numSymbols - 1);
    }
  }

  private void finishSymbols() throws IOException {
    tocSymbols = out.position();
    long size = symbolTable.size();
    long len = 4L + size;
    if (len > MAX_SECTION) {
      throw new IOException(out.name() + ": symbol table of " + len + " bytes passes the 4 GiB limit");
    }
    head.reset();
    head.writeIntBE((int) len);
    head.writeIntBE(numSymbols);
    out.write(head);
    crc.reset();
    crc.update(head.array(), 4, 4);
    byte[] piece = new byte[(int) Math.min(size, 1 << 16)];
    for (long at = 0; at < size; ) {
      int n = (int) Math.min(size - at, piece.length);
      symbolTable.read(at, piece, 0, n);
      out.writeBytes(piece, 0, n);
      crc.update(piece, 0, n);
      at += n;
    }
    out.writeIntBE((int) crc.getValue());
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
    if (entries == null) {
      entries = dir.createScratch("index-postings");
    }
    numSeries++;

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
      int slot = pairs.getOrAdd(((long) c.nameId << 32) | c.lastValueId);
      if (slot == slotCounts.size) {
        slotCounts.add(0);
      }
      slotCounts.values[slot]++;
      entries.add(slot);
      entries.add(ref);
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
    lastSeries = labels;
  }

  private static int hash(byte[] a, int from, int len) {
    int h = 1;
    for (int i = from; i < from + len; i++) {
      h = 31 * h + a[i];
    }
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  private void hashInsert(int id) {
    int mask = symbolHash.length - 1;
    byte[] table = symbolTable.heapArray();
    int i = (table != null ? hash(table, symbolStart[id], symbolLength[id]) : hash(readSymbol(id), 0, symbolLength[id]))
        & mask;
    while (symbolHash[i] != 0) {
      i = (i + 1) & mask;
    }
    symbolHash[i] = id + 1;
  }

  private int symbolIndex(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (symbolScratch.length < b.length) {
      symbolScratch = new byte[Math.max(b.length, 2 * symbolScratch.length)];
    }
    int mask = symbolHash.length - 1;
    for (int i = hash(b, 0, b.length) & mask; symbolHash[i] != 0; i = (i + 1) & mask) {
      int id = symbolHash[i] - 1;
      if (symbolLength[id] == b.length && symbolTable.equalsAt(symbolStart[id], b, symbolScratch)) {
        return id;
      }
    }
    throw new IllegalArgumentException("label string \"" + s + "\" was not added as a symbol");
  }

  private void writeSymbol(ByteSink sink, int id) {
    sink.writeUvarint(symbolLength[id]);
    byte[] table = symbolTable.heapArray();
    if (table != null) {
      sink.writeBytes(table, symbolStart[id], symbolLength[id]);
    } else {
      sink.writeBytes(readSymbol(id), 0, symbolLength[id]);
    }
  }

  /** Symbol {@code id}'s bytes, read from the table into {@link #symbolScratch} (from its start). */
  private byte[] readSymbol(int id) {
    if (symbolScratch.length < symbolLength[id]) {
      symbolScratch = new byte[Math.max(symbolLength[id], 2 * symbolScratch.length)];
    }
    symbolTable.read(symbolStart[id], symbolScratch, 0, symbolLength[id]);
    return symbolScratch;
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
    } finally {
      symbolTable.close();
      releaseEntries();
    }
  }

  /** Throws away the partial file. */
  public void abort() {
    stage = Stage.DONE;
    out.abort();
    symbolTable.close();
    try {
      releaseEntries();
    } catch (IOException ignored) {
      // A stray scratch file is hidden and removed with the work directory.
    }
  }

  private void releaseEntries() throws IOException {
    if (entries != null) {
      ScratchInts e = entries;
      entries = null;
      e.close();
    }
  }

  private void finish() throws IOException {
    // Order the (name, value) pairs: symbol indices follow byte order, so sorting the packed keys sorts the
    // pairs by name, then value, as Prometheus does.
    int n = pairs.size();
    long[] keys = pairs.keysBySlot();
    Arrays.sort(keys);
    int[] slotRank = new int[n];
    for (int i = 0; i < n; i++) {
      slotRank[pairs.get(keys[i])] = i;
    }
    pairs.clear();

    // Postings of pair i are refs[first[i], first[i+1]): a counting sort of the label entries by pair into
    // scratch ints, which keeps each list in series order.
    long[] first = new long[n + 1];
    for (int slot = 0; slot < n; slot++) {
      first[slotRank[slot] + 1] = slotCounts.values[slot];
    }
    slotCounts.release();
    for (int i = 0; i < n; i++) {
      first[i + 1] += first[i];
    }
    long numEntries = entries == null ? 0 : entries.size() / 2;
    ScratchInts refs = numEntries == 0 ? ScratchInts.onHeap() : dir.createScratch("index-postings-sorted");
    try {
      refs.ensureSize(numEntries);
      long[] fill = Arrays.copyOf(first, n);
      for (long e = 0; e < numEntries; e++) {
        refs.set(fill[slotRank[entries.get(2 * e)]]++, entries.get(2 * e + 1));
      }
      fill = null;
      slotRank = null;
      finish(keys, first, refs);
    } finally {
      refs.close();
    }
  }

  private void finish(long[] keys, long[] first, ScratchInts refs) throws IOException {
    int n = keys.length;
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
    writeAllPostings();
    releaseEntries();
    // Each list starts 4-aligned and takes 12 bytes plus 4 per series: its offset follows from the counts.
    long postingsStart = out.position();
    for (int i = 0; i < n; i++) {
      out.alignTo(4);
      writePostings(refs, first[i], first[i + 1]);
    }

    // Label indices table.
    long tocLabelIndicesTable = out.position();
    buf.reset();
    if (writeLabelIndices) {
      buf.writeIntBE(0);
      buf.writeIntBE(numNames);
      for (int i = 0; i < numNames; i++) {
        buf.writeUvarint(1);
        writeSymbol(buf, nameIds[i]);
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
      len += entrySize(symbolLength[(int) (keys[i] >>> 32)], symbolLength[(int) keys[i]],
          postingsOffset(postingsStart, first, i));
    }
    checkSection(len, "postings offset table");
    out.writeIntBE((int) len);
    crc.reset();
    buf.reset();
    buf.writeIntBE(n + 1);
    writeEntry(-1, -1, allOffset);
    for (int i = 0; i < n; i++) {
      writeEntry((int) (keys[i] >>> 32), (int) keys[i], postingsOffset(postingsStart, first, i));
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
    return 1 + Varint.uvarintSize(nameLen) + nameLen + Varint.uvarintSize(valueLen) + valueLen
        + Varint.uvarintSize(offset);
  }

  /** A postings offset table entry; symbol -1 stands for the all-postings key's empty strings. */
  private void writeEntry(int nameId, int valueId, long offset) throws IOException {
    buf.writeUvarint(2);
    if (nameId < 0) {
      buf.writeUvarint(0);
      buf.writeUvarint(0);
    } else {
      writeSymbol(buf, nameId);
      writeSymbol(buf, valueId);
    }
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

  /** Where the postings list of pair {@code i} starts, the lists before it being written from {@code start}. */
  private static long postingsOffset(long start, long[] first, int i) {
    // start is 4-aligned (the all-postings list before it is too), and so is each list's length.
    return start + 12L * i + 4L * first[i];
  }

  private void writePostings(ScratchInts refs, long from, long to) throws IOException {
    long len = 4L + 4L * (to - from);
    checkSection(len, "postings list");
    checkFileSize(out.position() + 4 + len);
    out.writeIntBE((int) len);
    crc.reset();
    buf.reset();
    buf.writeIntBE((int) (to - from));
    for (long i = from; i < to; i++) {
      buf.writeIntBE(refs.get(i));
      if (buf.length() >= 1 << 16) {
        flushCrc();
      }
    }
    flushCrc();
    out.writeIntBE((int) crc.getValue());
  }

  /** The all-series list: every series reference once, in order (each series has at least one label entry). */
  private void writeAllPostings() throws IOException {
    long numEntries = entries == null ? 0 : entries.size() / 2;
    long len = 4L + 4L * numSeries;
    checkSection(len, "postings list");
    checkFileSize(out.position() + 4 + len);
    out.writeIntBE((int) len);
    crc.reset();
    buf.reset();
    buf.writeIntBE((int) numSeries);
    long last = -1;
    for (long e = 0; e < numEntries; e++) {
      long ref = entries.get(2 * e + 1) & 0xffffffffL;
      if (ref != last) {
        buf.writeIntBE((int) ref);
        last = ref;
        if (buf.length() >= 1 << 16) {
          flushCrc();
        }
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

    void release() {
      values = new int[0];
      size = 0;
    }
  }

  /** Open-addressing map from a packed (name, value) symbol pair to a dense slot number; load up to 3/4. */
  private static final class PairMap {
    private long[] keys = new long[64];
    private int[] slots = new int[64];
    private int size;

    int size() {
      return size;
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
          slots[i] = ++size;
          if (size * 4L > keys.length * 3L) {
            grow();
          }
          return size - 1;
        }
        if (keys[i] == key) {
          return slots[i] - 1;
        }
      }
    }

    /** Every key, at the index of its slot. */
    long[] keysBySlot() {
      long[] out = new long[size];
      for (int i = 0; i < keys.length; i++) {
        if (slots[i] != 0) {
          out[slots[i] - 1] = keys[i];
        }
      }
      return out;
    }

    void clear() {
      keys = new long[0];
      slots = new int[0];
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
