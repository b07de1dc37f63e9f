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
 * past a few MiB on disk). So are the look-ups that grow with the block's distinct label values: each symbol's place
 * in the table, the hash of the symbols, the map of (name, value) pairs with their series counts, and the arrays in
 * which {@link #close()} orders the pairs (two stable counting sorts, by value and then by name, over the symbol
 * indices). The heap holds a bounded part of each and the label names, whatever the number of series or of
 * distinct values.
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
  /** Per symbol, at twice its index: where its bytes start in the table, and their length. */
  private final ScratchInts symbolSpans;
  private int numSymbols;
  /**
   * Open-addressing hash of the symbols, at most half full: per position the symbol's index + 1 and its hash, so that
   * a look-up reads a candidate's bytes only when the whole hash matches, and growing reads no symbol again.
   * Released when the series are done.
   */
  private ScratchInts symbolHash;
  private int symbolHashCapacity;
  private final Map<String, NameCache> nameCache = new HashMap<>();

  // Series and postings: per label of each series, (pair slot, series reference) in entries; per pair its slot
  // and its number of series in the pair map.
  private final Directory dir;
  private Labels lastSeries;
  private long numSeries;
  private ScratchInts entries;
  private final PairMap pairs;

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
    symbolSpans = dir.createScratch("index-symbol-spans");
    symbolHashCapacity = 128;
    symbolHash = zeroed(dir, "index-symbol-hash", 2L * symbolHashCapacity);
    pairs = new PairMap(dir);
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
    symbolPrefix.reset();
    symbolPrefix.writeUvarint(b.length);
    symbolTable.append(symbolPrefix.array(), 0, symbolPrefix.length());
    symbolSpans.add((int) symbolTable.size());
    symbolSpans.add(b.length);
    symbolTable.append(b, 0, b.length);
    lastSymbol = b;
    numSymbols++;
    hashInsert(numSymbols, hash(b, 0, b.length));
    if (numSymbols * 2L > symbolHashCapacity) {
      ScratchInts old = symbolHash;
      int oldCapacity = symbolHashCapacity;
      symbolHashCapacity *= 2;
      symbolHash = zeroed(dir, "index-symbol-hash", 2L * symbolHashCapacity);
      for (long i = 0; i < 2L * oldCapacity; i += 2) {
        int entry = old.get(i);
        if (entry != 0) {
          hashInsert(entry, old.get(i + 1));
        }
      }
      old.close();
    }
  }

  /** {@code n} zero ints of the directory's scratch. */
  private static ScratchInts zeroed(Directory dir, String prefix, long n) throws IOException {
    ScratchInts s = dir.createScratch(prefix);
    try {
      s.ensureSize(n);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private int symbolStart(int id) {
    return symbolSpans.get(2L * id);
  }

  private int symbolLength(int id) {
    return symbolSpans.get(2L * id + 1);
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
        c = new NameCache(symbolIndex(name, -1));
        nameCache.put(name, c);
      }
      if (c.lastValue == null || !c.lastValue.equals(value)) {
        // Series come in label order, so a name's next value is often the next symbol (always, for values of
        // their own per series): that is checked before the hash.
        c.lastValueId = symbolIndex(value, c.lastValue == null ? -1 : c.lastValueId + 1);
        c.lastValue = value;
      }
      buf.writeUvarint(c.nameId);
      buf.writeUvarint(c.lastValueId);
      entries.add(pairs.countSeries(c.nameId, c.lastValueId));
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

  /** Puts symbol index + 1 ({@code entry}) with its hash {@code h} in the first free position from the hash's. */
  private void hashInsert(int entry, int h) {
    int mask = symbolHashCapacity - 1;
    int i = h & mask;
    while (symbolHash.get(2L * i) != 0) {
      i = (i + 1) & mask;
    }
    symbolHash.set(2L * i, entry);
    symbolHash.set(2L * i + 1, h);
  }

  /** The index of symbol {@code s}, checked first against symbol {@code guess} (-1: no guess). */
  private int symbolIndex(String s, int guess) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (symbolScratch.length < b.length) {
      symbolScratch = new byte[Math.max(b.length, 2 * symbolScratch.length)];
    }
    if (guess >= 0 && guess < numSymbols && symbolLength(guess) == b.length
        && symbolTable.equalsAt(symbolStart(guess), b, symbolScratch)) {
      return guess;
    }
    int mask = symbolHashCapacity - 1;
    int h = hash(b, 0, b.length);
    for (int i = h & mask, entry; (entry = symbolHash.get(2L * i)) != 0; i = (i + 1) & mask) {
      int id = entry - 1;
      if (symbolHash.get(2L * i + 1) == h && symbolLength(id) == b.length
          && symbolTable.equalsAt(symbolStart(id), b, symbolScratch)) {
        return id;
      }
    }
    throw new IllegalArgumentException("label string \"" + s + "\" was not added as a symbol");
  }

  private void writeSymbol(ByteSink sink, int id) {
    int length = symbolLength(id);
    sink.writeUvarint(length);
    byte[] table = symbolTable.heapArray();
    if (table != null) {
      sink.writeBytes(table, symbolStart(id), length);
    } else {
      sink.writeBytes(readSymbol(id), 0, length);
    }
  }

  /** Symbol {@code id}'s bytes, read from the table into {@link #symbolScratch} (from its start). */
  private byte[] readSymbol(int id) {
    int length = symbolLength(id);
    if (symbolScratch.length < length) {
      symbolScratch = new byte[Math.max(length, 2 * symbolScratch.length)];
    }
    symbolTable.read(symbolStart(id), symbolScratch, 0, length);
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
      releaseScratch();
    }
  }

  /** Throws away the partial file. */
  public void abort() {
    stage = Stage.DONE;
    out.abort();
    try {
      releaseScratch();
    } catch (IOException ignored) {
      // A stray scratch file is hidden and removed with the work directory.
    }
  }

  /** Closes every scratch array (closing one twice is harmless); the first failure is thrown after the rest. */
  private void releaseScratch() throws IOException {
    symbolTable.close();
    IOException failure = null;
    for (Closeable c : new Closeable[] {symbolSpans, symbolHash, pairs, entries}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    entries = null;
    if (failure != null) {
      throw failure;
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
    symbolHash.close(); // no look-ups from here on
    // Order the (name, value) pairs: symbol indices follow byte order, so ordering by name index, then value index,
    // orders the pairs by name, then value, as Prometheus does.
    PairList order = pairs.inOrder(numSymbols);
    ScratchInts fill = null;
    ScratchInts refs = null;
    try {
      // The postings of a pair are a run of refs, the runs in pair order: a counting sort of the label entries by
      // pair into scratch ints, which keeps each list in series order. fill holds, per slot, where its pair's next
      // reference goes (a long as two ints: a block may hold more than 2^31 label entries).
      int n = order.size();
      fill = zeroed(dir, "index-postings-fill", 2L * n);
      long at = 0;
      for (int i = 0; i < n; i++) {
        setLong(fill, order.slot(i), at);
        at += order.count(i);
      }
      long numEntries = entries == null ? 0 : entries.size() / 2;
      refs = numEntries == 0 ? ScratchInts.onHeap() : dir.createScratch("index-postings-sorted");
      refs.ensureSize(numEntries);
      for (long e = 0; e < numEntries; e++) {
        int slot = entries.get(2 * e);
        long to = getLong(fill, slot);
        setLong(fill, slot, to + 1);
        refs.set(to, entries.get(2 * e + 1));
      }
      fill.close();
      finish(order, refs);
    } finally {
      order.close();
      if (fill != null) {
        fill.close();
      }
      if (refs != null) {
        refs.close();
      }
    }
  }

  private static long getLong(ScratchInts s, int i) {
    return ((long) s.get(2L * i) << 32) | (s.get(2L * i + 1) & 0xffffffffL);
  }

  private static void setLong(ScratchInts s, int i, long v) {
    s.set(2L * i, (int) (v >>> 32));
    s.set(2L * i + 1, (int) v);
  }

  /** Writes the sections after the series: {@code order} holds the pairs in order, {@code refs} their postings. */
  private void finish(PairList order, ScratchInts refs) throws IOException {
    int n = order.size();
    // Label indices: one per name, listing its values' symbol indices.
    long tocLabelIndices = out.position();
    int numNames = 0;
    int[] nameIds = new int[16];
    long[] nameOffsets = new long[16];
    for (int i = 0; i < n && writeLabelIndices; ) {
      int nameId = order.name(i);
      int j = i;
      while (j < n && order.name(j) == nameId) {
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
        head.writeIntBE(order.value(k));
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
    long from = 0;
    for (int i = 0; i < n; i++) {
      out.alignTo(4);
      long to = from + order.count(i);
      writePostings(refs, from, to);
      from = to;
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
    long before = 0;
    for (int i = 0; i < n; i++) {
      len += entrySize(symbolLength(order.name(i)), symbolLength(order.value(i)),
          postingsOffset(postingsStart, i, before));
      before += order.count(i);
    }
    checkSection(len, "postings offset table");
    out.writeIntBE((int) len);
    crc.reset();
    buf.reset();
    buf.writeIntBE(n + 1);
    writeEntry(-1, -1, allOffset);
    before = 0;
    for (int i = 0; i < n; i++) {
      writeEntry(order.name(i), order.value(i), postingsOffset(postingsStart, i, before));
      before += order.count(i);
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

  /**
   * Where the postings list of the {@code i}-th pair starts, the lists before it, of {@code before} references in
   * all, being written from {@code start}.
   */
  private static long postingsOffset(long start, int i, long before) {
    // start is 4-aligned (the all-postings list before it is too), and so is each list's length.
    return start + 12L * i + 4L * before;
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

  /** The (name, value) pairs in order, each with its slot and series count: {@link PairMap}'s records, sorted. */
  private static final class PairList implements Closeable {
    private final ScratchInts records;
    private final int size;

    PairList(ScratchInts records, int size) {
      this.records = records;
      this.size = size;
    }

    int size() {
      return size;
    }

    int name(int i) {
      return records.get((long) PairMap.WIDTH * i);
    }

    int value(int i) {
      return records.get((long) PairMap.WIDTH * i + 1);
    }

    int slot(int i) {
      return records.get((long) PairMap.WIDTH * i + 2) - 1;
    }

    /** The pair's number of series (unsigned: a block may hold up to 2^32 series). */
    long count(int i) {
      return records.get((long) PairMap.WIDTH * i + 3) & 0xffffffffL;
    }

    @Override
    public void close() throws IOException {
      records.close();
    }
  }

  /**
   * Open-addressing map from a (name, value) pair of symbol indices to its slot (pairs numbered in order of first
   * use) and its number of series, in the directory's scratch ints: per position a record of the name, the value,
   * the slot + 1 and the count; at most 3/4 full.
   */
  private static final class PairMap implements Closeable {
    static final int WIDTH = 4;
    private final Directory dir;
    private ScratchInts table;
    private int capacity = 64;
    private int size;

    PairMap(Directory dir) throws IOException {
      this.dir = dir;
      table = zeroed(dir, "index-pairs", (long) WIDTH * capacity);
    }

    int size() {
      return size;
    }

    /** Counts one more series with the pair; returns the pair's slot. */
    int countSeries(int name, int value) throws IOException {
      int mask = capacity - 1;
      for (int i = hash(name, value) & mask; ; i = (i + 1) & mask) {
        long at = (long) WIDTH * i;
        int slot = table.get(at + 2);
        if (slot == 0) {
          table.set(at, name);
          table.set(at + 1, value);
          table.set(at + 2, ++size);
          table.set(at + 3, 1);
          if (size * 4L > capacity * 3L) {
            grow();
          }
          return size - 1;
        }
        if (table.get(at) == name && table.get(at + 1) == value) {
          table.set(at + 3, table.get(at + 3) + 1);
          return slot - 1;
        }
      }
    }

    /**
     * The pairs ordered by name index, then value index, which releases the map: two stable counting sorts of the
     * pairs' records, by value and then by name, over symbol indices below {@code numSymbols}. Linear in pairs and
     * symbols, in scratch ints, and each pass reads its input in order.
     */
    PairList inOrder(int numSymbols) throws IOException {
      ScratchInts records = zeroed(dir, "index-pairs-list", (long) WIDTH * size);
      ScratchInts byValue = null;
      try {
        long at = 0;
        for (long i = 0; i < (long) WIDTH * capacity; i += WIDTH) {
          if (table.get(i + 2) != 0) {
            for (int k = 0; k < WIDTH; k++) {
              records.set(at++, table.get(i + k));
            }
          }
        }
        table.close();
        byValue = sortBy(records, 1, numSymbols);
        records.close();
        return new PairList(sortBy(byValue, 0, numSymbols), size);
      } finally {
        records.close();
        if (byValue != null) {
          byValue.close();
        }
      }
    }

    /** The records in {@code in}, stably ordered by their name ({@code field} 0) or value (1). */
    private ScratchInts sortBy(ScratchInts in, int field, int numSymbols) throws IOException {
      // start[k], once summed, is where the first record whose key is k goes.
      ScratchInts start = zeroed(dir, "index-pairs-start", numSymbols + 1L);
      ScratchInts sorted = null;
      try {
        for (long i = field; i < (long) WIDTH * size; i += WIDTH) {
          long key = in.get(i) + 1L;
          start.set(key, start.get(key) + 1);
        }
        for (long k = 1; k <= numSymbols; k++) {
          start.set(k, start.get(k) + start.get(k - 1));
        }
        sorted = zeroed(dir, "index-pairs-sorted", (long) WIDTH * size);
        for (long i = 0; i < (long) WIDTH * size; i += WIDTH) {
          int key = in.get(i + field);
          long to = (long) WIDTH * start.get(key);
          start.set(key, start.get(key) + 1);
          for (int k = 0; k < WIDTH; k++) {
            sorted.set(to + k, in.get(i + k));
          }
        }
        return sorted;
      } catch (IOException | RuntimeException e) {
        if (sorted != null) {
          sorted.close();
        }
        throw e;
      } finally {
        start.close();
      }
    }

    @Override
    public void close() throws IOException {
      table.close();
    }

    private void grow() throws IOException {
      ScratchInts old = table;
      int oldCapacity = capacity;
      table = zeroed(dir, "index-pairs", 2L * WIDTH * capacity);
      capacity *= 2;
      int mask = capacity - 1;
      for (int j = 0; j < oldCapacity; j++) {
        long from = (long) WIDTH * j;
        if (old.get(from + 2) != 0) {
          int i = hash(old.get(from), old.get(from + 1)) & mask;
          while (table.get((long) WIDTH * i + 2) != 0) {
            i = (i + 1) & mask;
          }
          for (int k = 0; k < WIDTH; k++) {
            table.set((long) WIDTH * i + k, old.get(from + k));
          }
        }
      }
      old.close();
    }

    private static int hash(int name, int value) {
      long h = (((long) name << 32) | (value & 0xffffffffL)) * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32));
    }
  }
}
