package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BitReaderTest {
  /**
   * Random reads of 1 to 64 bits, single bits and peeks, from windows of random bytes inside bigger arrays, give
   * the bits of a bit-at-a-time model of the window: the one-load reads in the middle, the two-load reads of more
   * than 57 bits, and the byte-by-byte reads of the last eight bytes alike. A read past the window's end throws.
   */
  @Test
  void readsTheBitsOfABitAtATimeModel() throws CorruptDataException {
    Random r = new Random(11);
    for (int round = 0; round < 3000; round++) {
      byte[] data = new byte[r.nextInt(40)];
      r.nextBytes(data);
      int base = data.length == 0 ? 0 : r.nextInt(data.length + 1);
      int end = base + (data.length == base ? 0 : r.nextInt(data.length - base + 1));
      int from = base + (end == base ? 0 : r.nextInt(Math.min(3, end - base) + 1));
      BitReader in = new BitReader();
      in.reset("chunk", data, base, from, end);
      long bit = (long) from * 8;
      long endBit = (long) end * 8;
      while (bit < endBit) {
        String at = "round " + round + ", bit " + bit;
        assertEquals(endBit - bit, in.bitsLeft(), at);
        assertEquals((bit >> 3) - base, in.byteOffset(), at);
        int kind = r.nextInt(3);
        if (kind == 0) {
          assertEquals(model(data, bit, 1), in.readBit(), at);
          bit++;
        } else if (kind == 1) {
          int n = (int) Math.min(1 + r.nextInt(64), endBit - bit);
          assertEquals(model(data, bit, n), in.readBits(n), at + ", " + n + " bits");
          bit += n;
        } else if (in.canPeek()) {
          assertTrue(end - (bit >> 3) >= 8, at);
          int n = 1 + r.nextInt(BitReader.PEEK_BITS);
          assertEquals(model(data, bit, n), in.peek() >>> -n, at + ", peek of " + n);
          in.skip(n);
          bit += n;
        } else {
          assertTrue(end - (bit >> 3) < 8, at);
        }
      }
      assertEquals(0, in.bitsLeft());
      assertThrows(CorruptDataException.class, in::readBit);
      assertThrows(CorruptDataException.class, () -> in.readBits(1 + r.nextInt(64)));
    }
  }

  /** The {@code n} bits of {@code data} from bit {@code bit} on, one at a time. */
  private static long model(byte[] data, long bit, int n) {
    long v = 0;
    for (long b = bit; b < bit + n; b++) {
      v = v << 1 | (data[(int) (b >>> 3)] >>> (7 - (int) (b & 7)) & 1);
    }
    return v;
  }
}
