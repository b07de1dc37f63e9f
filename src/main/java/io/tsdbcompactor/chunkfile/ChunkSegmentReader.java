package io.tsdbcompactor.chunkfile;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Decoder;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.RandomAccessInput;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads chunks by reference from a block's segment files (format: {@link ChunkSegmentWriter}). Opens every
 * {@code chunks/NNNNNN} file up front and checks its header; each read checks the reference, the record's
 * length against the file and the record's CRC32C. Safe for concurrent reads: no state changes after open.
 *
 * <p>Segment files must be numbered {@code 000001} up without gaps: a gap would shift every later segment's
 * index and make references point at the wrong file, so it is reported as corruption.
 */
public final class ChunkSegmentReader implements Closeable {
  private final String dirName;
  private final RandomAccessInput[] segments;

  public ChunkSegmentReader(Directory blockDir) throws IOException {
    this.dirName = blockDir.describe() + "/chunks";
    List<String> names = new ArrayList<>();
    for (String f : blockDir.listAll()) {
      if (f.startsWith("chunks/") && f.indexOf('/', 7) < 0 && isNumber(f.substring(7))) {
        names.add(f);
      }
    }
    // Numeric order; names of equal width sort the same bytewise, but be robust to wider names.
    names.sort((a, b) -> Long.compare(Long.parseLong(a.substring(7)), Long.parseLong(b.substring(7))));
    segments = new RandomAccessInput[names.size()];
    try {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        if (Long.parseLong(name.substring(7)) != i + 1) {
          throw new CorruptDataException(dirName, 0,
              "expected segment file " + ChunkRef.segmentFileName(i) + " but found " + name);
        }
        RandomAccessInput in = blockDir.openInput(name);
        segments[i] = in;
        checkHeader(in);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private static boolean isNumber(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static void checkHeader(RandomAccessInput in) throws CorruptDataException {
    if (in.length() < ChunkSegmentWriter.HEADER_SIZE) {
      throw new CorruptDataException(in.name(), 0,
          "expected an 8-byte segment header but the file is " + in.length() + " bytes long");
    }
    int magic = in.readIntBE(0);
    if (magic != ChunkSegmentWriter.MAGIC) {
      throw new CorruptDataException(in.name(), 0,
          String.format("expected chunk segment magic 85bd40dd, found %08x", magic));
    }
    int version = in.readByte(4) & 0xff;
    if (version != ChunkSegmentWriter.VERSION) {
      throw new CorruptDataException(in.name(), 4, "expected chunk segment version 1, found " + version);
    }
  }

  /** Number of segment files ({@code chunks/000001} ...) the reader opened. Published reading API (docs/library.md); the compactor itself does not call it. */
  public int segmentCount() {
    return segments.length;
  }

  /** Reads a chunk; its CRC is checked. */
  public Chunk read(long ref) throws CorruptDataException {
    Decoder d = record(ref);
    long encAt = d.position();
    int encoding = d.readByte();
    byte[] data = d.readBytes((int) (d.remaining() - 4));
    d.readAndCheckCrc32c(encAt, "chunk record");
    return new Chunk(encoding, data);
  }

  /**
   * Reads the whole record of a chunk (length prefix, encoding, data, CRC) after checking its CRC, for copying
   * it unchanged with {@link ChunkSegmentWriter#writeRecord}.
   */
  public byte[] readRecord(long ref) throws CorruptDataException {
    Decoder d = record(ref);
    long encAt = d.position();
    d.seek(d.end() - 4);
    d.readAndCheckCrc32c(encAt, "chunk record");
    long start = ChunkRef.offset(ref);
    return d.input().readBytes(start, (int) (d.end() - start));
  }

  /** A decoder over one record, positioned at its encoding byte, ending after its CRC. */
  private Decoder record(long ref) throws CorruptDataException {
    int seg = ChunkRef.segmentIndex(ref);
    long off = ChunkRef.offset(ref);
    if (seg < 0 || seg >= segments.length) {
      throw new CorruptDataException(dirName, off, "chunk reference " + Long.toHexString(ref)
          + " names segment " + ChunkRef.segmentFileName(seg) + " but the block has " + segments.length
          + " segment files");
    }
    RandomAccessInput in = segments[seg];
    if (off < ChunkSegmentWriter.HEADER_SIZE || off >= in.length()) {
      throw new CorruptDataException(in.name(), off, "chunk reference " + Long.toHexString(ref)
          + " points outside the records of a " + in.length() + "-byte segment");
    }
    Decoder d = new Decoder(in, off, in.length());
    long len = d.readUvarint();
    if (len > in.length() || d.position() + 1 + len + 4 > in.length()) {
      throw new CorruptDataException(in.name(), off,
          "chunk record of " + len + " data bytes runs past the end of the file (" + in.length() + " bytes)");
    }
    return new Decoder(in, d.position(), d.position() + 1 + len + 4);
  }

  /**
   * A reusable holder for one record's encoding and data, filled by {@link #readChecked}: the data sits in
   * {@code data[0, length)}, and the buffer is reused (grown when needed) from one read to the next.
   */
  public static final class RecordView {
    public int encoding;
    public byte[] data = new byte[256];
    public int length;
  }

  /**
   * Reads the record at {@code ref} into {@code view} without computing its CRC again: for a caller that has
   * already checked this very record with {@link #verify(java.util.function.LongConsumer)} (which reported
   * {@code ref} as a record whose CRC matched). The reference and length are still bounds-checked.
   */
  public void readChecked(long ref, RecordView view) throws CorruptDataException {
    int seg = ChunkRef.segmentIndex(ref);
    long off = ChunkRef.offset(ref);
    if (seg < 0 || seg >= segments.length) {
      throw badRecord(ref);
    }
    RandomAccessInput in = segments[seg];
    if (off < ChunkSegmentWriter.HEADER_SIZE || off >= in.length()) {
      throw badRecord(ref);
    }
    long len;
    long p;
    try {
      Decoder d = new Decoder(in, off, in.length());
      len = d.readUvarint();
      p = d.position();
    } catch (CorruptDataException e) {
      throw badRecord(ref);
    }
    if (len > in.length() || p + 1 + len + 4 > in.length()) {
      throw badRecord(ref);
    }
    view.encoding = in.readByte(p) & 0xff;
    int n = (int) len;
    if (view.data.length < n) {
      view.data = new byte[Math.max(n, 2 * view.data.length)];
    }
    in.readBytes(p + 1, view.data, 0, n);
    view.length = n;
  }

  /** The error {@link #record} gives for a bad reference or record header (the rare path: messages built here). */
  private CorruptDataException badRecord(long ref) {
    try {
      record(ref);
    } catch (CorruptDataException e) {
      return e;
    }
    return new CorruptDataException(dirName, ChunkRef.offset(ref), "bad chunk record at " + ChunkRef.toString(ref));
  }

  /**
   * Walks every record of every segment, checking the header padding, each record's length and CRC, and that
   * the records fill each file exactly. Returns the number of chunks.
   */
  public long verify() throws CorruptDataException {
    return verify(null);
  }

  /**
   * {@link #verify()}, telling {@code goodRecords} (if not null) the reference of every record whose CRC
   * matched, in ascending order, before any error is thrown.
   */
  public long verify(java.util.function.LongConsumer goodRecords) throws CorruptDataException {
    long chunks = 0;
    for (int s = 0; s < segments.length; s++) {
      RandomAccessInput in = segments[s];
      for (int i = 5; i < ChunkSegmentWriter.HEADER_SIZE; i++) {
        if (in.readByte(i) != 0) {
          throw new CorruptDataException(in.name(), i, "expected zero header padding");
        }
      }
      long pos = ChunkSegmentWriter.HEADER_SIZE;
      while (pos < in.length()) {
        Decoder d = record(ChunkRef.of(s, pos));
        long encAt = d.position();
        d.seek(d.end() - 4);
        d.readAndCheckCrc32c(encAt, "chunk record");
        if (goodRecords != null) {
          goodRecords.accept(ChunkRef.of(s, pos));
        }
        pos = d.end();
        chunks++;
      }
    }
    return chunks;
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (RandomAccessInput in : segments) {
      if (in != null) {
        try {
          in.close();
        } catch (IOException e) {
          if (first == null) {
            first = e;
          }
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
