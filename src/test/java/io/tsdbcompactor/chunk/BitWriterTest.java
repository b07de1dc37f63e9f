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

  /**
   * Against a bit-at-a-time model of Prometheus's bstream (a list of bits; {@code writeByte} appends a fresh empty
   * byte after a byte it completes, a later single bit uses it up): random mixes of single bits, writes of 1 to 64
   * bits, whole bytes and prefixed writes, across many 64-bit word boundaries, give the model's bytes and length
   * after every write, and the writer is reusable after {@link BitWriter#reset}.
   */
  @Test
  void matchesABitAtATimeModelOfPrometheusStream() {
    Random r = new Random(17);
    BitWriter w = new BitWriter(2, 8);
    for (int round = 0; round < 300; round++) {
      w.reset();
      w.setHeaderByte(0, round);
      java.util.List<Boolean> bits = new java.util.ArrayList<>();
      boolean emptyTail = false;
      int writes = 1 + r.nextInt(60);
      for (int i = 0; i < writes; i++) {
        int kind = r.nextInt(4);
        if (kind == 0) {
          boolean bit = r.nextBoolean();
          w.writeBit(bit);
          bits.add(bit);
          emptyTail = false;
        } else {
          long prefix = r.nextLong();
          int prefixBits = kind == 3 ? 1 + r.nextInt(13) : 0;
          long u = r.nextLong();
          int nbits = kind == 2 ? 8 : 1 + r.nextInt(64);
          if (kind == 3) {
            w.writeBits(prefix, prefixBits, u, nbits);
          } else if (kind == 2) {
            w.writeByte((int) u);
          } else {
            w.writeBits(u, nbits);
          }
          for (int b = prefixBits - 1; b >= 0; b--) {
            bits.add(((prefix >>> b) & 1) != 0);
          }
          for (int b = nbits - 1; b >= 0; b--) {
            bits.add(((u >>> b) & 1) != 0);
          }
          // Prometheus writes the last 8-bit multiple of a value byte by byte: ending on a boundary leaves an
          // empty byte.
          emptyTail = nbits % 8 == 0 && bits.size() % 8 == 0;
        }
        byte[] expected = new byte[2 + (bits.size() + 7) / 8 + (emptyTail ? 1 : 0)];
        expected[0] = (byte) round;
        for (int b = 0; b < bits.size(); b++) {
          if (bits.get(b)) {
            expected[2 + b / 8] |= (byte) (0x80 >>> (b % 8));
          }
        }
        assertEquals(expected.length, w.length(), "round " + round + ", write " + i);
        assertArrayEquals(expected, w.toByteArray(), "round " + round + ", write " + i);
      }
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
