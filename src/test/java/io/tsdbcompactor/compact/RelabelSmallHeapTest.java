package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.cli.Main;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.ChildJvm;
import io.tsdbcompactor.store.FsDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tools block rewrite} with relabel rules that reorder every series and merge them in pairs, on a block of
 * 300,000 series, in a child JVM of 32 MiB of heap: the relabelled series and their symbols are sorted in runs on
 * disk. Held on the heap, as they were before, they ran out of it (OutOfMemoryError).
 */
class RelabelSmallHeapTest {
  static final int SERIES = 300_000;
  static final long T0 = 1_700_000_000_000L;

  /** Moves the id's first digit to its end (a new order), and drops the shard (merging each pair). */
  static final String RELABEL = """
      - source_labels: [id]
        regex: '(\\d)(\\d{5})'
        target_label: id
        replacement: '${2}${1}'
      - regex: shard
        action: labeldrop
      """;

  @TempDir Path tmp;

  static String id(int pair) {
    return String.format("%06d", pair);
  }

  @Test
  void relabellingThreeHundredThousandSeriesFitsA32MiBHeap() throws Exception {
    String ulid = TestUlids.next().toString();
    Path src = tmp.resolve("src").resolve(ulid);
    writeBlock(src);
    Path dst = Files.createDirectories(tmp.resolve("dst"));

    String out = ChildJvm.run(tmp, ChildJvm.smallHeap("32m"), Main.class, "tools", "block", "rewrite",
        src.toString(), dst.toString(), "--rewrite.to-relabel-config=" + RELABEL, "--no-dry-run",
        "--rewrite.add-change-log=false");
    assertTrue(out.contains("0 of " + SERIES + " series deleted, 0 with samples deleted, " + SERIES
        + " relabelled, " + SERIES / 2 + " merged into others"), out);

    List<Path> blocks;
    try (Stream<Path> s = Files.list(dst)) {
      blocks = s.toList();
    }
    assertEquals(1, blocks.size(), blocks.toString());
    Path block = blocks.get(0);
    try (Stream<Path> s = Files.walk(block)) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList(),
          "no scratch file left");
    }
    BlockMeta meta = BlockMeta.parse("meta.json", Files.readAllBytes(block.resolve("meta.json")));
    assertEquals(SERIES / 2, meta.stats.numSeries);
    try (IndexReader index = IndexReader.open(new FsDirectory(block), "index")) {
      assertEquals(SERIES / 2, index.verify()); // in label order, each series once
      SeriesCursor c = index.series();
      int n = 0;
      while (c.next()) {
        String rotated = c.at().labels().get("id");
        String original = rotated.charAt(5) + rotated.substring(0, 5);
        assertEquals(Labels.of("__name__", "requests", "id", rotated), c.at().labels());
        assertTrue(Integer.parseInt(original) < SERIES / 2, "pair " + original);
        assertEquals(1, c.at().chunks().size(), "the pair's equal chunks merged into one: " + rotated);
        n++;
      }
      assertEquals(SERIES / 2, n);
    }
  }

  /**
   * A raw block of {@link #SERIES} series {@code requests{id, shard}}: two shards of each of SERIES / 2 ids, with the
   * same two samples.
   */
  static void writeBlock(Path dir) throws Exception {
    Files.createDirectories(dir);
    FsDirectory d = new FsDirectory(dir);
    List<String> symbols = new ArrayList<>(List.of("0", "1", "__name__", "id", "requests", "shard"));
    for (int p = 0; p < SERIES / 2; p++) {
      symbols.add(id(p));
    }
    symbols.sort(Labels::compareStrings);
    try (ChunkSegmentWriter cw = new ChunkSegmentWriter(d); IndexWriter iw = new IndexWriter(d, "index")) {
      for (String s : symbols) {
        iw.addSymbol(s);
      }
      for (int p = 0; p < SERIES / 2; p++) {
        for (String shard : new String[] {"0", "1"}) {
          XorEncoder enc = new XorEncoder();
          enc.append(T0, p);
          enc.append(T0 + 60_000, p + 1);
          ChunkMeta m = enc.toChunkMeta();
          m.ref = cw.write(m.chunk);
          iw.addSeries(Labels.of("__name__", "requests", "id", id(p), "shard", shard), List.of(m));
        }
      }
    }
    BlockMeta meta = new BlockMeta();
    meta.ulid = dir.getFileName().toString();
    meta.minTime = T0;
    meta.maxTime = T0 + 60_001;
    meta.stats.numSeries = SERIES;
    meta.stats.numChunks = SERIES;
    meta.stats.numSamples = 2L * SERIES;
    meta.compaction.level = 1;
    meta.compaction.sources = new ArrayList<>(List.of(meta.ulid));
    meta.thanos().labels = new TreeMap<>(Map.of("cluster", "eu"));
    meta.thanos().source = "sidecar";
    d.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
  }
}
