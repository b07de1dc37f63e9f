package io.tsdbcompactor.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.ChildJvm;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.ForwardingDirectory;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import io.tsdbcompactor.store.ScratchBytes;
import io.tsdbcompactor.store.ScratchBytesAccess;
import io.tsdbcompactor.store.ScratchInts;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index writer builds postings in the directory's scratch ints and keeps its symbol table in the directory's
 * scratch bytes: spilled to mapped files for a directory on disk, on the heap for one in memory. Both must give the
 * same bytes, and the scratch files must be gone afterwards.
 */
class IndexWriterScratchTest {
  @TempDir
  Path tmp;

  private static void fill(IndexWriter w, IndexWriterReaderTest.Data d) throws IOException {
    for (String s : d.symbols()) {
      w.addSymbol(s);
    }
    for (int i = 0; i < d.series().size(); i++) {
      w.addSeries(d.series().get(i), d.chunks().get(i));
    }
  }

  /**
   * A directory on disk whose scratch arrays spill to their mapped file after 100 ints, and whose scratch bytes after
   * 100 bytes in slices of 256 (FsDirectory's own thresholds are MiBs, more than a test block needs), so the mapped
   * paths are the ones written through, symbols spanning slices.
   */
  private static Directory spillingEarly(FsDirectory fs) {
    return new ForwardingDirectory(fs) {
      @Override
      public ScratchInts createScratch(String prefix) {
        return ScratchInts.spilling(fs.root(), ".tmp-" + prefix + "-", 100);
      }

      @Override
      public ScratchBytes createScratchBytes(String prefix) {
        return ScratchBytesAccess.spilling(fs.root(), ".tmp-" + prefix + "-", 100, 8);
      }
    };
  }


  @Test
  void indexOnDiskWithMappedScratchEqualsIndexInMemoryAndLeavesNoScratchFiles() throws IOException {
    IndexWriterReaderTest.Data d = IndexWriterReaderTest.randomData(14, 3000);
    byte[] inMemory = IndexWriterReaderTest.write(d, true);

    Path blockDir = tmp.resolve("block");
    IndexWriter w = new IndexWriter(spillingEarly(new FsDirectory(blockDir)), "index");
    fill(w, d);
    w.close();
    assertArrayEquals(inMemory, Files.readAllBytes(blockDir.resolve("index")));
    try (Stream<Path> files = Files.list(blockDir)) {
      assertEquals(List.of("index"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void abortRemovesTheScratchFiles() throws IOException {
    IndexWriterReaderTest.Data d = IndexWriterReaderTest.randomData(15, 500);
    Path blockDir = tmp.resolve("aborted");
    IndexWriter w = new IndexWriter(spillingEarly(new FsDirectory(blockDir)), "index");
    fill(w, d);
    w.abort();
    try (Stream<Path> files = Files.list(blockDir)) {
      assertEquals(List.of(), files.toList());
    }
  }

  @Test
  void indexWithoutSeriesIsTheSameOnDiskAndInMemory() throws IOException {
    MemoryDirectory mem = new MemoryDirectory("m");
    IndexWriter a = new IndexWriter(mem, "index");
    a.addSymbol("a");
    a.close();
    Path blockDir = tmp.resolve("empty");
    IndexWriter b = new IndexWriter(new FsDirectory(blockDir), "index");
    b.addSymbol("a");
    b.close();
    assertArrayEquals(mem.readAll("index"), Files.readAllBytes(blockDir.resolve("index")));
  }

  /**
   * What grows with the distinct label values (each symbol's place, the symbols' hash, the (name, value) pairs and
   * their order) lives in the directory's scratch, so a writer on disk holds a bounded heap however many there are:
   * 600,000 series with a value each, written in a child JVM of 24 MiB of heap (the look-ups on the heap took about
   * 40 MiB for them).
   */
  @Test
  void seriesWithADistinctValueEachAreIndexedInA24MiBHeap() throws Exception {
    int n = 600_000;
    Path blockDir = tmp.resolve("distinct");
    ChildJvm.run(tmp, ChildJvm.smallHeap("24m"), DistinctValuesChild.class, blockDir.toString(),
        Integer.toString(n));

    try (IndexReader r = IndexReader.open(new FsDirectory(blockDir), "index")) {
      assertEquals(n, r.verify());
      assertEquals(n + 3, r.symbolCount());
      assertEquals(n, r.postings("job", "node").size());
      assertEquals(n, r.labelValues("id").size());
      for (int i : new int[] {0, 1, n / 2, n - 1}) {
        Postings one = r.postings("id", DistinctValuesChild.id(i));
        assertEquals(1, one.size());
        assertTrue(one.next());
        assertEquals(Labels.of("id", DistinctValuesChild.id(i), "job", "node"), r.readSeries(one.at()).labels());
      }
    }
    try (Stream<Path> files = Files.list(blockDir)) {
      assertEquals(List.of("index"), files.map(f -> f.getFileName().toString()).toList());
    }
  }

  /** Writes an index of {@code args[1]} series, each with its own {@code id}, into directory {@code args[0]}. */
  public static final class DistinctValuesChild {
    static String id(int i) {
      return String.format("%08x", i);
    }

    public static void main(String[] args) throws IOException {
      int n = Integer.parseInt(args[1]);
      try (IndexWriter w = new IndexWriter(new FsDirectory(Path.of(args[0])), "index")) {
        for (int i = 0; i < n; i++) {
          w.addSymbol(id(i)); // hex digits sort before the letters of the names
        }
        for (String s : new String[] {"id", "job", "node"}) {
          w.addSymbol(s);
        }
        for (int i = 0; i < n; i++) {
          w.addSeries(Labels.of("id", id(i), "job", "node"), List.of(new ChunkMeta(i, i + 1L, 8L * (i + 1), null)));
        }
      }
    }
  }
}
