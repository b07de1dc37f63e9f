package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadPartsTest {
  @TempDir
  Path tmp;

  static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void aFileIsCutIntoRangesThatCoverItExactlyAndReadAgainOnEveryOpen() throws Exception {
    for (int size : new int[] {0, 1, 99, 100, 101, 250, 300}) {
      byte[] data = bytes(size);
      Path file = Files.write(tmp.resolve("f" + size), data);
      UploadParts parts = UploadParts.ofFile("b/f", file, 100);
      UploadParts.Part first = parts.nextPart();
      assertEquals(size <= 100, parts.isWhole(first), size + " bytes in one request");
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      int count = 0;
      for (UploadParts.Part p = first; p.length() > 0; p = parts.nextPart()) {
        assertTrue(p instanceof UploadParts.FileRange, "a range, not bytes");
        byte[] once;
        try (InputStream in = p.open()) {
          once = in.readAllBytes();
        }
        try (InputStream in = p.open()) {
          assertArrayEquals(once, in.readAllBytes(), "a second attempt reads the same bytes");
        }
        assertEquals(p.length(), once.length);
        assertArrayEquals(MessageDigest.getInstance("MD5").digest(once), p.md5());
        all.write(once);
        count++;
      }
      parts.checkComplete();
      assertEquals((size + 99) / 100, count, size + " bytes in parts of 100");
      assertEquals(size, parts.bytesRead());
      assertArrayEquals(data, all.toByteArray());
    }
  }

  @Test
  void aStreamsPartsAreBytesAsBefore() throws Exception {
    byte[] data = bytes(250);
    UploadParts parts = new UploadParts("b/s", new java.io.ByteArrayInputStream(data), data.length, 100);
    UploadParts.Part first = parts.nextPart();
    assertFalse(parts.isWhole(first));
    assertTrue(first instanceof UploadParts.Bytes);
    assertArrayEquals(Arrays.copyOf(data, 100), ((UploadParts.Bytes) first).data());
    assertArrayEquals(MessageDigest.getInstance("MD5").digest(Arrays.copyOf(data, 100)), first.md5());
  }

  @Test
  void aFileThatShrankWhileUploadedFailsNamingItInsteadOfSendingAShortPart() throws Exception {
    Path file = Files.write(tmp.resolve("index"), bytes(300));
    UploadParts parts = UploadParts.ofFile("b/index", file, 200);
    parts.nextPart();
    UploadParts.Part second = parts.nextPart(); // bytes 200-300
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(250);
    }
    BucketException e = assertThrows(BucketException.class, () -> {
      try (InputStream in = second.open()) {
        in.readAllBytes();
      }
    });
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("ends at byte 250"), e.getMessage());
    assertFalse(e.isRetryable());
  }
}
