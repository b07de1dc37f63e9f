package io.tsdbcompactor.index;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Decoder;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.RandomAccessInput;
import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads an index file in format v2 (layout: {@link IndexWriter}). Opening checks the header, the table of
 * contents and its CRC, the symbol table and the postings offset table (with their CRCs); series entries and
 * postings lists are read on demand, each with its CRC checked. Label index sections are not needed for
 * reading (names and values come from the postings offset table), so files with or without them are accepted.
 *
 * <p>Every length or offset taken from the file is checked against the section it must lie in before it is
 * used, so damaged files end in a {@link CorruptDataException} naming the file and offset, never in an
 * unchecked exception or an allocation sized by garbage.
 *
 * <p>Memory: the label names, one int per symbol up to {@value #ALL_SYMBOL_OFFSETS_UP_TO} symbols and one int per
 * postings table entry up to {@value #ALL_ENTRY_POSITIONS_UP_TO} entries. Past that a table keeps the place of every
 * 32nd symbol or entry, as Prometheus's reader does, and a look-up skips at most 31 of them. So a block whose series
 * each have a label value of their own costs about a quarter of a byte per series. Safe for concurrent use once
 * open.
 */
public final class IndexReader implements Closeable {
  private final RandomAccessInput in;
  private final Toc toc;
  private final long tocStart;

  /** Tables up to this many symbols keep every symbol's offset; longer ones every 32nd. */
  static final int ALL_SYMBOL_OFFSETS_UP_TO = 1 << 16;
  /** Postings offset tables up to this many entries keep every entry's position; longer ones every 32nd. */
  static final int ALL_ENTRY_POSITIONS_UP_TO = 1 << 16;

  private final long symBase;
  private final long symEnd;
  private final int symbolCount;
  /** 0 when {@link #symbolOffsets} holds every symbol's offset, else 5: the offset of every 32nd. */
  private final int symbolOffsetShift;
  private final int[] symbolOffsets;
  /**
   * In a table that keeps every 32nd offset, the place of the symbol last read in each of {@value #RECENT_RUNS}
   * runs of 32 (by run number modulo that), as {@code index << 32 | offset}: a series cursor reads each label's
   * values in ascending order, so a look-up mostly starts from the one before it instead of its run's first
   * symbol. Opaque access keeps each long whole; threads that race only lose a head start.
   */
  private final long[] recentSymbols;
  private static final int RECENT_RUNS = 8;
  private static final VarHandle RECENT = MethodHandles.arrayElementVarHandle(long[].class);

  private final long tableStart;
  private final long tableEnd;
  private final String[] names;
  private final int[] nameFirst;
  /** 0 when {@link #entryPositions} holds every postings table entry's position, else 5: every 32nd. */
  private final int entryShift;
  /** Where postings table entries start, from {@link #tableStart} (the table is at most 4 GiB). */
  private final int[] entryPositions;

  private final int[] nameSymbolIds;
  private final String[] nameSymbols;

  private boolean sortUnorderedLabels;
  private long unorderedLabelSeries;

  /** Opens and checks the header and table of contents of the index file {@code fileName} in {@code dir}. */
  public static IndexReader open(Directory dir, String fileName) throws IOException {
    RandomAccessInput in = dir.openInput(fileName);
    try {
      return new IndexReader(in);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  public IndexReader(RandomAccessInput in) throws CorruptDataException {
    this.in = in;
    long len = in.length();
    if (len < IndexWriter.HEADER_SIZE + Toc.SIZE) {
      throw corrupt(0, "expected at least " + (IndexWriter.HEADER_SIZE + Toc.SIZE)
          + " bytes (header and table of contents) but the file is " + len + " bytes long");
    }
    int magic = in.readIntBE(0);
    if (magic != IndexWriter.MAGIC) {
      throw corrupt(0, String.format("expected index magic baaad700, found %08x", magic));
    }
    int version = in.readByte(4) & 0xff;
    if (version != IndexWriter.VERSION) {
      throw corrupt(4, "expected index format version 2, found " + version);
    }

    tocStart = len - Toc.SIZE;
    Decoder d = new Decoder(in, tocStart, len);
    toc = new Toc(d.readLongBE(), d.readLongBE(), d.readLongBE(), d.readLongBE(), d.readLongBE(),
        d.readLongBE());
    d.readAndCheckCrc32c(tocStart, "table of contents");
    long[] order = {IndexWriter.HEADER_SIZE, toc.symbols(), toc.series(), toc.labelIndices(), toc.postings(),
        toc.labelIndicesTable(), toc.postingsTable(), tocStart};
    for (int i = 1; i < order.length; i++) {
      if (order[i] < order[i - 1]) {
        throw corrupt(tocStart, "table of contents offsets out of order: expected symbols <= series <= label "
            + "indices <= postings <= label indices table <= postings table <= " + tocStart + ", found " + toc);
      }
    }

    // Symbol table.
    Decoder s = section(toc.symbols(), toc.series(), "symbol table");
    symBase = s.start();
    symEnd = s.end();
    long count = s.readIntBE() & 0xffffffffL;
    if (count > s.remaining() || count > Integer.MAX_VALUE - 8) {
      throw corrupt(toc.symbols() + 4, "symbol count " + count + " cannot fit a " + s.remaining()
          + "-byte table");
    }
    symbolCount = (int) count;
    symbolOffsetShift = count <= ALL_SYMBOL_OFFSETS_UP_TO ? 0 : 5;
    int mask = (1 << symbolOffsetShift) - 1;
    symbolOffsets = new int[(int) ((count + mask) >>> symbolOffsetShift)];
    recentSymbols = new long[symbolOffsetShift == 0 ? 0 : RECENT_RUNS];
    Arrays.fill(recentSymbols, -1L);
    for (int i = 0; i < count; i++) {
      if ((i & mask) == 0) {
        symbolOffsets[i >>> symbolOffsetShift] = (int) (s.position() - symBase);
      }
      s.skip(s.readUvarint32());
    }
    if (s.remaining() != 0) {
      throw corrupt(s.position(), "expected the symbol table to end after " + count + " symbols");
    }
    if (s.end() + 4 != toc.series()) {
      throw corrupt(s.end() + 4, "expected the series section to start after the symbol table at "
          + (s.end() + 4) + ", table of contents says " + toc.series());
    }

    // Postings offset table: label names and values, and where each postings list starts.
    Decoder p = section(toc.postingsTable(), tocStart, "postings offset table");
    tableStart = p.start();
    tableEnd = p.end();
    if (p.end() + 4 != tocStart) {
      throw corrupt(p.end() + 4, "expected the table of contents right after the postings offset table");
    }
    long entries = p.readIntBE() & 0xffffffffL;
    if (entries > p.remaining() / 4) {
      throw corrupt(toc.postingsTable() + 4, "postings offset table count " + entries + " cannot fit "
          + p.remaining() + " bytes");
    }
    entryShift = entries <= ALL_ENTRY_POSITIONS_UP_TO ? 0 : 5;
    int entryMask = (1 << entryShift) - 1;
    entryPositions = new int[(int) ((entries + entryMask) >>> entryShift)];
    List<String> nameList = new ArrayList<>();
    int[] firsts = new int[16];
    byte[] prevName = null;
    for (int i = 0; i < entries; i++) {
      long at = p.position();
      if ((i & entryMask) == 0) {
        entryPositions[i >>> entryShift] = (int) (at - tableStart);
      }
      long keys = p.readUvarint();
      if (keys != 2) {
        throw corrupt(at, "expected 2 keys (name, value) in a postings offset table entry, found " + keys);
      }
      byte[] name = p.readBytes(p.readUvarint32());
      if (prevName == null || !Arrays.equals(name, prevName)) {
        if (prevName != null && Arrays.compareUnsigned(name, prevName) < 0) {
          throw corrupt(at, "postings offset table names out of order");
        }
        if (nameList.size() + 1 >= firsts.length) {
          firsts = Arrays.copyOf(firsts, firsts.length * 2);
        }
        firsts[nameList.size()] = i;
        nameList.add(new String(name, StandardCharsets.UTF_8));
        prevName = name;
      }
      p.skip(p.readUvarint32());
      long offAt = p.position();
      long off = p.readUvarint();
      if (off < toc.postings() || off >= toc.labelIndicesTable()) {
        throw corrupt(offAt, "postings offset " + Long.toUnsignedString(off) + " outside the postings section ["
            + toc.postings() + ", " + toc.labelIndicesTable() + ")");
      }
    }
    if (p.remaining() != 0) {
      throw corrupt(p.position(), "expected the postings offset table to end after " + entries + " entries");
    }
    names = nameList.toArray(new String[0]);
    firsts[names.length] = (int) entries;
    nameFirst = Arrays.copyOf(firsts, names.length + 1);

    // Label names are half of all symbol look-ups and there are few of them: keep them decoded.
    int[] ids = new int[names.length];
    String[] strs = new String[names.length];
    int n = 0;
    for (String name : names) {
      int id = findSymbol(name);
      if (id >= 0 && (n == 0 || id > ids[n - 1])) {
        ids[n] = id;
        strs[n] = name;
        n++;
      }
    }
    nameSymbolIds = Arrays.copyOf(ids, n);
    nameSymbols = Arrays.copyOf(strs, n);
  }

  /** A length-prefixed, CRC32C-suffixed section at {@code at} that must end by {@code limit}. */
  private Decoder section(long at, long limit, String what) throws CorruptDataException {
    if (at + 4 > limit) {
      throw corrupt(at, "expected a 4-byte length of the " + what + " before " + limit);
    }
    long len = in.readIntBE(at) & 0xffffffffL;
    if (len > limit - at - 8) {
      throw corrupt(at, what + " length " + len + " runs past its end at " + limit);
    }
    Decoder d = new Decoder(in, at + 4, at + 4 + len + 4);
    d.skip(len);
    d.readAndCheckCrc32c(at + 4, what);
    return new Decoder(in, at + 4, at + 4 + len);
  }

  private CorruptDataException corrupt(long at, String problem) {
    return new CorruptDataException(in.name(), at, problem);
  }

  public String name() {
    return in.name();
  }

  public Toc toc() {
    return toc;
  }

  /** Number of symbols in the symbol table: valid indexes for {@link #symbol(int)} are 0 to this minus one. */
  public int symbolCount() {
    return symbolCount;
  }

  /** The symbol with the given index (its position in the sorted symbol table). */
  public String symbol(int index) throws CorruptDataException {
    return symbol(index, symBase);
  }

  private String symbol(int index, long referencedAt) throws CorruptDataException {
    int k = Arrays.binarySearch(nameSymbolIds, index);
    if (k >= 0) {
      return nameSymbols[k];
    }
    if (index < 0 || index >= symbolCount) {
      throw corrupt(referencedAt, "symbol index " + Integer.toUnsignedString(index) + " out of range ("
          + symbolCount + " symbols)");
    }
    return symbolAt(index).readUvarintString();
  }

  private byte[] symbolBytes(int index) throws CorruptDataException {
    Decoder d = symbolAt(index);
    return d.readBytes(d.readUvarint32());
  }

  /**
   * A decoder at symbol {@code index} (in range): from the nearest kept offset, or the place of a symbol read
   * before it in the same run, the entries in between skipped.
   */
  private Decoder symbolAt(int index) throws CorruptDataException {
    int run = index >>> symbolOffsetShift;
    int skip = index & ((1 << symbolOffsetShift) - 1);
    long start = symbolOffsets[run] & 0xffffffffL;
    if (skip == 0) {
      return new Decoder(in, symBase + start, symEnd);
    }
    int slot = run & (RECENT_RUNS - 1);
    long recent = (long) RECENT.getOpaque(recentSymbols, slot);
    int recentIndex = (int) (recent >> 32);
    if (recentIndex <= index && recentIndex >>> symbolOffsetShift == run) {
      start = recent & 0xffffffffL;
      skip = index - recentIndex;
    }
    Decoder d = new Decoder(in, symBase + start, symEnd);
    for (; skip > 0; skip--) {
      d.skip(d.readUvarint32());
    }
    RECENT.setOpaque(recentSymbols, slot, (long) index << 32 | (d.position() - symBase));
    return d;
  }

  /** A decoder at the first symbol, to read the table in order. */
  private Decoder symbolTable() throws CorruptDataException {
    return new Decoder(in, symBase + (symbolCount == 0 ? symEnd - symBase : symbolOffsets[0] & 0xffffffffL), symEnd);
  }

  /** Index of a symbol, or -1: binary search over the sorted table. */
  public int findSymbol(String symbol) throws CorruptDataException {
    byte[] target = symbol.getBytes(StandardCharsets.UTF_8);
    int lo = 0;
    int hi = symbolCount - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Arrays.compareUnsigned(symbolBytes(mid), target);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  /** All symbols in table order (ascending bytewise). */
  public StringCursor symbols() {
    return new StringCursor() {
      private Decoder table;
      private int next;
      private String value;

      @Override
      public boolean next() throws CorruptDataException {
        if (next >= symbolCount) {
          return false;
        }
        if (table == null) {
          table = symbolTable();
        }
        next++;
        value = table.readUvarintString();
        return true;
      }

      @Override
      public String value() {
        return value;
      }
    };
  }

  /**
   * Label names in ascending order, as the postings offset table lists them (without the all-postings key), as
   * Prometheus's {@code IndexReader.LabelNames}. Published reading API (docs/library.md); the compactor itself does not call it.
   */
  public List<String> labelNames() {
    List<String> out = new ArrayList<>(names.length);
    for (String n : names) {
      if (!n.isEmpty()) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * Values of a label name in ascending order; empty if the name is unknown. Prometheus's
   * {@code IndexReader.SortedLabelValues}. Published reading API (docs/library.md); the compactor itself does not call it.
   */
  public List<String> labelValues(String name) throws CorruptDataException {
    int k = nameIndex(name);
    if (k < 0) {
      return List.of();
    }
    List<String> out = new ArrayList<>(nameFirst[k + 1] - nameFirst[k]);
    Decoder d = entryStart(nameFirst[k]);
    for (int i = nameFirst[k]; i < nameFirst[k + 1]; i++) {
      out.add(toValue(d).readUvarintString());
      d.readUvarint();
    }
    return out;
  }

  private int nameIndex(String name) {
    return Arrays.binarySearch(names, name, Labels::compareStrings);
  }

  /** A decoder at postings table entry {@code i}'s value. */
  private Decoder entry(int i) throws CorruptDataException {
    return toValue(entryStart(i));
  }

  /** A decoder at the start of postings table entry {@code i}, the entries after it following in order. */
  private Decoder entryStart(int i) throws CorruptDataException {
    Decoder d = new Decoder(in, tableStart + (entryPositions[i >>> entryShift] & 0xffffffffL), tableEnd);
    for (int skip = i & ((1 << entryShift) - 1); skip > 0; skip--) {
      toValue(d);
      d.skip(d.readUvarint32());
      d.readUvarint();
    }
    return d;
  }

  /** Moves a decoder from an entry's start (checked when the reader opened) past its key count and name. */
  private static Decoder toValue(Decoder d) throws CorruptDataException {
    d.readUvarint();
    d.skip(d.readUvarint32());
    return d;
  }

  /** The series having label {@code name="value"}; empty if there are none. */
  public Postings postings(String name, String value) throws CorruptDataException {
    int k = nameIndex(name);
    if (k < 0) {
      return new Postings(in, 0, 0);
    }
    byte[] target = value.getBytes(StandardCharsets.UTF_8);
    int lo = nameFirst[k];
    int hi = nameFirst[k + 1] - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Decoder d = entry(mid);
      int c = Arrays.compareUnsigned(d.readBytes(d.readUvarint32()), target);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return postingsAt(d.readUvarint());
      }
    }
    return new Postings(in, 0, 0);
  }

  /** Every series of the index, in order (the postings list of the special key "", ""). */
  public Postings allPostings() throws CorruptDataException {
    return postings("", "");
  }

  private Postings postingsAt(long offset) throws CorruptDataException {
    Decoder d = section(offset, toc.labelIndicesTable(), "postings list");
    long count = d.readIntBE() & 0xffffffffL;
    if (count * 4 != d.remaining()) {
      throw corrupt(offset + 4, "postings list of " + count + " entries needs " + (count * 4)
          + " bytes, its length leaves " + d.remaining());
    }
    return new Postings(in, d.position(), (int) count);
  }

  /** Reads the series entry with the given reference (its offset / 16). */
  public IndexSeries readSeries(long ref) throws CorruptDataException {
    Decoder e = seriesEntry(ref);
    long start = e.position();
    long len = e.remaining();
    int numLabels = readLabelCount(e);
    String[] ln = new String[numLabels];
    String[] lv = new String[numLabels];
    int[] nameIds = sortUnorderedLabels ? new int[numLabels] : null;
    boolean unordered = false;
    int prevName = -1;
    for (int i = 0; i < numLabels; i++) {
      long at = e.position();
      int nameId = e.readUvarint32();
      int valueId = e.readUvarint32();
      if (nameId <= prevName) {
        if (nameIds == null || nameId == prevName) {
          throw corrupt(at, "label names of a series out of order (symbol " + nameId + " after " + prevName + ")");
        }
        unordered = true;
      }
      if (nameIds != null) {
        nameIds[i] = nameId;
      }
      prevName = nameId;
      ln[i] = symbol(nameId, at);
      lv[i] = symbol(valueId, at);
    }
    if (unordered) {
      sortByName(start, nameIds, ln, lv);
      unorderedLabelSeries++;
    }
    long at = e.position();
    int numChunks = e.readUvarint32();
    if (numChunks > e.remaining() / 3) {
      throw corrupt(at, "chunk count " + numChunks + " cannot fit a " + len + "-byte series entry");
    }
    List<ChunkMeta> chunks = new ArrayList<>(numChunks);
    long prevMax = 0;
    long prevRef = 0;
    for (int i = 0; i < numChunks; i++) {
      long minT = i == 0 ? e.readVarint() : prevMax + e.readUvarint();
      long maxT = minT + e.readUvarint();
      long cref = i == 0 ? e.readUvarint() : prevRef + e.readVarint();
      chunks.add(new ChunkMeta(minT, maxT, cref, null));
      prevMax = maxT;
      prevRef = cref;
    }
    if (e.remaining() != 0) {
      throw corrupt(e.position(), "expected the series entry to end after its " + numChunks + " chunks, "
          + e.remaining() + " bytes are left");
    }
    return new IndexSeries(ref, Labels.ofSorted(ln, lv), chunks);
  }

  /**
   * The symbol table indexes of series {@code ref}'s labels, each label's name and then its value, in the entry's
   * order: which symbols a series uses, without decoding them (a partition's writer keeps only its series'
   * symbols). Checked as {@link #readSeries} checks them: the entry's CRC, and every index inside the table.
   */
  public int[] seriesSymbols(long ref) throws CorruptDataException {
    Decoder e = seriesEntry(ref);
    int[] ids = new int[2 * readLabelCount(e)];
    for (int i = 0; i < ids.length; i++) {
      long at = e.position();
      ids[i] = e.readUvarint32();
      if (ids[i] < 0 || ids[i] >= symbolCount) {
        throw corrupt(at, "symbol index " + Integer.toUnsignedString(ids[i]) + " out of range ("
            + symbolCount + " symbols)");
      }
    }
    return ids;
  }

  /** A decoder over the content of series entry {@code ref}, once its place, length and CRC are checked. */
  private Decoder seriesEntry(long ref) throws CorruptDataException {
    long off = ref * 16;
    if (ref < 0 || ref > 0xffffffffL || off < toc.series() || off >= toc.labelIndices()) {
      throw corrupt(off, "series reference " + ref + " points outside the series section ["
          + toc.series() + ", " + toc.labelIndices() + ")");
    }
    Decoder d = new Decoder(in, off, toc.labelIndices());
    int len = d.readUvarint32();
    long start = d.position();
    if (len > d.remaining() - 4) {
      throw corrupt(off, "series entry of " + len + " bytes runs past the series section end at "
          + toc.labelIndices());
    }
    d.skip(len);
    d.readAndCheckCrc32c(start, "series entry");
    return new Decoder(in, start, start + len);
  }

  /** Reads a series entry's label count, which must leave room for two bytes per label. */
  private int readLabelCount(Decoder e) throws CorruptDataException {
    long len = e.remaining();
    long at = e.position();
    int numLabels = e.readUvarint32();
    if (numLabels > e.remaining() / 2) {
      throw corrupt(at, "label count " + numLabels + " cannot fit a " + len + "-byte series entry");
    }
    return numLabels;
  }

  /**
   * From now on, reads a series entry whose label names are out of order (a bug of Prometheus 2.8 and older that
   * Thanos's index check counts and its repair fixes) with its labels sorted instead of refusing it, and counts it
   * in {@link #unorderedLabelSeries()}. Only for repairing such blocks: {@link #verify()} still reports them.
   */
  public IndexReader sortingUnorderedLabels() {
    this.sortUnorderedLabels = true;
    return this;
  }

  /** Series entries read with label names out of order since {@link #sortingUnorderedLabels()}. */
  public long unorderedLabelSeries() {
    return unorderedLabelSeries;
  }

  /** Sorts the labels by their name's symbol (symbols are in byte order); a name twice is corrupt. */
  private void sortByName(long entry, int[] nameIds, String[] ln, String[] lv) throws CorruptDataException {
    Integer[] order = new Integer[nameIds.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(nameIds[a], nameIds[b]));
    String[] n = ln.clone();
    String[] v = lv.clone();
    for (int i = 0; i < order.length; i++) {
      if (i > 0 && nameIds[order[i]] == nameIds[order[i - 1]]) {
        throw corrupt(entry, "label name " + n[order[i]] + " twice in a series");
      }
      ln[i] = n[order[i]];
      lv[i] = v[order[i]];
    }
  }

  /**
   * All series in file order, which is label order and the order of {@link #allPostings()}: walks the series
   * section entry by entry.
   */
  public SeriesCursor series() {
    return new SeriesCursor() {
      private long pos = toc.series();
      private IndexSeries current;

      @Override
      public boolean next() throws CorruptDataException {
        long aligned = (pos + 15) & ~15L;
        if (aligned >= toc.labelIndices()) {
          pos = toc.labelIndices();
          return false;
        }
        current = readSeries(aligned / 16);
        Decoder d = new Decoder(in, aligned, toc.labelIndices());
        long len = d.readUvarint32();
        pos = d.position() + len + 4;
        return true;
      }

      @Override
      public IndexSeries at() {
        return current;
      }
    };
  }

  /**
   * Checks the whole file: symbols ascending, every series entry (CRC, zero padding, label sets ascending,
   * matching the all-postings list), every label index section, every postings list (CRC, ascending refs,
   * pointed at by the offset table in order), and that the sections tile the file. Returns the series count.
   */
  public long verify() throws CorruptDataException {
    byte[] prev = null;
    Decoder table = symbolTable();
    for (int i = 0; i < symbolCount; i++) {
      long at = table.position();
      byte[] b = table.readBytes(table.readUvarint32());
      if (prev != null && Arrays.compareUnsigned(prev, b) >= 0) {
        throw corrupt(at, "symbols not in strictly ascending order");
      }
      prev = b;
    }

    Postings all = allPostings();
    long pos = toc.series();
    long series = 0;
    Labels prevLabels = null;
    while (true) {
      long aligned = Math.min((pos + 15) & ~15L, toc.labelIndices());
      checkZeros(pos, aligned, "series padding");
      if (aligned >= toc.labelIndices()) {
        break;
      }
      IndexSeries s = readSeries(aligned / 16);
      if (prevLabels != null && prevLabels.compareTo(s.labels()) >= 0) {
        throw corrupt(aligned, "series " + s.labels() + " not in ascending label order");
      }
      prevLabels = s.labels();
      if (!all.next() || all.at() != s.ref()) {
        throw corrupt(aligned, "series " + s.ref() + " missing from the all-postings list");
      }
      Decoder d = new Decoder(in, aligned, toc.labelIndices());
      long len = d.readUvarint32();
      pos = d.position() + len + 4;
      series++;
    }
    if (all.next()) {
      throw corrupt(toc.series(), "all-postings list names series " + all.at() + " that is not in the file");
    }

    // Label index sections (Prometheus up to 2.4x): 4-aligned, each with one name and its value symbols.
    pos = toc.labelIndices();
    while (pos < toc.postings()) {
      long aligned = Math.min((pos + 3) & ~3L, toc.postings());
      checkZeros(pos, aligned, "label index padding");
      if (aligned >= toc.postings()) {
        break;
      }
      Decoder d = section(aligned, toc.postings(), "label index");
      long n = d.readIntBE() & 0xffffffffL;
      long cnt = d.readIntBE() & 0xffffffffL;
      if (n != 1 || cnt * 4 != d.remaining()) {
        throw corrupt(aligned, "label index must hold 1 name and its values, found " + n + " names, " + cnt
            + " values in " + d.remaining() + " bytes");
      }
      for (long i = 0; i < cnt; i++) {
        long id = d.readIntBE() & 0xffffffffL;
        if (id >= symbolCount) {
          throw corrupt(d.position() - 4, "label index value symbol " + id + " out of range");
        }
      }
      pos = d.end() + 4;
    }
    if (toc.hasLabelIndices()) {
      Decoder d = section(toc.labelIndicesTable(), toc.postingsTable(), "label indices table");
      if (d.end() + 4 != toc.postingsTable()) {
        throw corrupt(d.end() + 4, "expected the postings offset table right after the label indices table");
      }
      long cnt = d.readIntBE() & 0xffffffffL;
      for (long i = 0; i < cnt; i++) {
        long keys = d.readUvarint();
        for (long k = 0; k < keys; k++) {
          d.skip(d.readUvarint32());
        }
        long off = d.readUvarint();
        if (off < toc.labelIndices() || off >= toc.postings()) {
          throw corrupt(d.position(), "label index offset " + off + " outside the label index section");
        }
      }
      if (d.remaining() != 0) {
        throw corrupt(d.position(), "expected the label indices table to end after " + cnt + " entries");
      }
    }

    // Postings lists, in the order of the offset table; offset table values ascending per name.
    pos = toc.postings();
    Decoder e = names.length == 0 ? null : entryStart(0);
    for (int k = 0; k < names.length; k++) {
      byte[] prevValue = null;
      for (int i = nameFirst[k]; i < nameFirst[k + 1]; i++) {
        long valueAt = toValue(e).position();
        byte[] value = e.readBytes(e.readUvarint32());
        if (prevValue != null && Arrays.compareUnsigned(prevValue, value) >= 0) {
          throw corrupt(valueAt, "label values of " + names[k] + " not in strictly ascending order");
        }
        prevValue = value;
        long off = e.readUvarint();
        long aligned = (pos + 3) & ~3L;
        if (off != aligned) {
          throw corrupt(valueAt, "postings list expected at " + aligned + ", table says " + off);
        }
        checkZeros(pos, aligned, "postings padding");
        Postings p = postingsAt(off);
        long last = -1;
        while (p.next()) {
          if (p.at() <= last || p.at() * 16 < toc.series() || p.at() * 16 >= toc.labelIndices()) {
            throw corrupt(off, "postings list holds series " + p.at() + " out of order or out of range");
          }
          last = p.at();
        }
        pos = off + 4 + 4 + 4L * p.size() + 4;
      }
    }
    if (pos != toc.labelIndicesTable()) {
      throw corrupt(pos, "expected the postings section to end at " + toc.labelIndicesTable());
    }
    return series;
  }

  private void checkZeros(long from, long to, String what) throws CorruptDataException {
    for (long p = from; p < to; p++) {
      if (in.readByte(p) != 0) {
        throw corrupt(p, "expected zero " + what);
      }
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
