package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.tombstones.Interval;
import io.tsdbcompactor.tombstones.Tombstones;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Our dump, copy and reader against live promtool 2.42 on the testdata blocks and on unseen generated ones. */
class BlockPromtoolTest {
  @TempDir
  Path tmp;

  static Stream<Path> testdataBlocks() throws IOException {
    List<Path> all = new ArrayList<>();
    for (String d : new String[] {"basic", "overlap"}) {
      all.addAll(BlockDumper.blockDirs(Path.of("testdata/blocks", d)));
    }
    assertEquals(9, all.size());
    return all.stream();
  }

  static String ourDump(Path dir, long minT, long maxT) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BlockDumper().dump(dir, minT, maxT, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @MethodSource("testdataBlocks")
  void singleBlockDumpEqualsPromtool(Path block) throws Exception {
    String expected = Promtool.dump(tmp, List.of(block), null, null);
    assertTrue(expected.length() > 1000);
    assertEquals(expected, ourDump(block, Long.MIN_VALUE, Long.MAX_VALUE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"basic", "overlap"})
  void testdataDirDumpEqualsExpectedFileAndLivePromtool(String name) throws Exception {
    Path dir = Path.of("testdata/blocks", name);
    String ours = ourDump(dir, Long.MIN_VALUE, Long.MAX_VALUE);
    assertEquals(Files.readString(Path.of("testdata/expected-dump-" + name + ".txt")), ours);
    assertEquals(Promtool.dump(tmp, BlockDumper.blockDirs(dir), null, null), ours);
  }

  @Test
  void timeRangesFilterLikePromtool() throws Exception {
    Path dir = Path.of("testdata/blocks/overlap");
    List<Path> blocks = BlockDumper.blockDirs(dir);
    BlockMeta first = BlockReader.readMeta(new FsDirectory(blocks.get(0)));
    long base = first.minTime;
    long[][] ranges = {
        {base, base}, {base + 1, base + 3_600_000}, {base + 3_599_999, base + 7_200_001},
        {base + 5_000_000, Long.MAX_VALUE}, {Long.MIN_VALUE, base + 123_457}, {base + 9_000_000, base + 8_000_000},
        {0, base - 1},
    };
    for (long[] r : ranges) {
      String expected = Promtool.dump(tmp, blocks, r[0], r[1]);
      assertEquals(expected, ourDump(dir, r[0], r[1]), "range " + r[0] + ".." + r[1]);
    }
  }

  @Test
  void tombstonesAndTrimmingLikePromtool() throws Exception {
    Path src = BlockDumper.blockDirs(Path.of("testdata/blocks/basic")).get(1);
    Path block = tmp.resolve("tomb").resolve(src.getFileName().toString());
    Promtool.copyTree(src, block);
    FsDirectory dir = new FsDirectory(block);
    Tombstones.Builder b = new Tombstones.Builder();
    long minT;
    try (BlockReader r = BlockReader.open(dir)) {
      minT = r.meta().minTime;
      BlockReader.Series s = r.series();
      int i = 0;
      Random rnd = new Random(11);
      while (s.next()) {
        if (i % 3 == 0) {
          long a = minT + rnd.nextInt(7_200_000);
          b.add(s.ref(), new Interval(a, a + rnd.nextInt(1_800_000)));
          if (i % 2 == 0) {
            b.add(s.ref(), new Interval(a + 1_900_000, a + 2_000_000));
          }
        }
        if (i % 7 == 1) {
          b.add(s.ref(), new Interval(Long.MIN_VALUE, Long.MAX_VALUE));
        }
        i++;
      }
    }
    Tombstones.write(dir, b.build());
    Path parent = block.getParent();
    String full = Promtool.dump(tmp, List.of(block), null, null);
    assertEquals(full, ourDump(parent, Long.MIN_VALUE, Long.MAX_VALUE));
    // Trimming to a range cuts chunks; 2.42's interval arithmetic lets some samples outside the range through.
    long lo = minT + 1_000_000;
    long hi = minT + 4_000_000;
    assertEquals(Promtool.dump(tmp, List.of(block), lo, hi), ourDump(parent, lo, hi));

    // A copy applies the tombstones: promtool sees the same samples in it, without a tombstones entry.
    Path copy = BlockCopier.copy(block, tmp.resolve("tombcopy"), false, TestUlids.CLOCK);
    assertEquals(full, Promtool.dump(tmp, List.of(copy), null, null));
    assertEquals(List.of(), BlockVerifier.verify(new FsDirectory(copy)));
  }

  @ParameterizedTest
  @MethodSource("testdataBlocks")
  void copiesPassPromtoolAnalyzeAndDumpIdentically(Path block) throws Exception {
    String original = ourDump(block, Long.MIN_VALUE, Long.MAX_VALUE);
    for (boolean recode : new boolean[] {false, true}) {
      Path copy = BlockCopier.copy(block, tmp.resolve("copy-" + recode), recode, TestUlids.CLOCK);
      Path db = Promtool.database(tmp, List.of(copy));
      Promtool.Result analyze = Promtool.run("tsdb", "analyze", db.toString());
      assertEquals(0, analyze.exitCode(), analyze.stderr());
      assertEquals(original, Promtool.dump(tmp, List.of(copy), null, null), "recode=" + recode);
      assertEquals(original, ourDump(copy, Long.MIN_VALUE, Long.MAX_VALUE));
      assertEquals(List.of(), BlockVerifier.verify(new FsDirectory(copy)));
      BlockMeta src = BlockReader.readMeta(new FsDirectory(block));
      BlockMeta dst = BlockReader.readMeta(new FsDirectory(copy));
      assertEquals(src.minTime, dst.minTime);
      assertEquals(src.maxTime, dst.maxTime);
      assertEquals(src.stats.numSamples, dst.stats.numSamples);
      assertEquals(src.stats.numSeries, dst.stats.numSeries);
      assertEquals(src.stats.numChunks, dst.stats.numChunks);
      assertEquals(src.stats.numSamples, dst.stats.numFloatSamples);
      assertEquals(src.compaction.sources, dst.compaction.sources);
      assertEquals(copy.getFileName().toString(), dst.ulid);
      // Byte-for-byte chunk copy gives identical segment files; so does re-encoding, because our XOR
      // encoder writes what Prometheus's does. The index is identical too.
      assertEquals(-1L, Files.mismatch(block.resolve("chunks/000001"), copy.resolve("chunks/000001")));
      assertEquals(-1L, Files.mismatch(block.resolve("index"), copy.resolve("index")));
    }
  }

  // ------------------------------------------------------------------ unseen data

  private static final String[] VALUE_POOL = {
      "", "a", "b", "web-1:9090", "/api/v1/query", "ü", "日本語", "emoji 😀", "quote \\\" in", "back \\\\ slash",
      "new \\n line", "tab\there", "nbsp\u00a0x", "zero\u200bwidth", "ĀāĂ", "z", "A", "_", "0", "00", "-1",
  };

  /** An OpenMetrics file of random series: values of every kind, jittered millisecond timestamps. */
  static String openMetrics(long seed, long startSec, int hours, double replaceProbability) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder(1 << 20);
    int families = 6;
    for (int f = 0; f < families; f++) {
      String family = "fam_" + f + (f % 2 == 0 ? "_total" : "");
      sb.append("# TYPE ").append(family).append(" gauge\n");
      int series = 3 + (int) ((seed + f) % 5);
      for (int s = 0; s < series; s++) {
        String labels = "{l0=\"" + VALUE_POOL[(f * 7 + s) % VALUE_POOL.length] + "\",l" + (s % 3 + 1) + "=\""
            + VALUE_POOL[(s * 3 + f) % VALUE_POOL.length] + "\",sidx=\"" + s + "\"}";
        int step = 5 + (f * 13 + s * 7) % 60;
        long t = startSec * 1000 + (f * 1000 + s * 17) % 9000;
        long end = (startSec + hours * 3600L) * 1000;
        double counter = 0;
        int kind = (f + s) % 4;
        while (t < end) {
          String v;
          double p = r.nextDouble();
          if (p < 0.01) {
            v = new String[] {"NaN", "+Inf", "-Inf", "-0", "5e-324", "1.7976931348623157e+308", "1e21", "1e-7"}[
                r.nextInt(8)];
          } else if (kind == 0) {
            counter += r.nextInt(100);
            v = Double.toString(counter);
          } else if (kind == 1) {
            v = Double.toString(r.nextDouble() * Math.pow(10, r.nextInt(30) - 15));
          } else if (kind == 2) {
            double d = Double.longBitsToDouble(r.nextLong());
            v = Double.isNaN(d) || Double.isInfinite(d) ? "1" : Double.toString(d);
          } else {
            v = Long.toString(r.nextInt(2_000_000) - 1_000_000) + "." + r.nextInt(1000);
          }
          if (replaceProbability > 0 && r.nextDouble() < replaceProbability) {
            v = Double.toString(r.nextGaussian());
          }
          sb.append(family).append(labels).append(' ').append(v).append(' ')
              .append(t / 1000).append('.').append(String.format("%03d", t % 1000)).append('\n');
          t += step * 1000L + (r.nextInt(3) - 1) * r.nextInt(400);
        }
      }
    }
    sb.append("# EOF\n");
    return sb.toString();
  }

  private Path createBlocks(String name, String... inputs) throws Exception {
    Path out = Files.createDirectories(tmp.resolve(name));
    int i = 0;
    for (String om : inputs) {
      Path in = tmp.resolve(name + "-" + (i++) + ".om");
      Files.writeString(in, om);
      Promtool.Result r = Promtool.run("tsdb", "create-blocks-from", "openmetrics", "-q", in.toString(),
          out.toString());
      assertEquals(0, r.exitCode(), r.stderr());
    }
    return out;
  }

  @Test
  void unseenGeneratedBlocksDumpLikePromtool() throws Exception {
    Path dir = createBlocks("unseen", openMetrics(20261125L, 1_710_000_000L, 5, 0));
    List<Path> blocks = BlockDumper.blockDirs(dir);
    assertTrue(blocks.size() >= 3, "expected several 2h blocks, got " + blocks);
    String expected = Promtool.dump(tmp, blocks, null, null);
    assertTrue(expected.split("\n").length > 10_000);
    assertEquals(expected, ourDump(dir, Long.MIN_VALUE, Long.MAX_VALUE));
    for (Path b : blocks) {
      assertEquals(List.of(), BlockVerifier.verify(new FsDirectory(b)));
      String single = Promtool.dump(tmp, List.of(b), null, null);
      assertEquals(single, ourDump(b, Long.MIN_VALUE, Long.MAX_VALUE));
      Path recoded = BlockCopier.copy(b, tmp.resolve("unseen-recoded"), true, TestUlids.CLOCK);
      assertEquals(0, Promtool.run("tsdb", "analyze", Promtool.database(tmp, List.of(recoded)).toString())
          .exitCode());
      assertEquals(single, Promtool.dump(tmp, List.of(recoded), null, null));
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {99L, 1234L, 77_777L})
  void unseenOverlappingBlocksWithConflictingSamplesMergeLikePromtool(long seed) throws Exception {
    // Same series and timestamps, some values differ: which value wins depends on Prometheus's heap order.
    Path dir = createBlocks("conflict", openMetrics(seed, 1_720_000_000L, 3, 0),
        openMetrics(seed, 1_720_000_000L, 3, 0.3), openMetrics(seed, 1_720_000_000L + 1800, 3, 0.5),
        openMetrics(seed, 1_720_000_000L, 2, 0.9), openMetrics(seed + 1, 1_720_000_000L + 600, 4, 0));
    List<Path> blocks = BlockDumper.blockDirs(dir);
    assertTrue(blocks.size() >= 6, "expected overlapping blocks, got " + blocks);
    // More than 12 blocks, several with the same minTime: Go's sort.Slice is no longer an insertion sort.
    assertTrue(blocks.size() > 12, "expected more than 12 blocks, got " + blocks.size());
    assertEquals(Promtool.dump(tmp, blocks, null, null), ourDump(dir, Long.MIN_VALUE, Long.MAX_VALUE));
    long lo = 1_720_000_000_000L + 3_000_000;
    long hi = lo + 5_000_000;
    assertEquals(Promtool.dump(tmp, blocks, lo, hi), ourDump(dir, lo, hi));

    // Deletions in some of the overlapping blocks, combined with the merge and with trimming.
    Random rnd = new Random(seed);
    for (int i = 0; i < blocks.size(); i += 2) {
      FsDirectory bd = new FsDirectory(blocks.get(i));
      Tombstones.Builder tb = new Tombstones.Builder();
      try (BlockReader r = BlockReader.open(bd)) {
        BlockReader.Series s = r.series();
        while (s.next()) {
          if (rnd.nextInt(3) == 0) {
            long a = r.meta().minTime + rnd.nextInt(2_000_000);
            tb.add(s.ref(), new Interval(a, a + rnd.nextInt(3_000_000)));
          }
        }
      }
      Tombstones.write(bd, tb.build());
    }
    assertEquals(Promtool.dump(tmp, blocks, null, null), ourDump(dir, Long.MIN_VALUE, Long.MAX_VALUE));
    assertEquals(Promtool.dump(tmp, blocks, lo, hi), ourDump(dir, lo, hi));
  }
}
