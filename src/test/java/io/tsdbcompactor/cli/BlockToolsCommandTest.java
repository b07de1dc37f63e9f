package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.block.Ulid;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockToolsCommandTest {
  @TempDir
  Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream oldOut;
  private PrintStream oldErr;

  @BeforeEach
  void capture() {
    oldOut = System.out;
    oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(oldOut);
    System.setErr(oldErr);
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private static Path copyOfFirstBlock(Path tmp) throws Exception {
    Path src = BlockDumper.blockDirs(Path.of("testdata/blocks/basic")).get(0);
    Path dst = tmp.resolve("in").resolve(src.getFileName().toString());
    Files.createDirectories(dst.resolve("chunks"));
    try (Stream<Path> files = Files.walk(src)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        Files.copy(p, dst.resolve(src.relativize(p).toString()));
      }
    }
    return dst;
  }

  @Test
  void dumpPrintsPromtoolOutput() throws Exception {
    assertEquals(0, Main.run("tools", "block", "dump", "testdata/blocks/overlap"));
    assertEquals(Files.readString(Path.of("testdata/expected-dump-overlap.txt")), stdout());
  }

  @Test
  void dumpHonoursTimeRange() throws Exception {
    Path block = BlockDumper.blockDirs(Path.of("testdata/blocks/basic")).get(0);
    String all = Files.readString(Path.of("testdata/expected-dump-basic.txt"));
    StringBuilder expected = new StringBuilder();
    long lo = 1700000300000L;
    long hi = 1700000600000L;
    for (String line : all.split("\n")) {
      long t = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
      if (t >= lo && t <= hi) {
        expected.append(line).append('\n');
      }
    }
    assertEquals(0, Main.run("tools", "block", "dump", "--min-time", Long.toString(lo), "--max-time",
        Long.toString(hi), block.toString()));
    assertEquals(expected.toString(), stdout());
  }

  @Test
  void verifyCleanBlocks() {
    assertEquals(0, Main.run("tools", "block", "verify", "testdata/blocks/basic"));
    assertEquals(3, stdout().lines().filter(l -> l.startsWith("OK ")).count());
    assertEquals("", stderr());
  }

  @Test
  void verifyReportsDamageNamingTheFile() throws Exception {
    Path block = copyOfFirstBlock(tmp);
    byte[] seg = Files.readAllBytes(block.resolve("chunks/000001"));
    seg[100] ^= 0x40;
    Files.write(block.resolve("chunks/000001"), seg);
    assertEquals(1, Main.run("tools", "block", "verify", block.toString()));
    assertTrue(stderr().contains(block.getFileName() + "/chunks/000001"), stderr());
    assertTrue(stderr().startsWith("block " + block.toAbsolutePath()), stderr());
  }

  /**
   * A downsampled block whose sum aggregate claims one window more than the count in one chunk, the record's CRC
   * made right again: only the aggregate chunk check finds it.
   */
  @Test
  void verifyFindsAnAggregateChunkWhoseAggregatesDisagree() throws Exception {
    Path src = BlockDumper.blockDirs(Path.of("testdata/blocks/basic")).get(0);
    Ulid ulid = TestUlids.next();
    Path dst = tmp.resolve("ds").resolve(ulid.toString());
    BlockDownsampler.downsample(new FsDirectory(src), new FsDirectory(dst), 300_000, ulid);
    assertEquals(0, Main.run("tools", "block", "verify", dst.toString()), stderr());

    long ref;
    try (io.tsdbcompactor.index.IndexReader index = io.tsdbcompactor.index.IndexReader.open(new FsDirectory(dst),
        "index")) {
      io.tsdbcompactor.index.SeriesCursor c = index.series();
      assertTrue(c.next());
      ref = c.at().chunks().get(0).ref;
    }
    Path segment = dst.resolve(io.tsdbcompactor.chunkfile.ChunkRef.segmentFileName(
        io.tsdbcompactor.chunkfile.ChunkRef.segmentIndex(ref)));
    byte[] seg = Files.readAllBytes(segment);
    io.tsdbcompactor.store.Decoder record = new io.tsdbcompactor.store.Decoder(
        new io.tsdbcompactor.store.ByteArrayInput("segment", seg), io.tsdbcompactor.chunkfile.ChunkRef.offset(ref),
        seg.length);
    int len = record.readUvarint32();
    int encodingAt = (int) record.position();
    byte[] data = java.util.Arrays.copyOfRange(seg, encodingAt + 1, encodingAt + 1 + len);
    int[] offset = new int[5];
    io.tsdbcompactor.chunk.AggrChunkLayout.parse("test", data, len, offset, new int[5], new int[5]);
    int sumCount = encodingAt + 1 + offset[io.tsdbcompactor.chunk.AggrChunkLayout.SUM];
    seg[sumCount + 1]++;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(seg, encodingAt, 1 + len);
    java.nio.ByteBuffer.wrap(seg, encodingAt + 1 + len, 4).putInt((int) crc.getValue());
    Files.write(segment, seg);

    assertEquals(1, Main.run("tools", "block", "verify", dst.toString()));
    assertTrue(stderr().startsWith("block " + dst.toAbsolutePath()), stderr());
    assertTrue(stderr().contains(io.tsdbcompactor.chunkfile.ChunkRef.toString(ref)), stderr());
    assertTrue(stderr().contains("the sum aggregate holds"), stderr());
  }

  @Test
  void dumpOfCorruptBlockFailsWithOneLineNamingTheFile() throws Exception {
    Path block = copyOfFirstBlock(tmp);
    byte[] index = Files.readAllBytes(block.resolve("index"));
    Files.write(block.resolve("index"), java.util.Arrays.copyOf(index, 40));
    assertEquals(1, Main.run("tools", "block", "dump", block.toString()));
    assertTrue(stderr().startsWith("tools block dump: "), stderr());
    assertTrue(stderr().contains(block.getFileName() + "/index"), stderr());
    assertEquals(1, stderr().lines().count(), stderr());
  }

  @Test
  void missingDirectoryFails() {
    assertEquals(1, Main.run("tools", "block", "dump", tmp.resolve("nope").toString()));
    assertTrue(stderr().contains("nope"), stderr());
    assertEquals(1, Main.run("tools", "block", "verify", tmp.resolve("nope").toString()));
    assertEquals(1, Main.run("tools", "block", "copy", tmp.resolve("nope").toString(), tmp.toString()));
    assertTrue(stderr().contains("nope/meta.json"), stderr());
  }

  @Test
  void copyWritesNewBlockThatDumpsIdentically() throws Exception {
    Path src = BlockDumper.blockDirs(Path.of("testdata/blocks/basic")).get(2);
    for (String mode : new String[] {"--recode", null}) {
      out.reset();
      Path dst = tmp.resolve("out-" + mode);
      int code = mode == null ? Main.run("tools", "block", "copy", src.toString(), dst.toString())
          : Main.run("tools", "block", "copy", mode, src.toString(), dst.toString());
      assertEquals(0, code, stderr());
      Path created = Path.of(stdout().trim());
      assertEquals(dst, created.getParent());
      assertTrue(Ulid.isValid(created.getFileName().toString()));
      out.reset();
      assertEquals(0, Main.run("tools", "block", "dump", created.toString()));
      String copyDump = stdout();
      out.reset();
      assertEquals(0, Main.run("tools", "block", "dump", src.toString()));
      assertEquals(stdout(), copyDump);
      assertEquals(0, Main.run("tools", "block", "verify", created.toString()));
    }
  }

  @Test
  void downsampledBlocksDumpWithAllAggregatesOrOneChosen() throws Exception {
    Path src = BlockDumper.blockDirs(Path.of("testdata/blocks/basic")).get(0);
    Ulid ulid = TestUlids.next();
    Path dst = tmp.resolve("ds").resolve(ulid.toString());
    BlockMeta meta = BlockDownsampler.downsample(new FsDirectory(src), new FsDirectory(dst), 300_000, ulid).meta();
    assertEquals(300_000, meta.resolution());

    assertEquals(0, Main.run("tools", "block", "dump", dst.toString()), stderr());
    String all = stdout();
    assertTrue(all.contains(" count="), all.substring(0, Math.min(all.length(), 300)));
    assertTrue(all.startsWith("{__name__=\"http_requests_total\""), all.substring(0, 200));

    out.reset();
    assertEquals(0, Main.run("tools", "block", "dump", "--aggregate", "count", dst.toString()), stderr());
    String counts = stdout();
    String firstLine = counts.lines().findFirst().orElseThrow();
    assertTrue(firstLine.matches("\\{.*\\} \\d+ \\d+"), firstLine);
    assertEquals(all.lines().filter(l -> l.contains(" count=")).count(), counts.lines().count());

    assertEquals(0, Main.run("tools", "block", "verify", dst.toString()), stderr());

    // A copy of a downsampled block keeps its AggrChunks, resolution and thanos section.
    out.reset();
    assertEquals(0, Main.run("tools", "block", "copy", "--recode", dst.toString(), tmp.resolve("dscopy").toString()),
        stderr());
    Path copy = Path.of(stdout().trim());
    BlockMeta copied = BlockReader.readMeta(new FsDirectory(copy));
    assertEquals(300_000, copied.resolution());
    assertEquals(List.of("000001"), copied.thanos.segmentFiles);
    assertEquals(meta.stats.numSamples, copied.stats.numSamples);
    assertEquals(0, Main.run("tools", "block", "verify", copy.toString()), stderr());
    out.reset();
    assertEquals(0, Main.run("tools", "block", "dump", copy.toString()));
    assertEquals(all, stdout());

    assertEquals(2, Main.run("tools", "block", "dump", "--aggregate", "median", dst.toString()));
    assertTrue(stderr().contains("--aggregate"), stderr());
  }

  @Test
  void badUsageExitsWithTwo() {
    assertEquals(2, Main.run("tools", "block", "dump"));
    assertEquals(2, Main.run("tools", "block", "dump", "--min-time", "abc", "x"));
    assertEquals(2, Main.run("tools", "block", "copy", "onlyone"));
  }
}
