package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchBytesTest {
  @TempDir Path tmp;

  /**
   * Bytes appended in pieces of every size read back the same from the heap and, once past the bound, from the mapped
   * file, ranges spanning its slices included; the file is gone after close.
   */
  @Test
  void bytesReadBackTheSameOnTheHeapAndMappedAcrossSlices() throws Exception {
    Random r = new Random(4);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    ScratchBytes b = new ScratchBytes(tmp, ".tmp-test-", 1000, 10);
    for (int i = 0; i < 400; i++) {
      byte[] piece = new byte[r.nextInt(i % 50 == 0 ? 3000 : 40)];
      r.nextBytes(piece);
      b.append(piece, 0, piece.length);
      expected.write(piece);
      if (expected.size() <= 1000) {
        assertNotNull(b.heapArray(), "on the heap up to the bound");
      }
    }
    assertNull(b.heapArray(), "mapped past the bound");
    byte[] all = expected.toByteArray();
    assertEquals(all.length, b.size());
    for (int i = 0; i < 2000; i++) {
      int from = r.nextInt(all.length);
      int len = r.nextInt(Math.min(all.length - from, 5000) + 1);
      byte[] got = new byte[len];
      b.read(from, got, 0, len);
      assertArrayEquals(Arrays.copyOfRange(all, from, from + len), got, "bytes " + from + "+" + len);
      byte[] want = Arrays.copyOfRange(all, from, from + len);
      assertTrue(b.equalsAt(from, want, new byte[len]));
      if (len > 0) {
        want[len - 1] ^= 1;
        assertFalse(b.equalsAt(from, want, new byte[len]));
      }
    }
    b.close();
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(0, files.count(), "scratch file removed");
    }
  }

  @Test
  void bytesOnTheHeapOnlyNeverMakeAFile() throws Exception {
    ScratchBytes b = ScratchBytes.onHeap();
    byte[] data = new byte[1 << 20];
    new Random(1).nextBytes(data);
    b.append(data, 0, data.length);
    assertNotNull(b.heapArray());
    byte[] got = new byte[data.length];
    b.read(0, got, 0, got.length);
    assertArrayEquals(data, got);
  }
}
