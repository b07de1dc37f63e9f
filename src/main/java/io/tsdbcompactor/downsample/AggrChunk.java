package io.tsdbcompactor.downsample;

import io.tsdbcompactor.chunk.AggrChunkLayout;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.store.ByteSink;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Varint;
import java.util.Arrays;

/**
 * Thanos's aggregate chunk ({@code pkg/compact/downsample/aggr.go}), the only chunk a downsampled block holds.
 *
 * <p>In a segment file it is a normal chunk record with encoding byte {@code 0xFF}. Its data bytes are five
 * entries in the fixed order count, sum, min, max, counter ({@link AggrType}):
 *
 * <pre>
 *   absent aggregate : uvarint(0)                      -- the single byte 0x00
 *   present          : uvarint(L) | encoding (1 byte) | L bytes of that sub-chunk's data
 * </pre>
 *
 * L does not count the encoding byte. Float aggregates (and the count of histogram chunks) are XOR chunks
 * (encoding 0x01); Thanos's histogram chunks hold FloatHistogram sub-chunks (0x03) for sum and counter and have
 * no min and max. There is no header, count or checksum of its own: the segment record's CRC covers it. Bytes
 * after the fifth entry are ignored, as Thanos ignores them.
 *
 * <p>Example: one raw sample (t=0, v=1.0) at 5m gives four one-sample XOR chunks
 * {@code 00 01 00 3F F0 00 00 00 00 00 00} and the counter {@code (0,1),(0,1),(0,1)}, so the AggrChunk is
 * {@code 0B 01 <11 bytes>} four times, then {@code 0D 01 <13 bytes>}: 67 bytes.
 *
 * <p>Parsing checks every length against the data and names the file (as given by the caller) and the offset
 * of a bad entry; it copies nothing until a sub-chunk is asked for.
 */
public final class AggrChunk {
  private static final int N = AggrChunkLayout.ENTRIES;

  private final String where;
  private final byte[] data;
  /** Offset of each sub-chunk's data (after its encoding byte), -1 when absent. */
  private final int[] offset = new int[N];
  private final int[] length = new int[N];
  private final int[] encoding = new int[N];

  private AggrChunk(String where, byte[] data) {
    this.where = where;
    this.data = data;
  }

  /**
   * Parses an AggrChunk's data.
   *
   * @param where the file (and chunk ref) to name in errors, e.g. "01H.../chunks/000001 ref 0x8"
   * @throws CorruptDataException when the chunk is not encoding 0xFF or an entry runs past the data
   */
  public static AggrChunk parse(String where, Chunk chunk) throws CorruptDataException {
    if (chunk.encoding() != ChunkEncoding.AGGR) {
      throw new CorruptDataException(where, 0,
          "expected a Thanos aggregate chunk (encoding 0xff), found encoding " + ChunkEncoding.name(chunk.encoding()));
    }
    return parse(where, chunk.data());
  }

  /** Parses the data bytes of an AggrChunk (the part after the 0xFF encoding byte). */
  public static AggrChunk parse(String where, byte[] data) throws CorruptDataException {
    AggrChunk c = new AggrChunk(where, data);
    AggrChunkLayout.parse(where, data, data.length, c.offset, c.length, c.encoding);
    return c;
  }

  /**
   * Encodes five sub-chunks (indexed by {@link AggrType#ordinal()}, null = absent) into the data of an
   * AggrChunk and returns it as a chunk with encoding 0xFF.
   */
  public static Chunk encode(Chunk[] aggregates) {
    if (aggregates.length != N) {
      throw new IllegalArgumentException("expected " + N + " aggregates, got " + aggregates.length);
    }
    int size = 0;
    for (Chunk a : aggregates) {
      size += a == null ? 1 : Varint.uvarintSize(a.data().length) + 1 + a.data().length;
    }
    ByteSink sink = new ByteSink(size);
    for (Chunk a : aggregates) {
      if (a == null) {
        sink.writeUvarint(0);
      } else {
        sink.writeUvarint(a.data().length);
        sink.writeByte(a.encoding());
        sink.writeBytes(a.data());
      }
    }
    return aggrChunk(sink);
  }

