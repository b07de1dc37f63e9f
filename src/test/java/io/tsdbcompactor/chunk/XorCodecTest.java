package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class XorCodecTest {
  static final long STALE_NAN = 0x7ff0000000000002L;

  static final double[] SPECIALS = {
    Double.longBitsToDouble(STALE_NAN), Double.NaN, Double.longBitsToDouble(0xfff8000000000001L),
    Double.longBitsToDouble(0x7ff0000000000001L), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
    -0.0, 0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE,
    1.0, -1.0, 0.1, 1e21, 1e-5, 123456789.125
  };

  /** Decodes a chunk fully into parallel arrays of timestamps and raw value bits. */
  static long[][] decode(Chunk c) throws CorruptDataException {
    XorIterator it = new XorIterator("test", c.data());
    int n = it.numSamples();
    long[] ts = new long[n];
    long[] vs = new long[n];
    int i = 0;
    while (it.next()) {
      ts[i] = it.timestamp();
      vs[i] = Double.doubleToRawLongBits(it.value());
      assertEquals(vs[i], it.valueBits());
      i++;
    }
    assertEquals(n, i);
    assertFalse(it.next(), "next() stays false");
    return new long[][] {ts, vs};
  }

  static Chunk encode(long[] ts, long[] vs) {
    XorEncoder e = new XorEncoder();
    for (int i = 0; i < ts.length; i++) {
      e.append(ts[i], Double.longBitsToDouble(vs[i]));
    }
    assertEquals(ts.length, e.numSamples());
    return e.toChunk();
  }

  static void assertRoundTrip(long[] ts, long[] vs) throws CorruptDataException {
    Chunk c = encode(ts, vs);
    assertEquals(ChunkEncoding.XOR, c.encoding());
    assertEquals(ts.length, c.numSamples());
    long[][] back = decode(c);
    assertArrayEquals(ts, back[0]);
    assertArrayEquals(vs, back[1]);
  }

  @Test
  void emptyChunkIsTwoZeroBytes() throws CorruptDataException {
    Chunk c = new XorEncoder().toChunk();
    assertArrayEquals(new byte[2], c.data());
    assertFalse(new XorIterator("empty", c.data()).next());
  }

  @Test
  void oneSampleChunkEndsWithTheEmptyBytePrometheusLeaves() throws CorruptDataException {
    XorEncoder e = new XorEncoder();
    e.append(1000, 1.5);
    // count 0001, varint(1000) = d0 0f, 64 value bits, then the empty byte of bstream.writeByte.
    assertEquals("0001d00f3ff800000000000000", HexFormat.of().formatHex(e.toChunk().data()));
    assertRoundTrip(new long[] {1000}, new long[] {Double.doubleToRawLongBits(1.5)});
  }

  /**
   * Chunks ending in repeated samples (same delta, same value: the bits '0' '0') after values whose significant
   * bits fill whole bytes, at every bit alignment: Prometheus's stream ends with an empty byte only when its last
   * field was a whole-byte write, and the decoder must agree, whichever of its paths reads the repeats.
   */
  @Test
  void repeatedSamplesAfterWholeByteValuesEndWhereThePrometheusStreamEnds() throws CorruptDataException {
    Random r = new Random(42);
    for (int round = 0; round < 3000; round++) {
      int n = 3 + r.nextInt(30);
      long[] ts = new long[n];
      long[] vs = new long[n];
      vs[0] = Double.doubleToRawLongBits(r.nextDouble());
      for (int i = 1; i < n; i++) {
        // Regular scrapes with an occasional late one; the last samples repeat the one before them.
        ts[i] = ts[i - 1] + 60_000 + (r.nextInt(8) == 0 ? r.nextInt(3000) : 0);
        boolean tail = i >= n - 1 - r.nextInt(3);
        if (tail || r.nextInt(3) == 0) {
          vs[i] = vs[i - 1];
        } else if (r.nextBoolean()) {
          int bytes = 1 + r.nextInt(7);
          vs[i] = vs[i - 1] ^ ((-1L >>> (64 - 8 * bytes)) << r.nextInt(64 - 8 * bytes + 1)); // whole-byte window
        } else {
          vs[i] = vs[i - 1] ^ (r.nextLong() >>> r.nextInt(64));
        }
      }
      assertRoundTrip(ts, vs);
    }
  }

  @Test
  void specialFloatsSurviveBitExact() throws CorruptDataException {
    int n = SPECIALS.length * SPECIALS.length;
    long[] ts = new long[n];
    long[] vs = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = 1_700_000_000_000L + i * 15_000L;
      // Every ordered pair of specials appears next to each other.
      vs[i] = Double.doubleToRawLongBits(SPECIALS[i % 2 == 0 ? (i / SPECIALS.length) : (i % SPECIALS.length)]);
    }
    assertRoundTrip(ts, vs);
  }

  @Test
  void staleMarkerIsNotCanonicalised() throws CorruptDataException {
    XorEncoder e = new XorEncoder();
    e.append(1, 5.0);
    e.append(2, Double.longBitsToDouble(STALE_NAN));
    e.append(3, Double.NaN);
    long[][] back = decode(e.toChunk());
    assertEquals(STALE_NAN, back[1][1]);
    assertEquals(0x7ff8000000000000L, back[1][2]);
  }

  @Test
  void timestampExtremes() throws CorruptDataException {
    long[][] cases = {
      {Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 0, -1, Long.MAX_VALUE},
      {0, 8192, 16384 + 8192, 3 * 8192 + 8193, 0, -8191},
      {5, 5, 5, 5},
      {-1, -2, -3, -100000000000L},
      {0, 1, 2 + 8192, 3 + 8192 + 65536, 4 + 8192 + 65536 + 524288, 4 + 8192 + 65536 + 524288 + 524289},
    };
    for (long[] ts : cases) {
      long[] vs = new long[ts.length];
      for (int i = 0; i < vs.length; i++) {
        vs[i] = Double.doubleToRawLongBits(i);
      }
      assertRoundTrip(ts, vs);
    }
  }

  @Test
  void deltaOfDeltaBucketEdges() throws CorruptDataException {
    // Exercise both ends of every range (Prometheus's bitRange is asymmetric) and one past each.
    long[] dods = {0, 1, -1, 8192, -8191, 8193, -8192, 65536, -65535, 65537, -65536, 524288, -524287, 524289,
        -524288, Long.MAX_VALUE, Long.MIN_VALUE};
    for (long dod : dods) {
      long[] ts = {100, 200, 300 + dod, 400 + 2 * dod};
      long[] vs = {0, 0, 0, 0};
      assertRoundTrip(ts, vs);
    }
  }

  @Test
  void randomisedRoundTrips() throws CorruptDataException {
    for (int seed = 0; seed < 400; seed++) {
      Random r = new Random(seed);
      int n = 1 + r.nextInt(seed % 10 == 0 ? 2000 : 200);
      long[] ts = new long[n];
      long[] vs = new long[n];
      long t = r.nextLong();
      double v = r.nextGaussian() * 100;
      for (int i = 0; i < n; i++) {
        switch (r.nextInt(10)) {
          case 0 -> t = r.nextLong(); // anywhere, even backwards
          case 1 -> t += r.nextInt(2_000_000) - 1_000_000;
          case 2 -> t += (long) r.nextInt(1 << 20) * (r.nextBoolean() ? 1 : -1);
          default -> t += 15_000 + r.nextInt(41) - 20;
        }
        switch (r.nextInt(8)) {
          case 0 -> v = SPECIALS[r.nextInt(SPECIALS.length)];
          case 1 -> v = Double.longBitsToDouble(r.nextLong());
          case 2 -> { } // repeat
          case 3 -> v = Math.rint(v) + r.nextInt(10);
          default -> v += r.nextGaussian();
        }
        ts[i] = t;
        vs[i] = Double.doubleToRawLongBits(v);
      }
      assertRoundTrip(ts, vs);
    }
  }

  @Test
  void columnAppendsWriteTheBytesOfSampleBySampleAppends() {
    for (int seed = 0; seed < 300; seed++) {
      Random r = new Random(seed);
      int n = r.nextInt(seed % 10 == 0 ? 1000 : 40);
      long[] ts = new long[n];
      double[] vs = new double[n];
      long t = r.nextLong();
      for (int i = 0; i < n; i++) {
        switch (r.nextInt(6)) {
          case 0 -> t = r.nextLong();
          case 1 -> t += r.nextInt(2_000_000) - 1_000_000;
          default -> t += 300_000 + r.nextInt(3) - 1;
        }
        ts[i] = t;
        vs[i] = r.nextInt(5) == 0 ? SPECIALS[r.nextInt(SPECIALS.length)] : Math.rint(r.nextGaussian() * 50) / 4;
      }
      XorEncoder one = new XorEncoder();
      for (int i = 0; i < n; i++) {
        one.append(ts[i], vs[i]);
      }
      // The same samples in up to three column appends, the first of any length (the first two samples of a
      // chunk are coded apart from the rest), after a reset that leaves earlier state behind.
      XorEncoder columns = new XorEncoder();
      columns.append(-5, 7.0);
      columns.append(20, 8.0);
      columns.append(21, 9.0);
      columns.reset();
      int cut1 = n == 0 ? 0 : r.nextInt(n + 1);
      int cut2 = cut1 + (n == cut1 ? 0 : r.nextInt(n - cut1 + 1));
      columns.append(ts, vs, cut1);
      columns.append(Arrays.copyOfRange(ts, cut1, cut2), Arrays.copyOfRange(vs, cut1, cut2), cut2 - cut1);
      columns.append(Arrays.copyOfRange(ts, cut2, n), Arrays.copyOfRange(vs, cut2, n), n - cut2);
      assertEquals(n, columns.numSamples(), "seed " + seed);
      assertArrayEquals(one.toChunk().data(), columns.toChunk().data(), "seed " + seed + ", cuts " + cut1 + ", " + cut2);
      if (n > 0) {
        assertEquals(one.minTime(), columns.minTime());
        assertEquals(one.maxTime(), columns.maxTime());
      }
    }
  }

  @Test
  void iteratesAWindowOfALargerArray() throws CorruptDataException {
    XorEncoder e = new XorEncoder();
    e.append(10, 1.25);
    e.append(20, 2.5);
    byte[] chunk = e.toChunk().data();
    byte[] big = new byte[chunk.length + 10];
    java.util.Arrays.fill(big, (byte) 0xAB);
    System.arraycopy(chunk, 0, big, 7, chunk.length);
    XorIterator it = new XorIterator();
    it.reset("aggr sub-chunk", big, 7, chunk.length);
    assertTrue(it.next());
    assertEquals(10, it.timestamp());
    assertTrue(it.next());
    assertEquals(2.5, it.value());
    assertFalse(it.next());
    // A window one byte short of the chunk is damage reported relative to the window start.
    it.reset("aggr sub-chunk", big, 7, chunk.length - 1);
    CorruptDataException ex = assertThrows(CorruptDataException.class, () -> {
      while (it.next()) { }
    });
    assertTrue(ex.offset() <= chunk.length, ex.getMessage());
  }

  @Test
  void encoderRejectsMoreThanTheCountHolds() {
    XorEncoder e = new XorEncoder();
    for (int i = 0; i < XorEncoder.MAX_SAMPLES; i++) {
      e.append(i, i);
    }
    assertThrows(IllegalStateException.class, () -> e.append(1L << 20, 0));

    XorEncoder columns = new XorEncoder();
    columns.append(new long[] {1, 2, 3}, new double[] {1, 2, 3}, 3);
    long[] ts = new long[XorEncoder.MAX_SAMPLES - 2];
    assertThrows(IllegalStateException.class, () -> columns.append(ts, new double[ts.length], ts.length),
        "one sample too many for the count");
    assertEquals(3, columns.numSamples(), "a column that does not fit appends nothing");
    columns.append(ts, new double[ts.length], ts.length - 1);
    assertEquals(XorEncoder.MAX_SAMPLES, columns.numSamples());
  }

  @Test
  void encoderIsReusable() throws CorruptDataException {
    XorEncoder e = new XorEncoder();
    e.append(1, 2);
    e.append(3, 4);
    byte[] first = e.toChunk().data();
    e.reset();
    e.append(1, 2);
    e.append(3, 4);
    assertArrayEquals(first, e.toChunk().data());
    assertEquals(1, e.minTime());
    assertEquals(3, e.maxTime());
  }

  @Test
  void realPromtoolChunksReencodeByteForByte() throws IOException {
    int xor = 0;
    long samples = 0;
    for (String set : List.of("basic", "overlap")) {
      for (SegmentWalker.Record rec : SegmentWalker.all(set)) {
        if (rec.chunk().encoding() != ChunkEncoding.XOR) {
          continue;
        }
        XorIterator it = new XorIterator(rec.name(), rec.chunk().data());
        XorEncoder e = new XorEncoder();
        while (it.next()) {
          e.append(it.timestamp(), it.value());
        }
        assertArrayEquals(rec.chunk().data(), e.toChunk().data(), rec.name());
        xor++;
        samples += e.numSamples();
      }
    }
    assertTrue(xor > 100, "expected many real chunks, got " + xor);
    assertTrue(samples > 19000, "samples " + samples);
  }

  /** Every (timestamp, value) promtool dumped for the basic blocks is what our decoder reads from them. */
  @Test
  void realChunksMatchPromtoolDump() throws IOException {
    List<String> fromChunks = new ArrayList<>();
    for (SegmentWalker.Record rec : SegmentWalker.all("basic")) {
      XorIterator it = new XorIterator(rec.name(), rec.chunk().data());
      while (it.next()) {
        fromChunks.add(key(it.timestamp(), it.value()));
      }
    }
    List<String> fromDump = new ArrayList<>();
    for (String line : Files.readAllLines(SegmentWalker.testdata().resolve("expected-dump-basic.txt"))) {
      String[] f = line.substring(line.lastIndexOf('}') + 2).split(" ");
      fromDump.add(key(Long.parseLong(f[1]), parseGoFloat(f[0])));
    }
    Collections.sort(fromChunks);
    Collections.sort(fromDump);
    assertEquals(fromDump.size(), fromChunks.size());
    assertEquals(fromDump, fromChunks);
  }

  private static String key(long t, double v) {
    // promtool prints every NaN as "NaN": compare NaNs as a class, everything else by raw bits.
    return t + " " + (Double.isNaN(v) ? "NaN" : Long.toHexString(Double.doubleToRawLongBits(v)));
  }

  private static double parseGoFloat(String s) {
    return switch (s) {
      case "NaN" -> Double.NaN;
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(s);
    };
  }
}
