package io.tsdbcompactor.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.ForwardingDirectory;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import io.tsdbcompactor.store.ScratchBytes;
import io.tsdbcompactor.store.ScratchBytesAccess;
import io.tsdbcompactor.store.ScratchInts;
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
}
