package io.tsdbcompactor.tombstones;

import io.tsdbcompactor.store.ByteSink;
import io.tsdbcompactor.store.ByteArrayInput;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Decoder;
import io.tsdbcompactor.store.Directory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A block's deleted ranges per series reference, read from and written to its {@code tombstones} file, as
 * Prometheus 2.42's {@code tsdb/tombstones} does (spec: Prometheus {@code tsdb/docs/format/tombstones.md}):
 *
 * <pre>
 * magic     4 bytes   0x0130BA30, big-endian
 * version   1 byte    1
 * stone*    one per interval: uvarint64 series ref | varint64 minT | varint64 maxT (inclusive)
 * crc       4 bytes   CRC32C of the stones (the version byte is not covered), big-endian
 * </pre>
 *
 * A block without tombstones has the 9-byte file {@code 01 30 ba 30 01 00 00 00 00}: magic, version 1 and
 * the CRC of no stones (0). A missing file means no tombstones. On reading, intervals of a series
 * are merged as Prometheus merges them (overlapping or adjacent ranges join). Prometheus writes series in map
 * order; we write them in ascending reference order, which any reader accepts.
 */
public final class Tombstones {
  public static final String FILE_NAME = "tombstones";
  public static final int MAGIC = 0x0130BA30;
  public static final int VERSION = 1;
  public static final Tombstones EMPTY = new Tombstones(new long[0], new int[] {0}, new long[0], new long[0]);

  private final long[] refs;
  private final int[] first;
  private final long[] mins;
  private final long[] maxs;

  private Tombstones(long[] refs, int[] first, long[] mins, long[] maxs) {
    this.refs = refs;
    this.first = first;
    this.mins = mins;
    this.maxs = maxs;
  }

  /** Reads a tombstones file; a missing file means no tombstones. */
  public static Tombstones read(Directory dir, String fileName) throws IOException {
    if (!dir.exists(fileName)) {
      return EMPTY;
    }
    byte[] b = dir.readAll(fileName);
    String name = dir.describe() + "/" + fileName;
    ByteArrayInput in = new ByteArrayInput(name, b);
    if (b.length < 9) {
      throw new CorruptDataException(name, 0, "expected at least 9 bytes (header and CRC), the file has "
          + b.length);
    }
    Decoder d = new Decoder(in, 0, b.length);
    int magic = d.readIntBE();
    if (magic != MAGIC) {
      throw new CorruptDataException(name, 0, String.format("expected tombstones magic 0130ba30, found %08x",
          magic));
    }
    int version = d.readByte();
    if (version != VERSION) {
      throw new CorruptDataException(name, 4, "expected tombstones format version 1, found " + version);
    }
    d.seek(b.length - 4);
    d.readAndCheckCrc32c(5, "tombstones");
    Decoder s = new Decoder(in, 5, b.length - 4);
    Builder builder = new Builder();
    while (s.remaining() > 0) {
      long at = s.position();
      long ref = s.readUvarint();
      long minT = s.readVarint();
      long maxT = s.readVarint();
      if (maxT < minT) {
        throw new CorruptDataException(name, at, "tombstone interval [" + minT + ", " + maxT + "] ends before it"
            + " starts");
      }
      builder.add(ref, new Interval(minT, maxT));
    }
    return builder.build();
  }

  /** Writes the 9-byte file of a block without deletions. */
  public static void writeEmpty(Directory dir) throws IOException {
    EMPTY.write(dir, FILE_NAME);
  }

  public static void write(Directory dir, Tombstones t) throws IOException {
    t.write(dir, FILE_NAME);
  }

  public void write(Directory dir, String fileName) throws IOException {
    ByteSink sink = new ByteSink(16 + mins.length * 12);
    sink.writeIntBE(MAGIC);
    sink.writeByte(VERSION);
    for (int i = 0; i < refs.length; i++) {
      for (int j = first[i]; j < first[i + 1]; j++) {
        sink.writeUvarint(refs[i]);
        sink.writeVarint(mins[j]);
        sink.writeVarint(maxs[j]);
      }
    }
    sink.writeCrc32c(5);
    dir.writeAll(fileName, sink.toByteArray());
  }

