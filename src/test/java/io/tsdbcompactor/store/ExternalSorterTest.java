package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExternalSorterTest {
  @TempDir Path tmp;

  /** A value sorted by its key alone; its sequence number tells the order it was added in. */
  record Keyed(String key, int seq) {}

  static final ExternalSorter.Codec<Keyed> KEYED = new ExternalSorter.Codec<>() {
    @Override
    public void encode(Keyed v, ByteSink out) {
      out.writeIntBE(v.seq());
      out.writeBytes(v.key().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Keyed decode(byte[] b, int len) {
      int seq = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
      return new Keyed(new String(b, 4, len - 4, StandardCharsets.UTF_8), seq);
    }

    @Override
    public long heapBytes(Keyed v) {
      return 64 + v.key().length();
    }
  };

  static final ExternalSorter.Codec<String> STRING = new ExternalSorter.Codec<>() {
    @Override
    public void encode(String v, ByteSink out) {
      out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String decode(byte[] b, int len) {
      return new String(b, 0, len, StandardCharsets.UTF_8);
    }

    @Override
    public long heapBytes(String v) {
      return 40 + v.length();
    }
  };

  static final Comparator<Keyed> BY_KEY = Comparator.comparing(Keyed::key);

  /**
   * Runs kept in a mapped file of 4 KiB slices from their first 100 bytes on: values span slices and the file, as
   * a block's sort on disk keeps them past 4 MiB.
   */
  Directory spillingAtOnce() {
    return new ForwardingDirectory(new MemoryDirectory("test")) {
      @Override
      public ScratchBytes createScratchBytes(String prefix) {
        return new ScratchBytes(tmp, ".tmp-" + prefix + "-", 100, 12);
      }
    };
  }

  /** Keys with many repeats, some long enough to span a slice. */
  static List<Keyed> values(int n, long seed) {
    Random r = new Random(seed);
    List<Keyed> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String key = r.nextInt(10) == 0 ? "long-" + "x".repeat(r.nextInt(9000)) : "k" + r.nextInt(n / 4 + 1);
      values.add(new Keyed(key, i));
    }
    return values;
  }

  static <T> List<T> drain(ExternalSorter.Cursor<T> c) {
    List<T> out = new ArrayList<>();
    while (c.next()) {
      out.add(c.at());
    }
    return out;
  }

  /**
   * Sorted in many runs (a bound of a few values) or in one, on the heap or in a mapped file: the same order as
   * a stable sort on the heap, equal keys in the order they were added.
   */
  @Test
  void sortsLikeAStableSortWhateverTheRuns() throws Exception {
    List<Keyed> values = values(3000, 1);
    List<Keyed> expected = new ArrayList<>(values);
    expected.sort(BY_KEY);
    for (Directory dir : List.of(new MemoryDirectory("heap"), spillingAtOnce())) {
      for (long bound : new long[] {1, 500, 20_000, Long.MAX_VALUE}) {
        try (ExternalSorter<Keyed> s = ExternalSorter.of(dir, "test", BY_KEY, KEYED, bound)) {
          for (Keyed v : values) {
            s.add(v);
          }
          if (bound == 1) {
            assertEquals(values.size(), s.runCount(), "one run per value");
          } else if (bound == Long.MAX_VALUE) {
            assertEquals(0, s.runCount(), "nothing written below the bound");
          } else {
            assertTrue(s.runCount() > 1, "runs: " + s.runCount());
          }
          assertEquals(expected, drain(s.sorted()), "bound " + bound + " in " + dir.describe());
        }
      }
    }
  }

  /** A distinct sort keeps each value once, in order, whether its repeats met on the heap or in different runs. */
  @Test
  void distinctKeepsEachValueOnceAcrossRuns() throws Exception {
    Random r = new Random(2);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      values.add(r.nextInt(3) == 0 ? "v" + i : "common-" + r.nextInt(50));
    }
    List<String> expected = new ArrayList<>(new TreeSet<>(values));
    for (long bound : new long[] {1, 3000, Long.MAX_VALUE}) {
      try (ExternalSorter<String> s = ExternalSorter.distinct(spillingAtOnce(), "test", Comparator.naturalOrder(),
          STRING, bound)) {
        for (String v : values) {
          s.add(v);
        }
        assertEquals(expected, drain(s.sorted()), "bound " + bound);
      }
    }
  }

  /** The runs' file is gone once the sorter is closed, read or not; nothing is added after the sort. */
  @Test
  void closeDeletesTheRunsAndTheSortIsOnceOnly() throws Exception {
    for (boolean read : new boolean[] {true, false}) {
      ExternalSorter<Keyed> s = ExternalSorter.of(spillingAtOnce(), "test", BY_KEY, KEYED, 200);
      for (Keyed v : values(500, 3)) {
        s.add(v);
      }
      assertTrue(scratchFiles() > 0, "runs spilled to a file");
      if (read) {
        drain(s.sorted());
        assertThrows(IllegalStateException.class, () -> s.add(new Keyed("late", 0)));
        assertThrows(IllegalStateException.class, s::sorted);
      }
      s.close();
      assertEquals(0, scratchFiles(), "file deleted on close");
    }
  }

  private long scratchFiles() throws Exception {
    try (Stream<Path> files = Files.list(tmp)) {
      return files.filter(p -> p.getFileName().toString().startsWith(".tmp-")).count();
    }
  }
}
