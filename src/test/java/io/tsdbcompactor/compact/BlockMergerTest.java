package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.tombstones.Interval;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockMergerTest {
  @TempDir Path tmp;

  static List<BlockMerger.Input> inputs(Path dir) throws IOException {
    List<BlockMerger.Input> in = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> Ulid.isValid(p.getFileName().toString())).sorted().toList()) {
        FsDirectory d = new FsDirectory(p);
        in.add(new BlockMerger.Input(BlockMeta.parse(p + "/meta.json", d.readAll("meta.json")), d));
      }
    }
    in.sort((a, b) -> Group.BY_MIN_TIME.compare(a.meta(), b.meta()));
    return in;
  }

  BlockMeta mergeInto(List<BlockMerger.Input> in, Path db, CompactorOptions.DedupFunc dedup) throws IOException {
    String ulid = TestUlids.next().toString();
    Path out = db.resolve(ulid);
    Files.createDirectories(out);
    return new BlockMerger(dedup).merge(in, new FsDirectory(out),
        new BlockMerger.Output(ulid, Map.of("cluster", "eu"), 0, null));
  }

  @Test
  void mergedOverlapBlocksDumpAsTheirInputsAndPassAnalyze() throws Exception {
    List<BlockMerger.Input> in = inputs(Path.of("testdata/blocks/overlap"));
    assertEquals(6, in.size());
    Path db = tmp.resolve("db");
    BlockMeta meta = mergeInto(in, db, CompactorOptions.DedupFunc.NONE);

    String expected = Files.readString(Path.of("testdata/expected-dump-overlap.txt"));
    assertEquals(expected, Promtool.dump(db));
    Promtool.analyze(db, meta.ulid);

    assertEquals(1700000000000L, meta.minTime);
    assertEquals(1700017987001L, meta.maxTime);
    assertEquals(2, meta.compaction.level);
    assertEquals(6, meta.compaction.sources.size());
    assertEquals(6, meta.compaction.parents.size());
    assertEquals(in.get(0).meta().ulid, meta.compaction.parents.get(0).ulid);
    assertEquals("compactor", meta.thanos.source);
    assertEquals(List.of("000001"), meta.thanos.segmentFiles);
    assertEquals(Map.of("cluster", "eu"), meta.thanos.labels);
    assertEquals(meta.stats.numSamples, meta.stats.numFloatSamples);
    assertEquals(expected.lines().count(), meta.stats.numSamples, "one dump line per sample");
    OutputVerifier.verify(new FsDirectory(db.resolve(meta.ulid)));
    io.tsdbcompactor.index.IndexStats st = io.tsdbcompactor.index.IndexStats.measure(new FsDirectory(db.resolve(meta.ulid)));
    assertTrue(st.seriesMaxSize() > 0);
    // What promtool reads back equals what meta.json says.
    BlockMeta written = BlockMeta.parse("meta", Files.readAllBytes(db.resolve(meta.ulid).resolve("meta.json")));
    assertEquals(meta.stats.numSeries, written.stats.numSeries);
  }

  @Test
  void bothVerificationsAcceptOurOutputAndRejectDamage() throws Exception {
    List<BlockMerger.Input> in = inputs(Path.of("testdata/blocks/overlap"));
    Path db = tmp.resolve("db");
    BlockMeta meta = mergeInto(in, db, CompactorOptions.DedupFunc.NONE);
    FsDirectory out = new FsDirectory(db.resolve(meta.ulid));
    io.tsdbcompactor.index.IndexStats separate = io.tsdbcompactor.index.IndexStats.measure(out);
    assertTrue(separate.seriesMaxSize() > 0);
    for (CompactorOptions.Verification v : CompactorOptions.Verification.values()) {
      OutputVerifier.verify(out, meta, v);
      // The full verifier measures the index stats on its own walk: the same figures as the separate pass.
      assertEquals(separate, OutputVerifier.verifyAndMeasure(out, meta, v), v.toString());
    }
    BlockMeta wrongCount = meta.copy();
    wrongCount.stats.numChunks++;
    assertThrows(io.tsdbcompactor.store.CorruptDataException.class,
        () -> OutputVerifier.verifyStructure(out, wrongCount));
    Path seg = db.resolve(meta.ulid).resolve("chunks/000001");
    byte[] b = Files.readAllBytes(seg);
    b[b.length - 10] ^= 0x01;
    Files.write(seg, b);
    FsDirectory damaged = new FsDirectory(db.resolve(meta.ulid));
    for (CompactorOptions.Verification v : CompactorOptions.Verification.values()) {
      assertThrows(io.tsdbcompactor.store.CorruptDataException.class, () -> OutputVerifier.verify(damaged, meta, v),
          v.toString());
      assertThrows(io.tsdbcompactor.store.CorruptDataException.class,
          () -> OutputVerifier.verifyAndMeasure(damaged, meta, v), v.toString());
    }
  }

  @Test
  void adjacentBlocksKeepEveryChunkByteForByte() throws Exception {
    List<BlockMerger.Input> in = inputs(Path.of("testdata/blocks/basic"));
    Path db = tmp.resolve("db");
    BlockMeta meta = mergeInto(in, db, CompactorOptions.DedupFunc.NONE);
    assertEquals(Files.readString(Path.of("testdata/expected-dump-basic.txt")), Promtool.dump(db));
    Promtool.analyze(db, meta.ulid);

    Map<Labels, List<Chunk>> inputChunks = new HashMap<>();
    long inputChunkCount = 0;
    for (BlockMerger.Input i : in) {
      inputChunkCount += i.meta().stats.numChunks;
      collect(i.dir(), inputChunks);
    }
    Map<Labels, List<Chunk>> outputChunks = new HashMap<>();
    collect(new FsDirectory(db.resolve(meta.ulid)), outputChunks);
    assertEquals(inputChunkCount, meta.stats.numChunks);
    assertEquals(inputChunks, outputChunks, "chunks of adjacent blocks are copied, never re-encoded");
  }

  static void collect(io.tsdbcompactor.store.Directory dir, Map<Labels, List<Chunk>> into) throws IOException {
    try (IndexReader ir = IndexReader.open(dir, "index"); ChunkSegmentReader cr = new ChunkSegmentReader(dir)) {
      SeriesCursor c = ir.series();
      while (c.next()) {
        IndexSeries s = c.at();
        for (ChunkMeta m : s.chunks()) {
          into.computeIfAbsent(s.labels(), k -> new ArrayList<>()).add(cr.read(m.ref));
        }
      }
    }
  }

  @Test
  void tombstonedSamplesDoNotReachTheOutput() throws Exception {
    Path src = copyOfBasic();
    List<BlockMerger.Input> in = inputs(src);
    // Delete everything of the first series of the first block, and a middle range of the second series.
    BlockMerger.Input first = in.get(0);
    List<Long> refs = new ArrayList<>();
    List<Labels> labels = new ArrayList<>();
    try (IndexReader ir = IndexReader.open(first.dir(), "index")) {
      SeriesCursor c = ir.series();
      while (c.next()) {
        refs.add(c.at().ref());
        labels.add(c.at().labels());
      }
    }
    long mid = first.meta().minTime + (first.meta().maxTime - first.meta().minTime) / 2;
    Tombstones t = new Tombstones.Builder()
        .add(refs.get(0), new Interval(Long.MIN_VALUE, Long.MAX_VALUE))
        .add(refs.get(1), new Interval(mid - 600_000, mid + 600_000))
        .build();
    Tombstones.write(first.dir(), t);

    Path db = tmp.resolve("db");
    BlockMeta meta = mergeInto(in, db, CompactorOptions.DedupFunc.NONE);
    Promtool.analyze(db, meta.ulid);
    String dump = Promtool.dump(db);
    // The same deletions, applied by Prometheus when it reads the tombstoned source.
    String expected = Promtool.dump(src);
    assertEquals(expected, dump);
    assertFalse(expected.equals(Files.readString(Path.of("testdata/expected-dump-basic.txt"))),
        "the tombstones removed something");
  }

  /**
   * prometheus/tsdb#347: a head bug left chunks starting exactly at the block's maxTime. Thanos's compactor drops
   * them as it repairs the block, and so does the merge; every other chunk is kept.
   */
  @Test
  void aChunkStartingAtMaxTimeIsDroppedAsThanosRepairDropsIt() throws Exception {
    Path om = tmp.resolve("347.om");
    long t0 = 1_700_000_000_000L;
    try (var w = Files.newBufferedWriter(om)) {
      w.write("# TYPE kept gauge\n");
      for (long t = t0; t < t0 + 3_600_000; t += 60_000) {
        w.write("kept 1 " + t / 1000 + "\n");
      }
      w.write("# TYPE late gauge\nlate 2 " + (t0 + 3_600_000) / 1000 + "\n# EOF\n");
    }
    Path src = tmp.resolve("src");
    List<String> made = GroupCompactorTest.importBlocks(om, src, Map.of("cluster", "a"));
    assertEquals(1, made.size());
    Path metaFile = src.resolve(made.get(0)).resolve("meta.json");
    BlockMeta m = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    m.maxTime = t0 + 3_600_000; // the late sample's chunk now starts at maxTime
    Files.write(metaFile, m.toJsonBytes());

    Path db = tmp.resolve("db");
    mergeInto(inputs(src), db, CompactorOptions.DedupFunc.NONE);
    String dump = Promtool.dump(db);
    assertEquals(60, dump.lines().filter(l -> l.startsWith("{__name__=\"kept\"}")).count(), dump);
    assertFalse(dump.contains("late"), dump);
  }

  @Test
  void nothingLeftWritesNoBlock() throws Exception {
    Path src = copyOfBasic();
    List<BlockMerger.Input> in = inputs(src).subList(0, 1);
    Tombstones.Builder b = new Tombstones.Builder();
    try (IndexReader ir = IndexReader.open(in.get(0).dir(), "index")) {
      SeriesCursor c = ir.series();
      while (c.next()) {
        b.add(c.at().ref(), new Interval(Long.MIN_VALUE, Long.MAX_VALUE));
      }
    }
    Tombstones.write(in.get(0).dir(), b.build());
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    assertNull(new BlockMerger(CompactorOptions.DedupFunc.NONE).merge(in, new FsDirectory(out),
        new BlockMerger.Output(TestUlids.next().toString(), Map.of(), 0, null)));
    assertEquals(List.of(), new FsDirectory(out).listAll());
  }

  @Test
  void corruptChunkNamesTheBlock() throws Exception {
    Path src = copyOfBasic();
    List<BlockMerger.Input> in = inputs(src);
    Path seg = src.resolve(in.get(1).meta().ulid).resolve("chunks/000001");
    flipByte(seg, Files.size(seg) / 2);
    Path out = Files.createDirectories(tmp.resolve("out"));
    BadBlockException e = assertThrows(BadBlockException.class, () -> new BlockMerger(CompactorOptions.DedupFunc.NONE)
        .merge(in, new FsDirectory(out), new BlockMerger.Output(TestUlids.next().toString(), Map.of(), 0, null)));
    assertNamesTheBlock(e, in.get(1).meta().ulid, "chunks", out);
  }

  private static void flipByte(Path file, long at) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[(int) at] ^= 0x55;
    Files.write(file, b);
  }

  /** {@code e} names block {@code ulid} and the {@code file} in it, as corrupted, and no block was written. */
  private static void assertNamesTheBlock(BadBlockException e, String ulid, String file, Path out) {
    assertEquals(List.of(ulid), e.ulids());
    assertEquals(Marker.REASON_CORRUPTED_BLOCK, e.reason());
    assertTrue(e.getMessage().contains(ulid) && e.getMessage().contains(file), e.getMessage());
    assertFalse(Files.exists(out.resolve("meta.json")));
  }

  /** A copy of testdata/blocks/basic to change, in {@code tmp/src}. */
  private Path copyOfBasic() throws Exception {
    Path src = tmp.resolve("src");
    Promtool.copyTree(Path.of("testdata/blocks/basic"), src);
    return src;
  }

  /** Two promtool blocks of the same {@code series} series, scraped 15 s apart (replica labels 0 and 15000). */
  private Path twoReplicas(int series) throws Exception {
    Path src = tmp.resolve("src");
    for (long offset : new long[] {0, 15_000}) {
      Path om = tmp.resolve("in-" + offset + ".om");
      GroupCompactorTest.openMetrics(om, series, 0, 2, offset);
      GroupCompactorTest.importBlocks(om, src, Map.of("replica", Long.toString(offset)));
    }
    return src;
  }

  /** {@code dir} as a directory whose scratch ints spill to a mapped file after two ints. */
  private static io.tsdbcompactor.store.Directory spillingAfterTwoInts(Path dir) {
    return new io.tsdbcompactor.store.ForwardingDirectory(new FsDirectory(dir)) {
      @Override
      public io.tsdbcompactor.store.ScratchInts createScratch(String prefix) {
        return io.tsdbcompactor.store.ScratchInts.spilling(dir, ".tmp-" + prefix + "-", 2);
      }
    };
  }

  /** A series entry that fails its CRC, met while a partition's hashes are computed, names its block. */
  @Test
  void aCorruptSeriesEntryNamesTheBlockWhenPartitioning() throws Exception {
    Path src = copyOfBasic();
    List<BlockMerger.Input> in = inputs(src);
    Path index = src.resolve(in.get(1).meta().ulid).resolve("index");
    long seriesAt;
    try (IndexReader ir = IndexReader.open(in.get(1).dir(), "index")) {
      seriesAt = ir.toc().series();
    }
    flipByte(index, seriesAt + 3);
    Path out = Files.createDirectories(tmp.resolve("out"));
    BadBlockException e = assertThrows(BadBlockException.class, () -> new BlockMerger(CompactorOptions.DedupFunc.NONE)
        .mergePartition(in, new FsDirectory(out), new BlockMerger.Output(TestUlids.next().toString(), Map.of(), 0,
            null), new io.tsdbcompactor.block.PartitionInfo(1, 2, 0)));
    assertNamesTheBlock(e, in.get(1).meta().ulid, "index", out);
  }

  /**
   * Enough overlapping series that the merge runs on both threads (batches of at most 64 series): the output,
   * written in series order whichever thread merged a series, dumps as the inputs do.
   */
  @Test
  void manyOverlappingSeriesMergedOnTwoThreadsDumpAsTheirInputs() throws Exception {
    Path src = twoReplicas(3_000);
    List<BlockMerger.Input> in = inputs(src);
    assertEquals(2, in.size());
    Path db = tmp.resolve("db");
    BlockMeta meta = mergeInto(in, db, CompactorOptions.DedupFunc.NONE);
    assertEquals(3_000, meta.stats.numSeries);
    assertEquals(in.get(0).meta().stats.numSamples + in.get(1).meta().stats.numSamples, meta.stats.numSamples);
    Files.createDirectories(src.resolve("wal"));
    assertEquals(Promtool.dump(src), Promtool.dump(db));
    Promtool.analyze(db, meta.ulid);
    OutputVerifier.verify(new FsDirectory(db.resolve(meta.ulid)));
  }

  /**
   * Each partition of a merge holds the series whose labels hash to it, and its symbol table exactly their names
   * and values (every series here has an instance value of its own). The partitions share their inputs' series
   * hashes, as a compaction's do. All scratch (the hashes, the marks of the symbols in use) is made to spill to
   * mapped files after two ints, and none is left behind.
   */
  @Test
  void partitionsHoldTheirSeriesAndOnlyTheirSymbols() throws Exception {
    Path src = twoReplicas(300);
    List<BlockMerger.Input> in = inputs(src);
    Path db = tmp.resolve("db");
    java.util.Set<Labels> all = new java.util.HashSet<>();
    int count = 3;
    Path hashDir = Files.createDirectories(tmp.resolve("hashes"));
    BlockMerger.SeriesHashes hashes = new BlockMerger.SeriesHashes(spillingAfterTwoInts(hashDir));
    for (int id = 0; id < count; id++) {
      io.tsdbcompactor.block.PartitionInfo p = new io.tsdbcompactor.block.PartitionInfo(42, count, id);
      String ulid = TestUlids.next().toString();
      Path out = db.resolve(ulid);
      Files.createDirectories(out);
      FsDirectory fs = new FsDirectory(out);
      BlockMeta meta = new BlockMerger(CompactorOptions.DedupFunc.NONE).mergePartition(in, spillingAfterTwoInts(out),
          new BlockMerger.Output(ulid, Map.of("cluster", "eu"), 0, null), p, hashes);
      try (Stream<Path> files = Files.list(out)) {
        assertEquals(List.of("chunks", "index", "meta.json"),
            files.map(f -> f.getFileName().toString()).sorted().toList());
      }
      java.util.TreeSet<String> used = new java.util.TreeSet<>(Labels::compareStrings);
      List<String> symbols = new ArrayList<>();
      try (IndexReader ir = IndexReader.open(fs, "index")) {
        SeriesCursor c = ir.series();
        while (c.next()) {
          Labels l = c.at().labels();
          assertTrue(p.holds(Group.labelsHash(l)), l + " in " + p);
          assertTrue(all.add(l), l + " in two partitions");
          for (int i = 0; i < l.size(); i++) {
            used.add(l.name(i));
            used.add(l.value(i));
          }
        }
        io.tsdbcompactor.index.StringCursor sc = ir.symbols();
        while (sc.next()) {
          symbols.add(sc.value());
        }
      }
      assertTrue(meta.stats.numSeries > 50, p + " holds " + meta.stats.numSeries + " series");
      assertEquals(new ArrayList<>(used), symbols, p + "'s symbol table");
    }
    assertEquals(300, all.size());
    try (Stream<Path> files = Files.list(hashDir)) {
      assertEquals(in.size(), files.count(), "one file of hashes per input");
    }
    hashes.close();
    try (Stream<Path> files = Files.list(hashDir)) {
      assertEquals(List.of(), files.toList());
    }
    Files.createDirectories(src.resolve("wal"));
    assertEquals(Promtool.dump(src), Promtool.dump(db));
  }

  @Test
  void penaltyDedupMergesReplicasIntoValidBlock() throws Exception {
    List<BlockMerger.Input> in = inputs(Path.of("testdata/blocks/overlap"));
    Path db = tmp.resolve("db");
    BlockMeta meta = mergeInto(in, db, CompactorOptions.DedupFunc.PENALTY);
    Promtool.analyze(db, meta.ulid);
    String dump = Promtool.dump(db);
    assertTrue(dump.lines().count() > 0);
    assertTrue(dump.lines().count() <= Files.readString(Path.of("testdata/expected-dump-overlap.txt")).lines().count());
    assertArrayEquals(new long[] {1700000000000L, 1700017987001L}, new long[] {meta.minTime, meta.maxTime});
  }
}
