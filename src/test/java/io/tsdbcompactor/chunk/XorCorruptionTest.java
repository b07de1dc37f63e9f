package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Damaged XOR chunks end in CorruptDataException (or decode to other valid samples), never anything else. */
class XorCorruptionTest {

  /** Drains the iterator; returns true if it decoded, false on CorruptDataException; fails on anything else. */
  static boolean decodes(String name, byte[] data) {
    XorIterator it = new XorIterator(name, data);
    int n = 0;
    try {
      while (it.next()) {
        n++;
        if (n > 0xFFFF) {
          fail("more samples than the count allows");
        }
      }
      return true;
    } catch (CorruptDataException e) {
      assertTrue(e.getMessage().startsWith(name), e.getMessage());
      assertTrue(e.offset() >= 0 && e.offset() <= data.length, "offset " + e.offset() + " of " + data.length);
      return false;
    } catch (RuntimeException e) {
      throw new AssertionError(name + ": " + e, e);
    }
  }

  static List<byte[]> samples() throws IOException {
    List<byte[]> out = new ArrayList<>();
    List<SegmentWalker.Record> recs = SegmentWalker.all("basic");
    for (int i = 0; i < recs.size(); i += 7) {
      out.add(recs.get(i).chunk().data());
    }
    Random r = new Random(7);
    for (int k = 0; k < 20; k++) {
      XorEncoder e = new XorEncoder();
      long t = r.nextLong();
      for (int i = 0, n = 1 + r.nextInt(150); i < n; i++) {
        t += r.nextInt(10) == 0 ? r.nextLong() : 15_000 + r.nextInt(100);
        e.append(t, r.nextInt(4) == 0 ? Double.longBitsToDouble(r.nextLong()) : r.nextInt(100));
      }
      out.add(e.toChunk().data());
    }
    return out;
  }

  @Test
  void truncatedChunksAreCorrupt() throws IOException {
    int checked = 0;
    for (byte[] data : samples()) {
      for (int len = 0; len < data.length; len++) {
        byte[] cut = Arrays.copyOf(data, len);
        assertEquals(false, decodes("chunk truncated to " + len, cut), "truncated to " + len);
        checked++;
      }
    }
    assertTrue(checked > 1000);
  }

  @Test
  void extendedChunksAreCorrupt() throws IOException {
    Random r = new Random(3);
    for (byte[] data : samples()) {
      for (int extra = 1; extra <= 9; extra++) {
        byte[] longer = Arrays.copyOf(data, data.length + extra);
        assertEquals(false, decodes("chunk + " + extra + " zero bytes", longer));
        for (int i = data.length; i < longer.length; i++) {
          longer[i] = (byte) r.nextInt();
        }
        assertEquals(false, decodes("chunk + " + extra + " random bytes", longer));
      }
    }
  }

  @Test
  void nonZeroPaddingIsCorrupt() throws CorruptDataException {
    XorEncoder e = new XorEncoder();
    e.append(1, 1);
    e.append(2, 3); // leaves the last byte partly used
    byte[] data = e.toChunk().data();
    assertTrue(decodes("clean", data));
    data[data.length - 1] |= 1;
    CorruptDataException ex = assertThrows(CorruptDataException.class, () -> {
      XorIterator it = new XorIterator("padded", data);
      while (it.next()) { }
    });
    assertTrue(ex.getMessage().contains("padding"), ex.getMessage());
  }

  @Test
  void flippedBitsNeverEscapeAsOtherExceptions() throws IOException {
    int corrupt = 0;
    int total = 0;
    for (byte[] data : samples()) {
      for (int bit = 0; bit < data.length * 8; bit++) {
        byte[] d = data.clone();
        d[bit >> 3] ^= (byte) (0x80 >>> (bit & 7));
        if (!decodes("flip " + bit, d)) {
          corrupt++;
        }
        total++;
      }
    }
    // Most bits are value bits, so a flip usually yields other valid samples (the segment CRC catches those);
    // structural bits (prefixes, counts, windows, lengths) must be caught here.
    assertTrue(corrupt > total / 20, corrupt + " of " + total + " flips detected");
  }

  @Test
  void randomGarbageNeverEscapesAsOtherExceptions() {
    Random r = new Random(11);
    for (int k = 0; k < 20000; k++) {
      byte[] d = new byte[r.nextInt(40)];
      r.nextBytes(d);
      if (d.length >= 2 && r.nextBoolean()) {
        d[0] = 0;
        d[1] = (byte) r.nextInt(8);
      }
      decodes("garbage " + k, d);
    }
  }

  @Test
  void tooShortForTheCount() {
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> new XorIterator("blk/chunks/000001 ref 0x10", new byte[] {1}).next());
    assertTrue(e.getMessage().contains("blk/chunks/000001 ref 0x10"), e.getMessage());
  }
}
