package io.tsdbcompactor.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real promtool 2.42 reads what we write: every promtool block is rewritten with a subset of its series (so
 * the symbol table, series refs and postings all change), its chunks copied into many small segments, then
 * {@code promtool tsdb dump} must print exactly the expected dump's lines for those series.
 */
class PromtoolReadsOurFilesTest {

  /** Drops one metric and a third of another's series; decidable on both our labels and dump lines. */
  private static boolean keep(Labels l) {
    return !"pod_up".equals(l.get("__name__")) && !"500".equals(l.get("code"));
  }

  private static boolean keep(String dumpLine) {
    return !dumpLine.startsWith("{__name__=\"pod_up\"") && !dumpLine.contains(", code=\"500\", ");
  }

  @Test
  void promtoolDumpsRewrittenBlocks(@TempDir Path tmp) throws Exception {
    int kept = 0;
    int segmentsWritten = 0;
    try (Stream<Path> s = Files.list(Path.of("testdata/blocks/basic"))) {
      for (Path src : s.sorted().toList()) {
        Path dst = tmp.resolve(src.getFileName());
        FsDirectory out = new FsDirectory(dst);
        List<IndexSeries> series = new ArrayList<>();
        TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
        try (IndexReader r = IndexReader.open(new FsDirectory(src), "index");
            ChunkSegmentReader chunks = new ChunkSegmentReader(new FsDirectory(src));
            ChunkSegmentWriter cw = new ChunkSegmentWriter(out, 1500)) {
          SeriesCursor c = r.series();
          while (c.next()) {
            IndexSeries is = c.at();
            if (!keep(is.labels())) {
              continue;
            }
            kept++;
            for (int i = 0; i < is.labels().size(); i++) {
              symbols.add(is.labels().name(i));
              symbols.add(is.labels().value(i));
            }
            for (ChunkMeta m : is.chunks()) {
              m.ref = cw.writeRecord(chunks.readRecord(m.ref));
            }
            series.add(is);
          }
          cw.close();
          segmentsWritten += cw.segmentFiles().size();
        }
        IndexWriter w = new IndexWriter(out, "index");
        for (String sym : symbols) {
          w.addSymbol(sym);
        }
        for (IndexSeries is : series) {
          w.addSeries(is.labels(), is.chunks());
        }
        w.close();
        Tombstones.writeEmpty(out);
        Files.copy(src.resolve("meta.json"), dst.resolve("meta.json"));
        try (IndexReader check = IndexReader.open(out, "index")) {
          assertEquals(series.size(), check.verify());
        }
      }
    }
    assertTrue(segmentsWritten > 20, "expected many small segments, got " + segmentsWritten);
    Files.createDirectories(tmp.resolve("wal"));

    Process p = new ProcessBuilder("promtool", "tsdb", "dump", tmp.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] dump = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "promtool tsdb dump failed");

    List<String> expected = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("testdata/expected-dump-basic.txt"))) {
      if (keep(line)) {
        expected.add(line);
      }
    }
    List<String> got = List.of(new String(dump, StandardCharsets.UTF_8).split("\n"));
    assertTrue(kept > 10 && expected.size() > 5000, "too little kept: " + kept + " series");
    assertEquals(expected.size(), got.size(), "line count of the dump");
    for (int i = 0; i < got.size(); i++) {
      if (!expected.get(i).equals(got.get(i))) {
        assertEquals(expected.get(i), got.get(i), "dump line " + (i + 1));
      }
    }
  }
}
