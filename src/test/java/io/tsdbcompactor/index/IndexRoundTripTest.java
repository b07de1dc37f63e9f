package io.tsdbcompactor.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class IndexRoundTripTest {

  static List<Path> promtoolBlocks() throws IOException {
    List<Path> blocks = new ArrayList<>();
    for (String group : List.of("basic", "overlap")) {
      try (Stream<Path> s = Files.list(Path.of("testdata/blocks", group))) {
        s.filter(Files::isDirectory).sorted().forEach(blocks::add);
      }
    }
    return blocks;
  }

  /** Reading a promtool-written index and writing it again with the same chunk refs gives the same bytes. */
  @Test
  void rewritingPromtoolIndexesIsByteIdentical() throws IOException {
    List<Path> blocks = promtoolBlocks();
    assertEquals(9, blocks.size());
    for (Path block : blocks) {
      byte[] original = Files.readAllBytes(block.resolve("index"));
      MemoryDirectory out = new MemoryDirectory("out");
      long series = 0;
      try (IndexReader r = IndexReader.open(new FsDirectory(block), "index")) {
        assertTrue(r.toc().hasLabelIndices(), "Prometheus 2.42 writes label indices");
        assertEquals(r.verify(), countAll(r));
        IndexWriter w = new IndexWriter(out, "index");
        StringCursor syms = r.symbols();
        while (syms.next()) {
          w.addSymbol(syms.value());
        }
        SeriesCursor c = r.series();
        while (c.next()) {
          w.addSeries(c.at().labels(), c.at().chunks());
          series++;
        }
        w.close();
      }
      assertTrue(series > 0);
      assertArrayEquals(original, out.readAll("index"), block + ": rewritten index differs");
    }
  }

  private static long countAll(IndexReader r) throws IOException {
    Postings p = r.allPostings();
    long n = 0;
    while (p.next()) {
      n++;
    }
    assertEquals(n, p.size());
    return n;
  }

  @Test
  void readsPromtoolIndexAsDumped() throws IOException {
    // The overlap block's series, as promtool's dump shows them, with their postings.
    Path block = promtoolBlocks().stream().filter(p -> p.toString().contains("01M88N6J7TTY0EQ85DPMD1HGKX"))
        .findFirst().orElseThrow();
    try (IndexReader r = IndexReader.open(new FsDirectory(block), "index")) {
      assertEquals(List.of("__name__", "job", "replica"), r.labelNames());
      assertEquals(List.of("interleaved", "only_in_0", "overlap_metric"), r.labelValues("__name__"));
      assertEquals(List.of(), r.labelValues("nope"));
      Postings p = r.postings("job", "x");
      assertTrue(p.next());
      IndexSeries s = r.readSeries(p.at());
      assertEquals("x", s.labels().get("job"));
      assertFalse(p.next());
      assertEquals(0, r.postings("job", "zzz").size());
      assertEquals(0, r.postings("zzz", "x").size());
      SeriesCursor c = r.series();
      assertTrue(c.next());
      assertEquals("{__name__=\"interleaved\", job=\"i\"}", c.at().labels().toString());
      List<ChunkMeta> chunks = c.at().chunks();
      assertEquals(2, chunks.size());
      assertEquals(8, chunks.get(0).ref);
      assertEquals(1700000000000L, chunks.get(0).minTime);
      assertTrue(chunks.get(1).minTime > chunks.get(0).maxTime);
      int n = 1;
      while (c.next()) {
        n++;
      }
      assertEquals(4, n);
    }
  }
}
