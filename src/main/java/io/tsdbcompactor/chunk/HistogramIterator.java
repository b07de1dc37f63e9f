package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;

/**
 * Decodes a histogram chunk (encoding 2) or a float-histogram chunk (encoding 3), format in
 * {@link HistogramEncoder}, sample by sample, as Prometheus 2.42's {@code histogramIterator} and
 * {@code floatHistogramIterator} do, with every read bounds-checked. After {@link #next()} returned true,
 * {@link #timestamp()} and {@link #histogram()} describe the sample; the histogram object is reused by the next
 * call. A stale marker comes back as Prometheus returns it: only the sum (stale NaN) set, no layout, hint unknown.
 *
 * <p>As a {@link SampleIterator}, {@link #value()} is the histogram's sum, so the timestamp merge of
 * {@link MergingSampleIterator} can run over histogram chunks too.
 *
 * <p>Damage is a {@link CorruptDataException} naming the chunk and the byte offset inside the chunk data: data
 * shorter than the 3-byte header, header bits Prometheus never sets, bits running out before the sample count
 * is reached, an invalid varbit prefix, a span count or bucket count larger than the bits left could hold,
 * values outside the 32-bit fields they were written from, an XOR window wider than 64 bits, and bytes after
 * the last sample other than what Prometheus's bit stream leaves there (checked when {@code next()} first
 * returns false). Never an index exception, never an allocation bigger than the chunk justifies.
 */
public final class HistogramIterator implements SampleIterator {
  private final BitReader in = new BitReader();
  private final Histogram h = new Histogram();
  private String name;
  private byte[] data;
  private int off;
  private int len;
  private boolean floats;

  private int total = -1;
  private int read;
  private boolean done;
  private int header;
  /** The last field read was written by Prometheus with whole-byte writes (see BitWriter's length rule). */
  private boolean lastWholeBytes;
  /**
   * The XOR stream read last, or -1 when the last read was not an XOR value: the whole-byte flag is then asked of
   * that stream once, at the chunk's end, instead of copied after every value.
   */
  private int lastXorSlot = -1;

  // Decoder state, as Prometheus keeps it.
  private long t;
  private long tDelta;
  private long cnt;
  private long cntDelta;
  private long zCnt;
  private long zCntDelta;
  private long[] posDod = new long[8];
  private long[] negDod = new long[8];
  private long sumBits;
  private long cntBits;
  private long zCntBits;
  /** XOR-coded streams: [0] sum, [1] count, [2] zero count, then positive buckets, then negative buckets. */
  private XorValueCoder[] windows = XorValueCoder.array(16);
  /** The layout read from the first sample, kept apart from {@link #h}, which stale samples empty. */
  private final Histogram layout = new Histogram();

  public HistogramIterator() {}

  public HistogramIterator(String nameForErrors, int encoding, byte[] data) {
    reset(nameForErrors, encoding, data, 0, data.length);
  }

  public void reset(String nameForErrors, int encoding, byte[] data) {
    reset(nameForErrors, encoding, data, 0, data.length);
  }

  /** Iterates the chunk data in {@code data[off, off + len)} of encoding 2 or 3. */
  public void reset(String nameForErrors, int encoding, byte[] data, int off, int len) {
    if (encoding != ChunkEncoding.HISTOGRAM && encoding != ChunkEncoding.FLOAT_HISTOGRAM) {
      throw new IllegalArgumentException("not a histogram encoding: " + ChunkEncoding.name(encoding));
    }
    if (off < 0 || len < 0 || off > data.length - len) {
      throw new IndexOutOfBoundsException("window [" + off + ", +" + len + ") of " + data.length + " bytes");
    }
    this.name = nameForErrors;
    this.floats = encoding == ChunkEncoding.FLOAT_HISTOGRAM;
    this.data = data;
    this.off = off;
    this.len = len;
    this.total = -1;
    this.read = 0;
    this.done = false;
    this.lastWholeBytes = false;
    this.lastXorSlot = -1;
    t = tDelta = cnt = cntDelta = zCnt = zCntDelta = 0;
    sumBits = cntBits = zCntBits = 0;
  }

