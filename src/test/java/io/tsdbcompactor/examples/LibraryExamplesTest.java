package io.tsdbcompactor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.store.FsDirectory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the examples of docs/library.md on the promtool-made blocks in testdata/. */
class LibraryExamplesTest {
  static final Path BASIC = Path.of("testdata/blocks/basic");
  static final Path OVERLAP = Path.of("testdata/blocks/overlap");
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T07:00:00Z"), ZoneOffset.UTC);

  @TempDir
  Path tmp;

  static List<Path> blocks(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  static String dump(Path blockOrDir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BlockDumper().dump(blockOrDir, Long.MIN_VALUE, Long.MAX_VALUE, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void printBlockSummarisesEverySeriesThenPrintsPromtoolsDump() throws IOException {
    Path block = blocks(BASIC).get(0);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      LibraryExamples.printBlock(block, out);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    BlockMeta meta = BlockReader.readMeta(new FsDirectory(block));
    String header = "block " + meta.ulid + " [" + meta.minTime + ", " + meta.maxTime + "): " + meta.stats.numSeries
        + " series, " + meta.stats.numSamples + " samples\n";
    assertTrue(text.startsWith(header), text.substring(0, 200));
    String promtool = dump(block);
    assertTrue(text.endsWith(promtool), "ends with promtool's dump of the block");
    // One summary per series (label values may hold newlines, so match the summary's tail, not lines).
    Matcher m = Pattern.compile(" (\\d+) samples, last value \\S+\n")
        .matcher(text.substring(header.length(), text.length() - promtool.length()));
    long series = 0;
    long samples = 0;
    while (m.find()) {
      series++;
      samples += Long.parseLong(m.group(1));
    }
    assertEquals(meta.stats.numSeries, series);
    assertEquals(meta.stats.numSamples, samples);
  }

  @Test
  void mergeOfOverlappingBlocksHoldsWhatPromtoolDumpsOfThem() throws IOException {
    BlockMeta merged = LibraryExamples.mergeBlocks(blocks(OVERLAP), tmp, CLOCK);
    Path out = tmp.resolve(merged.ulid);
    assertEquals(List.of(), BlockVerifier.verify(new FsDirectory(out)));
    assertEquals(Files.readString(Path.of("testdata/expected-dump-overlap.txt")), dump(out));
    assertEquals(blocks(OVERLAP).size(), merged.compaction.sources.size());
    assertEquals(CLOCK.millis(), io.tsdbcompactor.block.Ulid.parse(merged.ulid).timestamp());
  }

  @Test
  void downsampleWritesA5mBlockOfTheSameSeries() throws IOException {
    Path raw = blocks(BASIC).get(1);
    BlockMeta source = BlockReader.readMeta(new FsDirectory(raw));
    BlockMeta down = LibraryExamples.downsampleTo5m(raw, tmp, CLOCK);
    Path out = tmp.resolve(down.ulid);
    assertEquals(Resolution.FIVE_MINUTES, down.resolution());
    assertEquals(source.stats.numSeries, down.stats.numSeries);
    assertTrue(down.stats.numSamples < source.stats.numSamples, "fewer samples after downsampling");
    assertEquals(List.of(), BlockVerifier.verify(new FsDirectory(out)));
    assertEquals(Resolution.FIVE_MINUTES, BlockReader.readMeta(new FsDirectory(out)).resolution());
  }

  @Test
  void planMergesOverlapsFirstAndLeavesTheFreshestBlock() throws IOException {
    // The overlap set: two sources, the second overlapping the first's blocks.
    List<List<String>> steps = LibraryExamples.planCompactions(OVERLAP, List.of(), CLOCK);
    assertTrue(!steps.isEmpty(), "overlapping blocks are always planned");
    for (List<String> step : steps) {
      assertTrue(step.size() >= 2, "a compaction merges at least two blocks: " + step);
    }
    // Every input block is planned at most once, and the first step merges overlapping blocks.
    List<String> firstStep = steps.get(0);
    List<BlockMeta> first = firstStep.stream().map(u -> {
      try {
        return BlockReader.readMeta(new FsDirectory(OVERLAP.resolve(u)));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).toList();
    assertTrue(first.get(1).minTime < first.get(0).maxTime, "first step merges overlapping blocks: " + firstStep);
  }
}
