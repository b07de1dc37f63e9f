package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class XorValueCoderTest {
  /** Values that hit every case: equal, same window, wider window, 64 significant bits, sign flips, NaN payloads. */
  private static long[] values(Random r, int n) {
    long[] v = new long[n];
    v[0] = Double.doubleToRawLongBits(r.nextDouble());
    for (int i = 1; i < n; i++) {
      switch (r.nextInt(6)) {
        case 0 -> v[i] = v[i - 1];
        case 1 -> v[i] = v[i - 1] ^ (1L << (20 + r.nextInt(8)));
        case 2 -> v[i] = v[i - 1] ^ (r.nextLong() >>> r.nextInt(64));
        case 3 -> v[i] = ~v[i - 1] | 1; // 64 significant bits
        case 4 -> v[i] = 0x7ff0000000000002L;
        default -> v[i] = Double.doubleToRawLongBits(r.nextGaussian());
      }
    }
    return v;
  }

  @Test
  void twoInterleavedStreamsRoundTripBitExact() throws CorruptDataException {
    Random r = new Random(99);
    for (int round = 0; round < 200; round++) {
      int n = 1 + r.nextInt(150);
      long[] a = values(r, n);
      long[] b = values(r, n);
      BitWriter out = new BitWriter(0, 64);
      XorValueCoder wa = new XorValueCoder();
      XorValueCoder wb = new XorValueCoder();
      wa.writeFirst(out, a[0]);
      wb.writeFirst(out, b[0]);
      for (int i = 1; i < n; i++) {
        wa.write(out, a[i]);
        wb.write(out, b[i]);
      }
      byte[] bytes = out.toByteArray();
      BitReader in = new BitReader();
      in.reset("test", bytes, 0, 0, bytes.length);
      XorValueCoder ra = new XorValueCoder();
      XorValueCoder rb = new XorValueCoder();
      assertEquals(a[0], ra.readFirst(in));
      assertEquals(b[0], rb.readFirst(in));
      boolean lastWhole = true;
      for (int i = 1; i < n; i++) {
        assertEquals(a[i], ra.read(in, i), "stream a, value " + i);
        assertEquals(b[i], rb.read(in, i), "stream b, value " + i);
        lastWhole = rb.lastReadWholeBytes();
      }
      // The reader's view of the last field gives back the writer's length, trailing empty byte included.
      in.checkEnd("test", n, 0, lastWhole);
    }
  }

  /**
   * A zero bit written with the value (the XOR chunk's unchanged timestamp delta) gives the bits and the length of
   * the zero bit written alone before it, at every alignment and in every case of the coding.
   */
  @Test
  void aLeadingZeroBitWrittenWithTheValueEqualsItWrittenAlone() {
    Random r = new Random(7);
    for (int round = 0; round < 300; round++) {
      int n = 1 + r.nextInt(120);
      long[] v = values(r, n);
      BitWriter apart = new BitWriter(2, 16);
      BitWriter together = new BitWriter(2, 16);
      int offset = r.nextInt(64);
      if (offset > 0) {
        long junk = r.nextLong();
        apart.writeBits(junk, offset);
        together.writeBits(junk, offset);
      }
      XorValueCoder a = new XorValueCoder();
      XorValueCoder t = new XorValueCoder();
      a.writeFirst(apart, v[0]);
      t.writeFirst(together, v[0]);
      for (int i = 1; i < n; i++) {
        boolean zeroFirst = r.nextBoolean();
        if (zeroFirst) {
          apart.writeBit(false);
        }
        a.write(apart, v[i]);
        t.write(together, zeroFirst ? 1 : 0, v[i]);
        assertEquals(apart.length(), together.length(), "round " + round + ", value " + i);
      }
      assertArrayEquals(apart.toByteArray(), together.toByteArray(), "round " + round);
    }
  }

  @Test
  void aWindowWiderThan64BitsIsCorruption() {
    // '1' '1', 5 bits of leading zeros = 31, 6 bits of significant bits = 40: 71 bits.
    BitWriter out = new BitWriter(0, 16);
    out.writeBits(0b11, 2);
    out.writeBits(31, 5);
    out.writeBits(40, 6);
    out.writeBits(0, 40);
    byte[] bytes = out.toByteArray();
    BitReader in = new BitReader();
    in.reset("chunk x", bytes, 0, 0, bytes.length);
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> new XorValueCoder().read(in, 7));
    assertTrue(e.getMessage().contains("exceeds 64 bits (sample 7)"), e.getMessage());
  }
}
