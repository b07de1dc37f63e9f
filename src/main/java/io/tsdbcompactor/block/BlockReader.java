package io.tsdbcompactor.block;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.tombstones.Interval;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

/**
 * An open block: its {@code meta.json}, index, chunk segments and tombstones. Opening reads meta.json and the
 * tombstones whole (both small), checks the index's header, TOC, symbol table and postings offset table, and
 * the segment files' headers; series and chunks are read on demand, so memory does not grow with the block.
 *
 * <p>Use:
 * <pre>{@code
 * try (BlockReader r = BlockReader.open(new FsDirectory(blockPath))) {
 *   BlockReader.Series s = r.series();
 *   while (s.next()) {
 *     Labels l = s.labels();
 *     List<ChunkMeta> raw = s.loadChunks();          // as stored, tombstones ignored
 *     List<ChunkMeta> live = s.chunksWithoutDeleted(); // tombstones applied
 *   }
 * }
 * }</pre>
 *
 * Errors are {@link CorruptDataException}s naming the block directory and the file.
 */
public final class BlockReader implements Closeable {
  private final Directory dir;
  private final BlockMeta meta;
  private final IndexReader index;
  private final ChunkSegmentReader chunks;
  private final Tombstones tombstones;

  private BlockReader(Directory dir, BlockMeta meta, IndexReader index, ChunkSegmentReader chunks,
      Tombstones tombstones) {
    this.dir = dir;
    this.meta = meta;
    this.index = index;
    this.chunks = chunks;
    this.tombstones = tombstones;
  }

