package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Damaged histogram chunks: truncated, extended, bit-flipped, random. Decoding either succeeds (the damage made
 * another valid chunk) or throws {@link CorruptDataException}; never another exception, never a hang (every
 * sample consumes bits, the count is at most 65535) and never an allocation the chunk's size does not justify.
 */
class HistogramCorruptionTest {

  /** Decodes everything; returns the samples read or throws CorruptDataException. */
  static int drain(int encoding, byte[] data) throws CorruptDataException {
    HistogramIterator it = new HistogramIterator("damaged", encoding, data);
    int n = 0;
    while (it.next()) {
      n++;
    }
    return n;
  }

  static void onlyCorrupt(int encoding, byte[] data, String what) {
    try {
      drain(encoding, data);
    } catch (CorruptDataException e) {
      assertTrue(e.getMessage().startsWith("damaged at offset "), e.getMessage());
    } catch (RuntimeException | Error e) {
      fail(what + ": " + e, e);
    }
  }

  static List<Chunk> validChunks() throws Exception {
    List<Chunk> out = new ArrayList<>();
    for (Map.Entry<String, List<ChunkMeta>> e : RealHistogramBlockTest.series().entrySet()) {
      for (ChunkMeta m : e.getValue()) {
        if (m.chunk.encoding() == ChunkEncoding.HISTOGRAM || m.chunk.encoding() == ChunkEncoding.FLOAT_HISTOGRAM) {
          out.add(m.chunk);
        }
      }
    }
    for (int seed = 0; seed < 20; seed++) {
      Random r = new Random(seed);
      boolean floats = r.nextBoolean();
      Histogram h = new Histogram();
      HistogramGen.layout(r, h, floats);
      HistogramEncoder enc = new HistogramEncoder(floats);
      for (int i = 0; i < 1 + r.nextInt(30); i++) {
        HistogramGen.values(r, h);
        enc.append(i * 15000L, h);
      }
      out.add(enc.toChunk());
    }
    return out;
  }

  @Test
  void truncationAtEveryLengthIsCorruptData() throws Exception {
    for (Chunk c : validChunks()) {
      byte[] d = c.data();
      for (int len = 0; len < d.length; len++) {
        byte[] cut = Arrays.copyOf(d, len);
        assertThrows(CorruptDataException.class, () -> drain(c.encoding(), cut), "length " + len + " of " + d.length);
      }
    }
  }

  @Test
  void trailingBytesAndHeaderBitsAreCorruptData() throws Exception {
    for (Chunk c : validChunks()) {
      byte[] longer = Arrays.copyOf(c.data(), c.data().length + 1);
      assertThrows(CorruptDataException.class, () -> drain(c.encoding(), longer));
      longer[longer.length - 1] = 1;
      assertThrows(CorruptDataException.class, () -> drain(c.encoding(), longer));
      byte[] hdr = c.data().clone();
      hdr[2] |= 0x01;
      CorruptDataException e = assertThrows(CorruptDataException.class, () -> drain(c.encoding(), hdr));
      assertEquals(2, e.offset());
      // Same bytes under the other histogram encoding: misread, but only ever as corrupt data.
      onlyCorrupt(c.encoding() == ChunkEncoding.HISTOGRAM ? ChunkEncoding.FLOAT_HISTOGRAM : ChunkEncoding.HISTOGRAM,
          c.data(), "other encoding");
    }
  }

  @Test
  void flippedBitsAndBytesOnlyEverGiveCorruptData() throws Exception {
    Random r = new Random(11);
    for (Chunk c : validChunks()) {
      for (int k = 0; k < 300; k++) {
        byte[] d = c.data().clone();
        int flips = 1 + r.nextInt(3);
        for (int f = 0; f < flips; f++) {
          int i = r.nextInt(d.length);
          if (r.nextBoolean()) {
            d[i] ^= (byte) (1 << r.nextInt(8));
          } else {
            d[i] = (byte) r.nextInt(256);
          }
        }
        onlyCorrupt(c.encoding(), d, "flips in " + c);
      }
    }
  }

  @Test
  void randomBytesOnlyEverGiveCorruptData() {
    Random r = new Random(5);
    for (int k = 0; k < 20000; k++) {
      byte[] d = new byte[r.nextInt(64)];
      r.nextBytes(d);
      if (d.length > 2) {
        d[2] &= (byte) 0xC0;
      }
      onlyCorrupt(r.nextBoolean() ? ChunkEncoding.HISTOGRAM : ChunkEncoding.FLOAT_HISTOGRAM, d, Arrays.toString(d));
    }
  }

  @Test
  void hugeSpanCountsAreRefusedBeforeAllocating() {
    // count 1, header 0; threshold byte 0; schema '0'; positive span count '11111111' + 64 bits of ones.
    byte[] d = new byte[32];
    d[1] = 1;
    d[3] = 0;
    d[4] = 0b0111_1111;
    Arrays.fill(d, 5, 14, (byte) 0xff);
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> drain(ChunkEncoding.HISTOGRAM, d));
    assertTrue(e.getMessage().contains("spans"), e.getMessage());
    // One span of length 2^25-1: more buckets than bits.
    byte[] b = new byte[40];
    b[1] = 1;
    // threshold 0; schema '0'; span count '10'+'001'; length '1111110'+25 ones; offset '0'
    long bits = 0;
    int n = 0;
    bits = (bits << 1) | 0;          // schema
    n += 1;
    bits = (bits << 5) | 0b10001;    // one span
    n += 5;
    bits = (bits << 7) | 0b1111110;  // length prefix
    n += 7;
    bits = (bits << 25) | ((1L << 25) - 1);
    n += 25;
    bits <<= 64 - n;
    for (int i = 0; i < 8; i++) {
      b[4 + i] = (byte) (bits >>> (56 - 8 * i));
    }
    e = assertThrows(CorruptDataException.class, () -> drain(ChunkEncoding.HISTOGRAM, b));
    assertTrue(e.getMessage().contains("bucket") || e.getMessage().contains("bits"), e.getMessage());
    // Two spans of 2^31-1 buckets each (lengths that still fit the 32-bit field): refused, not overflowed.
    for (int spans = 1; spans <= 2; spans++) {
      BitWriter w = new BitWriter(3, 64);
      w.writeByte(0);             // zero threshold 0
      w.writeBit(false);          // schema 0
      w.writeBits(0b10, 2);       // span count: 3-bit value
      w.writeBits(spans, 3);
      for (int i = 0; i < spans; i++) {
        w.writeBits(0b11111110, 8);
        w.writeBits(Integer.MAX_VALUE, 56);
        w.writeBit(false);        // offset 0
      }
      w.writeBits(0, 64);
      w.setHeaderByte(1, 1);
      byte[] d2 = w.toByteArray();
      e = assertThrows(CorruptDataException.class, () -> drain(ChunkEncoding.FLOAT_HISTOGRAM, d2));
      assertTrue(e.getMessage().contains("buckets"), e.getMessage());
    }
  }
}
