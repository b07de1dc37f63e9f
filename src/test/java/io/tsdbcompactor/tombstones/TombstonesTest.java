package io.tsdbcompactor.tombstones;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TombstonesTest {

  @Test
  void emptyFileIsByteIdenticalToPromtools() throws IOException {
    MemoryDirectory dir = new MemoryDirectory();
    Tombstones.writeEmpty(dir);
    byte[] ours = dir.readAll("tombstones");
    assertArrayEquals(new byte[] {0x01, 0x30, (byte) 0xba, 0x30, 0x01, 0, 0, 0, 0}, ours);
    try (Stream<Path> s = Files.walk(Path.of("testdata/blocks"))) {
      List<Path> files = s.filter(p -> p.getFileName().toString().equals("tombstones")).toList();
      assertEquals(13, files.size()); // promtool (basic, overlap) and Prometheus 2.42 (histogram*) blocks
      for (Path f : files) {
        assertArrayEquals(Files.readAllBytes(f), ours, f.toString());
        Tombstones t = Tombstones.read(new FsDirectory(f.getParent()), "tombstones");
        assertTrue(t.isEmpty());
        assertEquals(List.of(), t.intervals(1));
      }
    }
  }

  @Test
  void missingFileMeansNoTombstones() throws IOException {
    assertSame(Tombstones.EMPTY, Tombstones.read(new MemoryDirectory(), "tombstones"));
  }

  @Test
  void roundTripAndPrometheusMerging() throws IOException {
    Tombstones t = new Tombstones.Builder()
        .add(3, new Interval(10, 20))
        .add(3, new Interval(21, 30)) // adjacent: joins
        .add(3, new Interval(50, 60))
        .add(3, new Interval(40, 45)) // before the last: stays separate, sorted
        .add(3, new Interval(44, 52)) // bridges 40-45 and 50-60
        .add(1, new Interval(-5, Long.MAX_VALUE))
        .add(7, new Interval(Long.MIN_VALUE, Long.MIN_VALUE))
        .build();
    assertEquals(List.of(new Interval(10, 30), new Interval(40, 60)), t.intervals(3));
    assertEquals(List.of(new Interval(-5, Long.MAX_VALUE)), t.intervals(1));
    assertEquals(4, t.numIntervals());
    assertArrayEquals(new long[] {1, 3, 7}, t.seriesRefs());
    assertTrue(t.isDeleted(3, 30));
    assertFalse(t.isDeleted(3, 31));
    assertFalse(t.isDeleted(2, 31));
    MemoryDirectory dir = new MemoryDirectory();
    Tombstones.write(dir, t);
    assertEquals(t, Tombstones.read(dir, "tombstones"));
    // Stones: uvarint ref, varint minT, varint maxT (zig-zag), in ascending ref order.
    byte[] b = dir.readAll("tombstones");
    assertEquals(1, b[5]); // ref 1
    assertEquals(9, b[6]); // zig-zag(-5)
  }

  @Test
  void damagedFilesAlwaysGiveCorruptDataException() throws IOException {
    Tombstones.Builder builder = new Tombstones.Builder();
    Random data = new Random(42);
    for (int i = 0; i < 50; i++) {
      long min = data.nextInt(100000);
      builder.add(data.nextInt(20), new Interval(min, min + data.nextInt(1000)));
    }
    MemoryDirectory clean = new MemoryDirectory("blk");
    Tombstones.write(clean, builder.build());
    byte[] good = clean.readAll("tombstones");
    for (int seed = 0; seed < 500; seed++) {
      Random rnd = new Random(seed);
      byte[] b;
      switch (seed % 3) {
        case 0 -> {
          b = good.clone();
          b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
        }
        case 1 -> b = Arrays.copyOf(good, rnd.nextInt(good.length));
        default -> {
          b = Arrays.copyOf(good, good.length + 1 + rnd.nextInt(10));
          for (int i = good.length; i < b.length; i++) {
            b[i] = (byte) rnd.nextInt(256);
          }
        }
      }
      MemoryDirectory dir = new MemoryDirectory("blk");
      dir.writeAll("tombstones", b);
      try {
        Tombstones.read(dir, "tombstones");
        fail("seed " + seed + ": damage went unnoticed");
      } catch (CorruptDataException e) {
        assertTrue(e.getMessage().contains("blk/tombstones"), e.getMessage());
      }
    }
  }
}