  /** The sample count from the chunk header. */
  public int numSamples() throws CorruptDataException {
    if (total < 0) {
      readHeader();
    }
    return total;
  }

  /** The counter-reset header: one of {@link HistogramEncoder#UNKNOWN_COUNTER_RESET} and its siblings. */
  public int counterResetHeader() throws CorruptDataException {
    if (total < 0) {
      readHeader();
    }
    return header;
  }

  private void readHeader() throws CorruptDataException {
    if (len < 3) {
      throw new CorruptDataException(name, 0, ChunkEncoding.name(floats ? 3 : 2) + " chunk of " + len
          + " bytes has no 3-byte header");
    }
    total = ((data[off] & 0xff) << 8) | (data[off + 1] & 0xff);
    int b = data[off + 2] & 0xff;
    if ((b & 0x3f) != 0) {
      throw new CorruptDataException(name, 2, "histogram chunk header byte 0x" + Integer.toHexString(b)
          + " has bits set that Prometheus never sets (only the top two: the counter-reset header)");
    }
    header = b;
    in.reset(name, data, off, off + 3, off + len);
  }

  @Override
  public boolean next() throws CorruptDataException {
    if (total < 0) {
      readHeader();
    }
    if (read == total) {
      if (!done) {
        done = true;
        checkEnd();
      }
      return false;
    }
    if (read == 0) {
      readFirst();
    } else if (floats) {
      readNextFloat();
    } else {
      readNextInt();
    }
    read++;
    fillOutput();
    return true;
  }

  private void readFirst() throws CorruptDataException {
    Histogram l = layout;
    l.clear(floats);
    l.zeroThreshold = readZeroThreshold();
    long at = in.byteOffset();
    long schema = readVarbitInt();
    if (schema != (int) schema) {
      throw in.corrupt(at, "histogram schema " + schema + " does not fit the 32 bits it was written from");
    }
    l.schema = (int) schema;
    readSpans(l, true);
    readSpans(l, false);
    if (l.schema == Histogram.CUSTOM_BUCKETS_SCHEMA) {
      readCustomValues(l);
    }
    l.sizeBuckets();
    int nb = l.posBucketCount + l.negBucketCount;
    if ((long) nb * (floats ? 64 : 1) > in.bitsLeft()) {
      throw in.corrupt(in.byteOffset(), "the layout has " + nb + " buckets but only " + in.bitsLeft()
          + " bits are left in the chunk");
    }
    if (posDod.length < l.posBucketCount) {
      posDod = new long[l.posBucketCount];
    }
    if (negDod.length < l.negBucketCount) {
      negDod = new long[l.negBucketCount];
    }
    if (windows.length < 3 + nb) {
      windows = XorValueCoder.array(3 + nb);
    }
    t = readVarbitInt();
    if (floats) {
      cntBits = readRaw64(windows[1]);
      zCntBits = readRaw64(windows[2]);
      sumBits = readRaw64(windows[0]);
      for (int i = 0; i < l.posBucketCount; i++) {
        l.posCounts[i] = Double.longBitsToDouble(readRaw64(windows[3 + i]));
      }
      for (int i = 0; i < l.negBucketCount; i++) {
        l.negCounts[i] = Double.longBitsToDouble(readRaw64(windows[3 + l.posBucketCount + i]));
      }
    } else {
      cnt = readVarbitUint();
      zCnt = readVarbitUint();
      sumBits = readRaw64(windows[0]);
      for (int i = 0; i < l.posBucketCount; i++) {
        l.posDeltas[i] = readVarbitInt();
        posDod[i] = 0;
      }
      for (int i = 0; i < l.negBucketCount; i++) {
        l.negDeltas[i] = readVarbitInt();
        negDod[i] = 0;
      }
    }
  }

