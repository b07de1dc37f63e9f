package io.tsdbcompactor.chunkfile;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.store.ByteArrayInput;
import io.tsdbcompactor.store.ByteSink;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Decoder;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.IndexOutput;
import io.tsdbcompactor.store.Varint;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes a block's chunk segment files {@code chunks/000001}, {@code chunks/000002}, ... as Prometheus 2.42's
 * {@code tsdb/chunks} writer does (spec: Prometheus {@code tsdb/docs/format/chunks.md}).
 *
 * <pre>
 * segment file:
 *   magic      4 bytes  0x85BD40DD, big-endian
 *   version    1 byte   1
 *   padding    3 bytes  zero
 *   record*    one per chunk, back to back, no alignment
 * record:
 *   len        uvarint  number of data bytes
 *   encoding   1 byte   1 XOR, 2 histogram, 3 float histogram, 0xFF Thanos AggrChunk, others carried as is
 *   data       len bytes
 *   crc        4 bytes  CRC32C (Castagnoli) of encoding + data, big-endian
 * </pre>
 *
 * <p>A chunk's reference is {@code segmentIndex << 32 | recordOffset} where segment index 0 is file
 * {@code 000001} (see {@link ChunkRef}). A new segment is cut before a chunk would take the current one past
 * the maximum size (default 512 MiB). As in Prometheus, a record's size is estimated with the largest possible
 * length field (5 bytes), and a chunk is always written to a fresh segment even if it alone is larger than
 * the maximum, so no segment is ever empty.
 *
 * <p>Bytes stream through {@link IndexOutput}; only the current record is held in memory. Files become
 * visible under their names when the segment is finished (cut or {@link #close()}).
 */
public final class ChunkSegmentWriter implements Closeable {
  public static final int MAGIC = 0x85BD40DD;
  public static final int VERSION = 1;
  public static final int HEADER_SIZE = 8;
  public static final long DEFAULT_MAX_SEGMENT_BYTES = 512L * 1024 * 1024;
  /** Prometheus's MaxChunkLengthFieldSize (binary.MaxVarintLen32), used for the size estimate. */
  static final int MAX_LENGTH_FIELD = Varint.MAX_LEN32;

  private final Directory dir;
  private final long maxSegmentBytes;
  private final List<String> segments = new ArrayList<>();
  private final ByteSink head = new ByteSink(16);
  private final CRC32C crc = new CRC32C();
  private IndexOutput out;
  private boolean closed;

  public ChunkSegmentWriter(Directory blockDir) {
    this(blockDir, DEFAULT_MAX_SEGMENT_BYTES);
  }

  public ChunkSegmentWriter(Directory blockDir, long maxSegmentBytes) {
    if (maxSegmentBytes <= HEADER_SIZE || maxSegmentBytes > 0xffffffffL) {
      throw new IllegalArgumentException("max segment size must be in (8, 4 GiB]: " + maxSegmentBytes);
    }
    this.dir = blockDir;
    this.maxSegmentBytes = maxSegmentBytes;
  }

  /**
   * Writes the chunks of one series and sets each meta's {@code ref}, cutting segments exactly where
   * Prometheus's {@code WriteChunks} would for the same call: the series' chunks are split into batches by
   * their cumulative estimated size, and a new segment starts only between batches.
   */
  public void write(List<ChunkMeta> chunks) throws IOException {
    if (closed) {
      throw new IllegalStateException("chunk writer is closed");
    }
    long n = out == null ? 0 : out.position();
    long batchSize = 0;
    boolean firstBatch = true;
    boolean[] cutBefore = new boolean[chunks.size()];
    for (int i = 0; i < chunks.size(); i++) {
      long estimate = MAX_LENGTH_FIELD + 1L + chunks.get(i).chunk.data().length + 4;
      batchSize += estimate;
      boolean cut = i != 0 && batchSize + HEADER_SIZE > maxSegmentBytes;
      if (firstBatch && n > HEADER_SIZE) {
        cut = batchSize + n > maxSegmentBytes;
        if (cut) {
          firstBatch = false;
        }
      }
      if (cut) {
        cutBefore[i] = true;
        batchSize = estimate;
      }
    }
    if (out == null) {
      cut();
    }
    for (int i = 0; i < chunks.size(); i++) {
      if (cutBefore[i]) {
        cut();
      }
      ChunkMeta m = chunks.get(i);
      m.ref = append(m.chunk);
    }
  }

  /** Appends a chunk and returns its reference (the same segment cutting as a one-chunk {@link #write(List)}). */
  public long write(Chunk chunk) throws IOException {
    startRecord(chunk.data().length);
    return append(chunk);
  }

  private long append(Chunk chunk) throws IOException {
    byte[] data = chunk.data();
    checkOffset();
    long ref = ChunkRef.of(segments.size() - 1, out.position());
    head.reset();
    head.writeUvarint(data.length);
    head.writeByte(chunk.encoding());
    out.write(head);
    out.writeBytes(data);
    crc.reset();
    crc.update(chunk.encoding());
    crc.update(data, 0, data.length);
    out.writeIntBE((int) crc.getValue());
    return ref;
  }

  /**
   * Appends a whole record (length, encoding, data, CRC) as {@link ChunkSegmentReader#readRecord} returned it,
   * byte for byte, without re-computing its checksum. Returns the record's new reference.
   */
  public long writeRecord(byte[] record) throws IOException {
    long dataLen;
    int i;
    try {
      Decoder d = new Decoder(new ByteArrayInput("chunk record", record), 0, record.length);
      dataLen = d.readUvarint();
      i = (int) d.position();
    } catch (CorruptDataException e) {
      throw new IllegalArgumentException("not a chunk record: bad length prefix", e);
    }
    if (i > MAX_LENGTH_FIELD || dataLen < 0 || record.length != i + 1 + dataLen + 4) {
      throw new IllegalArgumentException("not a chunk record: length prefix does not match its size");
    }
    startRecord((int) dataLen);
    long ref = ChunkRef.of(segments.size() - 1, out.position());
    out.writeBytes(record);
    return ref;
  }

  private void startRecord(int dataLength) throws IOException {
    if (closed) {
      throw new IllegalStateException("chunk writer is closed");
    }
    long estimate = MAX_LENGTH_FIELD + 1L + dataLength + 4;
    if (out == null || (out.position() > HEADER_SIZE && out.position() + estimate > maxSegmentBytes)) {
      cut();
    }
    checkOffset();
  }

  private void checkOffset() throws IOException {
    if (out.position() > 0xffffffffL) {
      // Only reachable with a single chunk larger than 4 GiB: the offset would not fit a reference.
      throw new IOException(out.name() + ": chunk offset " + out.position() + " does not fit 32 bits");
    }
  }

  private void cut() throws IOException {
    finishSegment();
    String name = ChunkRef.segmentFileName(segments.size());
    out = dir.createOutput(name);
    segments.add(name);
    head.reset();
    head.writeIntBE(MAGIC);
    head.writeByte(VERSION);
    head.writeByte(0);
    head.writeByte(0);
    head.writeByte(0);
    out.write(head);
  }

  private void finishSegment() throws IOException {
    if (out != null) {
      IndexOutput o = out;
      out = null;
      o.close();
    }
  }

  /** Names of the segment files written so far, in order ({@code chunks/000001}, ...). */
  public List<String> segmentFiles() {
    return Collections.unmodifiableList(new ArrayList<>(segments));
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    finishSegment();
  }

  /** Drops the segment being written; segments already finished stay (the caller deletes the block). */
  public void abort() {
    closed = true;
    if (out != null) {
      out.abort();
      out = null;
    }
  }
}