  public boolean isEmpty() {
    return refs.length == 0;
  }

  /** Number of intervals over all series (meta.json's numTombstones). */
  public long numIntervals() {
    return mins.length;
  }

  /**
   * Series references that have deletions, ascending (signed order): with {@link #intervals(long)}, the whole
   * content of a tombstones file. Published reading API (docs/library.md); the compactor itself does not call it.
   */
  public long[] seriesRefs() {
    return refs.clone();
  }

  /** Deleted intervals of a series, ascending and non-overlapping; empty if none. */
  public List<Interval> intervals(long seriesRef) {
    int k = Arrays.binarySearch(refs, seriesRef);
    if (k < 0) {
      return List.of();
    }
    List<Interval> out = new ArrayList<>(first[k + 1] - first[k]);
    for (int j = first[k]; j < first[k + 1]; j++) {
      out.add(new Interval(mins[j], maxs[j]));
    }
    return out;
  }

  /** Whether the sample of a series at time t is deleted. */
  public boolean isDeleted(long seriesRef, long t) {
    int k = Arrays.binarySearch(refs, seriesRef);
    if (k < 0) {
      return false;
    }
    for (int j = first[k]; j < first[k + 1]; j++) {
      if (t >= mins[j] && t <= maxs[j]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tombstones t && Arrays.equals(refs, t.refs) && Arrays.equals(first, t.first)
        && Arrays.equals(mins, t.mins) && Arrays.equals(maxs, t.maxs);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(refs) * 31 + Arrays.hashCode(mins);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tombstones{");
    for (int i = 0; i < refs.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(refs[i]).append('=').append(intervals(refs[i]));
    }
    return sb.append('}').toString();
  }

  /** Collects intervals; overlapping or adjacent intervals of a series merge, as in Prometheus. */
  public static final class Builder {
    private final TreeMap<Long, List<Interval>> bySeries = new TreeMap<>();

    public Builder add(long seriesRef, Interval iv) {
      List<Interval> list = bySeries.computeIfAbsent(seriesRef, k -> new ArrayList<>());
      long lo = iv.minT();
      long hi = iv.maxT();
      List<Interval> merged = new ArrayList<>(list.size() + 1);
      boolean placed = false;
      for (Interval x : list) {
        // Intervals hold discrete milliseconds: [a, b] and [b+1, c] are one range.
        if (x.maxT() < lo && x.maxT() + 1 < lo) {
          merged.add(x);
        } else if (x.minT() > hi && x.minT() - 1 > hi) {
          if (!placed) {
            merged.add(new Interval(lo, hi));
            placed = true;
          }
          merged.add(x);
        } else {
          lo = Math.min(lo, x.minT());
          hi = Math.max(hi, x.maxT());
        }
      }
      if (!placed) {
        merged.add(new Interval(lo, hi));
      }
      list.clear();
      list.addAll(merged);
      return this;
    }

    public Tombstones build() {
      int n = bySeries.size();
      long[] refs = new long[n];
      int[] first = new int[n + 1];
      int total = 0;
      for (List<Interval> l : bySeries.values()) {
        total += l.size();
      }
      long[] mins = new long[total];
      long[] maxs = new long[total];
      int i = 0;
      int j = 0;
      for (Map.Entry<Long, List<Interval>> e : bySeries.entrySet()) {
        refs[i] = e.getKey();
        first[i] = j;
        for (Interval iv : e.getValue()) {
          mins[j] = iv.minT();
          maxs[j] = iv.maxT();
          j++;
        }
        i++;
      }
      first[n] = j;
      return new Tombstones(refs, first, mins, maxs);
    }
  }
}