  /**
   * {@link #encode(Chunk[])} for float aggregates still in their encoders (null = absent), written straight into
   * the AggrChunk: the downsampling's output would otherwise be copied twice, once per sub-chunk and once into
   * the AggrChunk (a third of its allocations).
   */
  public static Chunk encode(XorEncoder[] aggregates) {
    if (aggregates.length != N) {
      throw new IllegalArgumentException("expected " + N + " aggregates, got " + aggregates.length);
    }
    int size = 0;
    for (XorEncoder a : aggregates) {
      size += a == null ? 1 : Varint.uvarintSize(a.sizeBytes()) + 1 + a.sizeBytes();
    }
    ByteSink sink = new ByteSink(size);
    for (XorEncoder a : aggregates) {
      if (a == null) {
        sink.writeUvarint(0);
      } else {
        sink.writeUvarint(a.sizeBytes());
        sink.writeByte(ChunkEncoding.XOR);
        a.writeTo(sink);
      }
    }
    return aggrChunk(sink);
  }

  private static Chunk aggrChunk(ByteSink sink) {
    // The sink was sized exactly (unless below its 16-byte minimum) and is not used again: no copy needed.
    byte[] data = sink.length() == sink.array().length ? sink.array() : sink.toByteArray();
    return new Chunk(ChunkEncoding.AGGR, data);
  }

  /** True when the aggregate has an entry (length &gt; 0). */
  public boolean has(AggrType type) {
    return offset[type.ordinal()] >= 0;
  }

  /** The aggregate's sub-chunk encoding ({@link ChunkEncoding}), or -1 when absent. */
  public int encoding(AggrType type) {
    return has(type) ? encoding[type.ordinal()] : -1;
  }

  /** The aggregate's sub-chunk (a copy of its bytes), or null when absent (Thanos's ErrAggrNotExist). */
  public Chunk get(AggrType type) {
    int i = type.ordinal();
    if (offset[i] < 0) {
      return null;
    }
    return new Chunk(encoding[i], Arrays.copyOfRange(data, offset[i], offset[i] + length[i]));
  }

  /** Thanos's {@code NumSamples()}: the count aggregate's sample count, 0 when absent. */
  public int numSamples() {
    int i = AggrType.COUNT.ordinal();
    if (offset[i] < 0 || length[i] < 2) {
      return 0;
    }
    return ((data[offset[i]] & 0xff) << 8) | (data[offset[i] + 1] & 0xff);
  }

  /** True when this is one of Thanos's native-histogram aggregate chunks (its counter is a histogram chunk). */
  public boolean isHistogram() {
    int e = encoding(AggrType.COUNTER);
    return e == ChunkEncoding.HISTOGRAM || e == ChunkEncoding.FLOAT_HISTOGRAM;
  }

  /**
   * The samples of one float aggregate. An absent aggregate gives an iterator with no samples.
   *
   * @throws CorruptDataException when the aggregate is not an XOR chunk (a histogram sum or counter)
   */
  public SampleIterator iterator(AggrType type) throws CorruptDataException {
    int i = type.ordinal();
    if (offset[i] < 0) {
      return EMPTY;
    }
    if (encoding[i] != ChunkEncoding.XOR) {
      throw new CorruptDataException(where, offset[i] - 1, "the " + type.label() + " aggregate is a "
          + ChunkEncoding.name(encoding[i]) + " chunk; only XOR aggregates can be read as floats");
    }
    XorIterator it = new XorIterator();
    it.reset(where + " (" + type.label() + " aggregate)", data, offset[i], length[i]);
    return it;
  }

