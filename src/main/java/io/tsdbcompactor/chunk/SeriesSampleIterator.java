package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;
import java.util.List;

/**
 * The samples of one series' XOR chunks, chunk after chunk, as a single {@link SampleIterator}; optionally
 * without the samples inside deleted intervals. What downsampling and deduplication read a block series through.
 *
 * <p>Checks as it goes: every sample lies inside its chunk's [minTime, maxTime] from the index and timestamps
 * strictly increase across the whole series; otherwise {@link CorruptDataException} naming the series, the chunk
 * (time range and ref) and the offending timestamp. Reusable through {@link #reset}.
 */
public final class SeriesSampleIterator implements SampleIterator {
  private final XorIterator it = new XorIterator();
  private String series;
  private List<ChunkMeta> chunks;
  private ChunkMeta single;
  private int count;
  private int idx;
  private ChunkMeta cur;
  private long[] deleted;
  private boolean any;
  private long last;

  public SeriesSampleIterator() {}

  /**
   * Iterates {@code chunks} (loaded, in time order, all XOR) of {@code series}.
   *
   * @param deleted inclusive deleted intervals as pairs {@code [min0, max0, ...]}, or null
   * @throws UnmergeableChunksException if a chunk is not an XOR chunk
   */
  public void reset(String series, List<ChunkMeta> chunks, long[] deleted) throws UnmergeableChunksException {
    for (ChunkMeta m : chunks) {
      checkXor(series, m);
    }
    this.series = series;
    this.chunks = chunks;
    this.single = null;
    this.count = chunks.size();
    start(deleted);
  }

  /** Iterates one loaded XOR chunk. */
  public void reset(String series, ChunkMeta chunk, long[] deleted) throws UnmergeableChunksException {
    checkXor(series, chunk);
    this.series = series;
    this.chunks = null;
    this.single = chunk;
    this.count = 1;
    start(deleted);
  }

  private void start(long[] deleted) {
    if (deleted != null && (deleted.length & 1) != 0) {
      throw new IllegalArgumentException("deleted intervals come in pairs: " + deleted.length + " values");
    }
    this.deleted = deleted != null && deleted.length == 0 ? null : deleted;
    this.idx = 0;
    this.cur = null;
    this.any = false;
  }

  private static void checkXor(String series, ChunkMeta m) throws UnmergeableChunksException {
    if (m.chunk == null) {
      throw new IllegalArgumentException("series " + series + ": chunk " + m + " is not loaded");
    }
    if (m.chunk.encoding() != ChunkEncoding.XOR) {
      throw new UnmergeableChunksException(series, m.minTime, m.maxTime,
          "a " + ChunkEncoding.name(m.chunk.encoding()) + " chunk cannot be decoded as float samples");
    }
  }

  @Override
  public boolean next() throws CorruptDataException {
    while (true) {
      if (cur == null) {
        if (idx == count) {
          return false;
        }
        cur = single != null ? single : chunks.get(idx);
        idx++;
        // The full name is built only for an error: no per-chunk string garbage on the hot path.
        it.reset(series, cur.chunk.data());
      }
      boolean more;
      try {
        more = it.next();
      } catch (CorruptDataException e) {
        String prefix = e.file() + " at offset " + e.offset() + ": ";
        String problem = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length())
            : e.getMessage();
        throw new CorruptDataException(chunkName(), e.offset(), problem, e);
      }
      if (!more) {
        cur = null;
        continue;
      }
      long t = it.timestamp();
      if (t < cur.minTime || t > cur.maxTime || (any && t <= last)) {
        throw new CorruptDataException(chunkName(), 0, "sample at " + t + (any ? " after " + last : "")
            + (t < cur.minTime || t > cur.maxTime
                ? " lies outside the chunk's time range" : " is not in increasing order"));
      }
      any = true;
      last = t;
      if (deleted == null || !isDeleted(t, deleted)) {
        return true;
      }
    }
  }

  private String chunkName() {
    return "series " + series + " chunk [" + cur.minTime + "," + cur.maxTime + "] ref 0x"
        + Long.toHexString(cur.ref);
  }

  static boolean isDeleted(long t, long[] deleted) {
    for (int i = 0; i < deleted.length; i += 2) {
      if (deleted[i] <= t && t <= deleted[i + 1]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long timestamp() {
    return it.timestamp();
  }

  @Override
  public double value() {
    return it.value();
  }
}
