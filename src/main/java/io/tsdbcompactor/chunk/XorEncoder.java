package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.ByteSink;

/**
 * Encodes float samples into an XOR chunk (encoding 1) byte-for-byte as Prometheus 2.42's {@code xorAppender}
 * ({@code tsdb/chunkenc/xor.go}) does when samples are appended to a fresh chunk.
 *
 * <h2>Format</h2>
 * <pre>
 *   2 bytes   big-endian sample count
 *   bit stream, most significant bit first (see {@link BitWriter} for the trailing-byte rule):
 *   sample 0: timestamp as varint (zig-zag) bytes, value as 64 raw IEEE-754 bits
 *   sample 1: (t1 - t0) as uvarint bytes (two's complement: a negative delta takes 10 bytes), value XOR-coded
 *   sample n: delta-of-delta d = (tn - tn-1) - (tn-1 - tn-2), all in wrapping 64-bit arithmetic:
 *               '0'                 d == 0
 *               '10'   + 14 bits    -8191 ..   8192
 *               '110'  + 17 bits   -65535 ..  65536
 *               '1110' + 20 bits  -524287 .. 524288
 *               '1111' + 64 bits    anything else
 *             (the ranges are Prometheus's bitRange: one more on the positive side, read back as
 *             "greater than 2^(n-1) means negative"), then the value XOR-coded.
 *   value XOR-coding against the previous value's raw bits: see {@link XorValueCoder}
 * </pre>
 * Values are raw bits ({@link Double#doubleToRawLongBits}): NaN payloads, -0.0 and subnormals survive. The
 * encoder does not require increasing timestamps (Prometheus's appender does not either); callers that need
 * order enforce it. At most 65535 samples fit the 2-byte count.
 *
 * <p>Reusable: {@link #reset()} after {@link #toChunk()}.
 */
public final class XorEncoder {
  public static final int MAX_SAMPLES = 0xFFFF;

  private final BitWriter out = new BitWriter(2, 256);
  private int num;
  private long t;
  private long tDelta;
  private final XorValueCoder value = new XorValueCoder();
  private long minTime;
  private long maxTime;

  /** An encoder for one chunk; {@link #reset()} makes it reusable. */
  public XorEncoder() {}

  /** Starts a new, empty chunk. */
  public void reset() {
    out.reset();
    num = 0;
    t = 0;
    tDelta = 0;
  }

  /** Appends a sample; timestamps must increase (the caller checks). */
  public void append(long ts, double v) {
    if (num == MAX_SAMPLES) {
      throw new IllegalStateException("an XOR chunk holds at most " + MAX_SAMPLES + " samples");
    }
    long bits = Double.doubleToRawLongBits(v);
    if (num == 0) {
      out.writeVarint(ts);
      value.writeFirst(out, bits);
      minTime = ts;
    } else if (num == 1) {
      tDelta = ts - t;
      out.writeUvarint(tDelta);
      value.write(out, bits);
    } else {
      long delta = ts - t;
      writeLater(delta - tDelta, bits);
      tDelta = delta;
    }
    t = ts;
    maxTime = ts;
    num++;
  }

  /**
   * Appends samples {@code [0, n)} of two columns, as {@link #append(long, double)} does each, or none when they
   * do not all fit. For a caller holding its samples in arrays (the downsampler's aggregates): one loop, with the
   * timestamps' state in local variables.
   */
  public void append(long[] ts, double[] vs, int n) {
    if (n > MAX_SAMPLES - num) {
      throw new IllegalStateException("an XOR chunk holds at most " + MAX_SAMPLES + " samples");
    }
    int i = 0;
    for (; i < n && num < 2; i++) {
      append(ts[i], vs[i]);
    }
    if (i == n) {
      return;
    }
    num += n - i;
    long prevT = t;
    long prevDelta = tDelta;
    for (; i < n; i++) {
      long delta = ts[i] - prevT;
      writeLater(delta - prevDelta, Double.doubleToRawLongBits(vs[i]));
      prevT = ts[i];
      prevDelta = delta;
    }
    t = prevT;
    tDelta = prevDelta;
    maxTime = prevT;
  }

  /** A sample from the third on: its timestamp's delta-of-delta {@code dod}, then its value XOR-coded. */
  private void writeLater(long dod, long bits) {
    if (dod == 0) {
      // The '0' of an unchanged delta goes out with the value, in one write (regular scrapes: most samples).
      value.write(out, 1, bits);
      return;
    }
    if (dod >= -8191 && dod <= 8192) {
      out.writeBits(0b10, 2, dod, 14);
    } else if (dod >= -65535 && dod <= 65536) {
      out.writeBits(0b110, 3, dod, 17);
    } else if (dod >= -524287 && dod <= 524288) {
      out.writeBits(0b1110, 4, dod, 20);
    } else {
      out.writeBits(0b1111, 4);
      out.writeBits(dod, 64);
    }
    value.write(out, bits);
  }

  /** The number of samples appended since the last reset. */
  public int numSamples() {
    return num;
  }

  /** Timestamp of the first sample; undefined while empty. */
  public long minTime() {
    return minTime;
  }

  /** Timestamp of the last appended sample; undefined while empty. */
  public long maxTime() {
    return maxTime;
  }

  /** Size of the chunk data so far, the 2-byte count included. */
  public int sizeBytes() {
    return out.length();
  }

  /** A chunk holding a copy of the bytes written so far; the encoder can keep appending or be reset. */
  public Chunk toChunk() {
    setCount();
    return new Chunk(ChunkEncoding.XOR, out.toByteArray());
  }

  /**
   * Appends the chunk's data bytes, the {@link #sizeBytes()} that {@link #toChunk()} would hold, to {@code sink}:
   * for a caller that puts the chunk inside a bigger record (Thanos's aggregate chunk) without a copy in between.
   */
  public void writeTo(ByteSink sink) {
    setCount();
    out.writeTo(sink);
  }

  private void setCount() {
    out.setHeaderByte(0, num >>> 8);
    out.setHeaderByte(1, num);
  }

  /** {@link #toChunk()} with its time range, ref 0 (set by the segment writer). */
  public ChunkMeta toChunkMeta() {
    return new ChunkMeta(minTime, maxTime, 0, toChunk());
  }
}