  /**
   * The samples of a histogram aggregate (sum or counter of a native-histogram AggrChunk). An absent aggregate
   * gives an iterator with no samples.
   *
   * @throws CorruptDataException when the aggregate is not a histogram chunk
   */
  public HistogramIterator histogramIterator(AggrType type) throws CorruptDataException {
    int i = type.ordinal();
    HistogramIterator it = new HistogramIterator();
    if (offset[i] < 0) {
      it.reset(where, ChunkEncoding.FLOAT_HISTOGRAM, new byte[] {0, 0, 0});
      return it;
    }
    if (encoding[i] != ChunkEncoding.HISTOGRAM && encoding[i] != ChunkEncoding.FLOAT_HISTOGRAM) {
      throw new CorruptDataException(where, offset[i] - 1, "the " + type.label() + " aggregate is a "
          + ChunkEncoding.name(encoding[i]) + " chunk, not a histogram chunk");
    }
    it.reset(where + " (" + type.label() + " aggregate)", encoding[i], data, offset[i], length[i]);
    return it;
  }

  /**
   * Checks an AggrChunk as {@code tools block verify} needs: the entries parse; every XOR aggregate decodes;
   * count, sum, min and max (those present) have the same, strictly increasing timestamps, all inside the
   * chunk's [minTime, maxTime]; the counter's timestamps never decrease and, after its first sample (the first
   * raw value, which may lie before minTime), stay inside the range. Histogram sub-chunks (sum, counter) must
   * carry a histogram encoding and are decoded under the same timestamp rules (a histogram sum's timestamps
   * must equal the count's); the count is always XOR.
   *
   * @return the number of windows (Thanos's NumSamples)
   * @throws CorruptDataException naming {@code where} and what is wrong
   */
  public static int verify(String where, Chunk chunk, long minTime, long maxTime) throws CorruptDataException {
    AggrChunk a = parse(where, chunk);
    long[] stamps = null;
    int windows = -1;
    for (AggrType type : AggrType.values()) {
      int i = type.ordinal();
      if (a.offset[i] < 0) {
        continue;
      }
      int enc = a.encoding[i];
      AggrChunkLayout.checkEncoding(where, i, enc, a.offset[i] - 1);
      SampleIterator it = enc == ChunkEncoding.XOR ? a.iterator(type) : a.histogramIterator(type);
      int n = 0;
      long prev = Long.MIN_VALUE;
      long[] mine = new long[16];
      while (it.next()) {
        long t = it.timestamp();
        boolean counterFirst = type == AggrType.COUNTER && n == 0;
        if (type == AggrType.COUNTER ? t < prev : t <= prev) {
          throw new CorruptDataException(where, a.offset[i], "the " + type.label() + " aggregate goes back in time: "
              + t + " after " + prev);
        }
        if (!counterFirst && (t < minTime || t > maxTime)) {
          throw new CorruptDataException(where, a.offset[i], "the " + type.label() + " aggregate has a sample at "
              + t + " outside the chunk's range [" + minTime + ", " + maxTime + "]");
        }
        if (n == mine.length) {
          mine = Arrays.copyOf(mine, n * 2);
        }
        mine[n++] = t;
        prev = t;
      }
      if (type == AggrType.COUNTER) {
        continue;
      }
      if (stamps == null) {
        stamps = mine;
        windows = n;
      } else if (n != windows || !Arrays.equals(stamps, 0, n, mine, 0, n)) {
        throw new CorruptDataException(where, a.offset[i], "the " + type.label()
            + " aggregate's timestamps differ from the other aggregates' (" + n + " vs " + windows + " windows)");
      }
    }
    return a.numSamples();
  }

  /** The file and chunk this was read from, as given to {@link #parse}. */
  public String where() {
    return where;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("AggrChunk{");
    for (AggrType t : AggrType.values()) {
      if (t.ordinal() > 0) {
        sb.append(", ");
      }
      sb.append(t.label()).append('=');
      sb.append(has(t) ? ChunkEncoding.name(encoding(t)) + "/" + length[t.ordinal()] + "B" : "absent");
    }
    return sb.append('}').toString();
  }

  private static final SampleIterator EMPTY = new SampleIterator() {
    @Override
    public boolean next() {
      return false;
    }

    @Override
    public long timestamp() {
      throw new IllegalStateException("no sample");
    }

    @Override
    public double value() {
      throw new IllegalStateException("no sample");
    }
  };
}