  /**
   * Opens the block in {@code blockDir}: reads meta.json, opens the index, the chunk segments and the tombstones
   * (absent: none). Close it to release the files.
   */
  public static BlockReader open(Directory blockDir) throws IOException {
    BlockMeta meta = readMeta(blockDir);
    IndexReader index = null;
    ChunkSegmentReader chunks = null;
    try {
      index = IndexReader.open(blockDir, "index");
      chunks = new ChunkSegmentReader(blockDir);
      Tombstones tombstones = Tombstones.read(blockDir, Tombstones.FILE_NAME);
      return new BlockReader(blockDir, meta, index, chunks, tombstones);
    } catch (NoSuchFileException e) {
      closeQuietly(index, chunks);
      throw new CorruptDataException(missingName(blockDir, e), 0, "file is missing", e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(index, chunks);
      throw e;
    }
  }

  /** Reads and parses a block's meta.json; a missing or unreadable file is a {@link CorruptDataException}. */
  public static BlockMeta readMeta(Directory blockDir) throws IOException {
    String where = blockDir.describe() + "/" + BlockMeta.FILE_NAME;
    byte[] json;
    try {
      json = blockDir.readAll(BlockMeta.FILE_NAME);
    } catch (NoSuchFileException e) {
      throw new CorruptDataException(where, 0, "file is missing", e);
    }
    BlockMeta meta = BlockMeta.parse(where, json);
    if (meta.version != 1) {
      throw new CorruptDataException(where, 0, "unexpected meta file version " + meta.version + ", expected 1");
    }
    return meta;
  }

  /** The missing file's name, with the block directory in front unless the exception names it already. */
  private static String missingName(Directory blockDir, NoSuchFileException e) {
    String f = e.getFile();
    if (f == null) {
      return blockDir.describe() + "/?";
    }
    return f.startsWith(blockDir.describe()) || f.startsWith("/") ? f : blockDir.describe() + "/" + f;
  }

  private static void closeQuietly(Closeable... cs) {
    for (Closeable c : cs) {
      if (c != null) {
        try {
          c.close();
        } catch (IOException ignored) {
          // Already failing with a better error.
        }
      }
    }
  }

  /** The block directory's description (its path), for messages. */
  public String name() {
    return dir.describe();
  }

  /** The block's directory. */
  public Directory directory() {
    return dir;
  }

  /** The block's meta.json as read when opened. */
  public BlockMeta meta() {
    return meta;
  }

  /** The block's index: symbols, postings, series entries. */
  public IndexReader index() {
    return index;
  }

  /**
   * The block's chunk segment files, read by chunk reference: with {@link #index()} and {@link #tombstones()} the
   * block's parts, as Prometheus's {@code BlockReader.Chunks}. Published reading API (docs/library.md); the compactor itself does not call it.
   */
  public ChunkSegmentReader chunkReader() {
    return chunks;
  }

  /** The block's deletions; empty when it has no tombstones file. */
  public Tombstones tombstones() {
    return tombstones;
  }

  /** Reads one chunk by reference (CRC checked). */
  public Chunk readChunk(long ref) throws CorruptDataException {
    return chunks.read(ref);
  }

  /** A cursor over all series in label order. */
  public Series series() {
    return new Series(index.series());
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (Closeable c : new Closeable[] {index, chunks}) {
      try {
        c.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** Series of the block in label order: labels and chunk metas; chunks are read when asked for. */
  public final class Series {
    private final SeriesCursor cursor;
    private IndexSeries current;
    private final XorIterator xor = new XorIterator();
    private final XorEncoder encoder = new XorEncoder();

    Series(SeriesCursor cursor) {
      this.cursor = cursor;
    }

    /** Advances to the next series in label order; false after the last one. */
    public boolean next() throws CorruptDataException {
      if (!cursor.next()) {
        current = null;
        return false;
      }
      current = cursor.at();
      return true;
    }

    /** Series reference in the index (what postings and tombstones use). */
    public long ref() {
      return current.ref();
    }

    /** The current series' labels. */
    public Labels labels() {
      return current.labels();
    }

    /** Chunk metas as the index lists them; their {@code chunk} fields are null until {@link #loadChunks()}. */
    public List<ChunkMeta> chunkMetas() {
      return current.chunks();
    }

    /** Deleted intervals of this series (ascending, merged), empty when none. */
    public List<Interval> deleted() {
      return tombstones.intervals(current.ref());
    }

    /** Reads every chunk of the series into its meta and returns the metas. */
    public List<ChunkMeta> loadChunks() throws CorruptDataException {
      for (ChunkMeta m : current.chunks()) {
        if (m.chunk == null) {
          m.chunk = chunks.read(m.ref);
        }
      }
      return current.chunks();
    }

    /**
     * The series' chunks with tombstones applied, as Prometheus's compactor does: chunks entirely inside a
     * deleted interval are dropped, chunks partly deleted are re-encoded without the deleted samples (XOR only;
     * other encodings are kept whole, there is no safe partial form for them here), all other chunks are the
     * loaded metas themselves, so their bytes can be copied untouched.
     */
    public List<ChunkMeta> chunksWithoutDeleted() throws CorruptDataException {
      List<ChunkMeta> metas = loadChunks();
      List<Interval> del = deleted();
      if (del.isEmpty()) {
        return metas;
      }
      List<ChunkMeta> out = new ArrayList<>(metas.size());
      for (ChunkMeta m : metas) {
        if (isSubrange(m.minTime, m.maxTime, del)) {
          continue;
        }
        if (!overlapsAny(m.minTime, m.maxTime, del) || m.chunk.encoding() != ChunkEncoding.XOR) {
          out.add(m);
          continue;
        }
        encoder.reset();
        xor.reset(chunkName(m.ref), m.chunk.data());
        while (xor.next()) {
          if (!isDeleted(xor.timestamp(), del)) {
            encoder.append(xor.timestamp(), xor.value());
          }
        }
        if (encoder.numSamples() > 0) {
          out.add(encoder.toChunkMeta());
        }
      }
      return out;
    }

    String chunkName(long ref) {
      return dir.describe() + "/chunks/" + ChunkRef.toString(ref);
    }
  }

  static boolean isSubrange(long minT, long maxT, List<Interval> del) {
    for (Interval iv : del) {
      if (iv.contains(minT) && iv.contains(maxT)) {
        return true;
      }
    }
    return false;
  }

  static boolean overlapsAny(long minT, long maxT, List<Interval> del) {
    for (Interval iv : del) {
      if (minT <= iv.maxT() && iv.minT() <= maxT) {
        return true;
      }
    }
    return false;
  }

  static boolean isDeleted(long t, List<Interval> del) {
    for (Interval iv : del) {
      if (iv.contains(t)) {
        return true;
      }
    }
    return false;
  }
}
