package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchIntsTest {
  @TempDir
  Path dir;

  private static void exercise(ScratchInts a) throws IOException {
    for (int i = 0; i < 1000; i++) {
      a.add(i * 7 - 3000);
    }
    assertEquals(1000, a.size());
    assertEquals(-3000, a.get(0));
    assertEquals(999 * 7 - 3000, a.get(999));
    a.set(500, Integer.MIN_VALUE);
    assertEquals(Integer.MIN_VALUE, a.get(500));
    a.ensureSize(10_000);
    assertEquals(10_000, a.size());
    assertEquals(0, a.get(9_999), "extended ints are zero");
    assertEquals(999 * 7 - 3000, a.get(999), "extending keeps what was there");
  }

  @Test
  void heapIntsAddSetGetAndExtend() throws IOException {
    try (ScratchInts a = ScratchInts.onHeap()) {
      exercise(a);
    }
  }

  @Test
  void mappedIntsAddSetGetAcrossSlicesAndDeleteTheirFileOnClose() throws IOException {
    ScratchInts a = ScratchInts.mapped(dir, ".tmp-test-");
    exercise(a);
    // Past the first 64 MiB mapping: the second slice holds the ints after 2^24 (the file is sparse).
    long far = (1L << 24) + 5;
    a.ensureSize(far + 1);
    a.set(far, 42);
    a.set((1L << 24) - 1, 41);
    assertEquals(42, a.get(far));
    assertEquals(41, a.get((1L << 24) - 1));
    assertEquals(999 * 7 - 3000, a.get(999));
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith(".tmp-test-")));
    }
    a.close();
    try (Stream<Path> files = Files.list(dir)) {
      assertFalse(files.findAny().isPresent(), "the scratch file is deleted on close");
    }
  }

  @Test
  void spillingIntsStayOnTheHeapUpToTheirLimitThenMoveToAFileKeepingEveryValue() throws IOException {
    ScratchInts a = ScratchInts.spilling(dir, ".tmp-spill-", 1000);
    for (int i = 0; i < 1000; i++) {
      a.add(i * 3);
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertFalse(files.findAny().isPresent(), "no file while the ints fit the heap limit");
    }
    a.add(-1); // the 1001st int spills
    a.set(7, 77);
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith(".tmp-spill-")));
    }
    assertEquals(1001, a.size());
    assertEquals(77, a.get(7));
    assertEquals(999 * 3, a.get(999));
    assertEquals(-1, a.get(1000));
    a.close();
    try (Stream<Path> files = Files.list(dir)) {
      assertFalse(files.findAny().isPresent(), "the spilled file is deleted on close");
    }
    try (ScratchInts b = ScratchInts.spilling(dir, ".tmp-spill-", 10)) {
      exercise(b);
    }
  }

  @Test
  void fsDirectoryScratchIsHiddenFromListings() throws IOException {
    FsDirectory d = new FsDirectory(dir);
    d.writeAll("meta.json", new byte[] {'{', '}'});
    try (ScratchInts a = d.createScratch("index-postings")) {
      a.add(1);
      assertEquals(java.util.List.of("meta.json"), d.listAll());
    }
  }
}