  private void readSpans(Histogram l, boolean positive) throws CorruptDataException {
    long at = in.byteOffset();
    long n = readVarbitUint();
    // Every span takes at least two bits (length and offset): more spans than that is damage, not data.
    if (n < 0 || n > in.bitsLeft() / 2) {
      throw in.corrupt(at, "histogram layout claims " + Long.toUnsignedString(n) + " spans but only "
          + in.bitsLeft() + " bits are left");
    }
    // Every bucket takes at least one bit of the first sample: more buckets than bits left is damage.
    long buckets = positive ? 0 : l.posBucketCount;
    for (int i = 0; i < n; i++) {
      at = in.byteOffset();
      long length = readVarbitUint();
      long offset = readVarbitInt();
      if (length < 0 || length > Integer.MAX_VALUE || offset != (int) offset) {
        throw in.corrupt(at, "histogram span (offset " + offset + ", length " + Long.toUnsignedString(length)
            + ") does not fit the 32-bit fields it was written from");
      }
      buckets += length;
      if (buckets > Math.min(in.bitsLeft(), Integer.MAX_VALUE - 16)) {
        throw in.corrupt(at, "histogram spans hold " + buckets + " buckets but only " + in.bitsLeft()
            + " bits are left in the chunk");
      }
      if (positive) {
        l.addPosSpan((int) offset, (int) length);
      } else {
        l.addNegSpan((int) offset, (int) length);
      }
    }
    if (positive) {
      l.posBucketCount = (int) buckets;
    }
  }

  /** Prometheus 3's custom bounds: varbit uint count, then each bound as varbit uint 1000*v+1, or '0' + raw bits. */
  private void readCustomValues(Histogram l) throws CorruptDataException {
    long at = in.byteOffset();
    long n = readVarbitUint();
    if (n < 0 || n > in.bitsLeft()) {
      throw in.corrupt(at, "histogram layout claims " + Long.toUnsignedString(n) + " custom bounds but only "
          + in.bitsLeft() + " bits are left");
    }
    for (long i = 0; i < n; i++) {
      long b = readVarbitUint();
      if (b == 0) {
        l.addCustomValue(Double.longBitsToDouble(readRaw64()));
      } else {
        long x = b - 1;
        // Go converts the unsigned value with one correct rounding.
        double v = x >= 0 ? (double) x : Double.parseDouble(Long.toUnsignedString(x));
        l.addCustomValue(v / 1000);
      }
    }
  }

  private void readNextInt() throws CorruptDataException {
    Histogram l = layout;
    tDelta += readVarbitInt();
    t += tDelta;
    cntDelta += readVarbitInt();
    cnt += cntDelta;
    zCntDelta += readVarbitInt();
    zCnt += zCntDelta;
    sumBits = readXor(0);
    if (sumBits == StaleNaN.BITS) {
      return;
    }
    for (int i = 0; i < l.posBucketCount; i++) {
      posDod[i] += readVarbitInt();
      l.posDeltas[i] += posDod[i];
    }
    for (int i = 0; i < l.negBucketCount; i++) {
      negDod[i] += readVarbitInt();
      l.negDeltas[i] += negDod[i];
    }
  }

  private void readNextFloat() throws CorruptDataException {
    Histogram l = layout;
    tDelta += readVarbitInt();
    t += tDelta;
    cntBits = readXor(1);
    zCntBits = readXor(2);
    sumBits = readXor(0);
    if (sumBits == StaleNaN.BITS) {
      return;
    }
    for (int i = 0; i < l.posBucketCount; i++) {
      l.posCounts[i] = Double.longBitsToDouble(readXor(3 + i));
    }
    for (int i = 0; i < l.negBucketCount; i++) {
      l.negCounts[i] = Double.longBitsToDouble(readXor(3 + l.posBucketCount + i));
    }
  }

