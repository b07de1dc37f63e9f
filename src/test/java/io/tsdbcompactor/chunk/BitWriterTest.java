package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BitWriterTest {
  /**
   * The one-step write of control bits and a value gives the same bytes and the same Prometheus length (the empty
   * byte after a whole-byte write included) as the two writes it replaces, across the 56-bit split and every
   * alignment.
   */
  @Test
  void prefixedWriteEqualsTwoWrites() {
    Random r = new Random(5);
    for (int round = 0; round < 2000; round++) {
      BitWriter one = new BitWriter(2, 8);
      BitWriter two = new BitWriter(2, 8);
      int writes = 1 + r.nextInt(20);
      for (int i = 0; i < writes; i++) {
        int lead = r.nextInt(9); // single bits first: every alignment
        for (int b = 0; b < lead; b++) {
          boolean bit = r.nextBoolean();
          one.writeBit(bit);
          two.writeBit(bit);
        }
        int prefixBits = 1 + r.nextInt(13);
        long prefix = r.nextLong();
        int nbits = 1 + r.nextInt(64);
        long u = r.nextLong();
        one.writeBits(prefix, prefixBits, u, nbits);
        two.writeBits(prefix, prefixBits);
        two.writeBits(u, nbits);
        assertEquals(two.length(), one.length(), "round " + round + ", write " + i);
      }
      assertArrayEquals(two.toByteArray(), one.toByteArray(), "round " + round);
    }
  }

  @Test
  void aWholeByteValueAfterItsPrefixLeavesPrometheusEmptyTrailingByte() {
    BitWriter w = new BitWriter(0, 8);
    w.writeBits(0b10, 2, 0xAB, 8); // ends unaligned: no empty byte
    assertEquals(2, w.length());
    w.writeBits(0b111111, 6, 0xCD, 8); // 24 bits in all, the last 8 a whole-byte write: one empty byte
    assertEquals(4, w.length());
    assertArrayEquals(new byte[] {(byte) 0xAA, (byte) 0xFF, (byte) 0xCD, 0}, w.toByteArray());
  }
}