  private void fillOutput() {
    if (sumBits == StaleNaN.BITS) {
      h.setStale(floats);
      return;
    }
    h.copyFrom(layout);
    h.isFloat = floats;
    h.sum = Double.longBitsToDouble(sumBits);
    if (floats) {
      h.floatCount = Double.longBitsToDouble(cntBits);
      h.floatZeroCount = Double.longBitsToDouble(zCntBits);
    } else {
      h.count = cnt;
      h.zeroCount = zCnt;
    }
    if (header == HistogramEncoder.GAUGE_TYPE) {
      h.counterResetHint = Histogram.GAUGE;
    } else if (read > 1) {
      h.counterResetHint = Histogram.NOT_COUNTER_RESET;
    } else if (header == HistogramEncoder.COUNTER_RESET) {
      h.counterResetHint = Histogram.COUNTER_RESET;
    } else {
      h.counterResetHint = Histogram.UNKNOWN;
    }
  }

  // Field readers; each notes whether its writer ended with a whole-byte write.

  private double readZeroThreshold() throws CorruptDataException {
    int b = in.readByte();
    lastWholeBytes = true;
    lastXorSlot = -1;
    if (b == 0) {
      return 0;
    }
    if (b == 255) {
      return Double.longBitsToDouble(in.readBits(64));
    }
    return Math.scalb(0.5, b - 243);
  }

  private long readRaw64() throws CorruptDataException {
    lastWholeBytes = true;
    lastXorSlot = -1;
    return in.readBits(64);
  }

  /** The first value of an XOR-coded stream: 64 raw bits. */
  private long readRaw64(XorValueCoder window) throws CorruptDataException {
    lastWholeBytes = true;
    lastXorSlot = -1;
    return window.readFirst(in);
  }

  /** Prometheus's varbit prefix: up to eight 1-bits, ended by a 0-bit unless all eight are ones. */
  private int readVarbitSize() throws CorruptDataException {
    int ones = 0;
    while (ones < 8 && in.readBit() == 1) {
      ones++;
    }
    switch (ones) {
      case 0: return 0;
      case 1: return 3;
      case 2: return 6;
      case 3: return 9;
      case 4: return 12;
      case 5: return 18;
      case 6: return 25;
      case 7: return 56;
      default: return 64;
    }
  }

  private long readVarbitInt() throws CorruptDataException {
    int sz = readVarbitSize();
    if (sz == 0) {
      lastWholeBytes = false;
      lastXorSlot = -1;
      return 0;
    }
    long bits = in.readBits(sz);
    lastWholeBytes = (sz & 7) == 0;
    lastXorSlot = -1;
    if (sz < 64 && bits > (1L << (sz - 1))) {
      bits -= 1L << sz;
    }
    return bits;
  }

  private long readVarbitUint() throws CorruptDataException {
    int sz = readVarbitSize();
    if (sz == 0) {
      lastWholeBytes = false;
      lastXorSlot = -1;
      return 0;
    }
    lastWholeBytes = (sz & 7) == 0;
    lastXorSlot = -1;
    return in.readBits(sz);
  }

  /** The next value of XOR-coded stream {@code slot}. */
  private long readXor(int slot) throws CorruptDataException {
    lastXorSlot = slot;
    return windows[slot].read(in, read);
  }

  /** The stream must end where Prometheus's writer would have ended it. */
  private void checkEnd() throws CorruptDataException {
    boolean wholeBytes = lastXorSlot >= 0 ? windows[lastXorSlot].lastReadWholeBytes() : lastWholeBytes;
    in.checkEnd(ChunkEncoding.name(floats ? ChunkEncoding.FLOAT_HISTOGRAM : ChunkEncoding.HISTOGRAM), total, 3,
        wholeBytes);
  }

  @Override
  public long timestamp() {
    return t;
  }

  /** The histogram's sum (see the class comment). */
  @Override
  public double value() {
    return h.sum;
  }

  /** The current sample; reused by the next call to {@link #next()}. */
  public Histogram histogram() {
    return h;
  }

  public boolean isFloat() {
    return floats;
  }
}
