package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tsdbcompactor.store.ChildJvm;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.TestUlids;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Label values of a megabyte (a query or a stack trace put into a label) count toward how many series a merge or a
 * downsampling holds at once, not only their chunks. A child JVM with a 48 MiB heap merges two blocks of 24 series,
 * half of them with a 1 MiB value, which held all 24 at once (three copies of each value: one per input and the
 * merged series) when only chunk bytes were weighed; another downsamples a block of 64 such series, which it held
 * all at once.
 */
class LongLabelValuesTest {
  @TempDir Path tmp;

  /** The child: merges the blocks in {@code args[0]} into the new block directory {@code args[1]}. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      String ulid = Path.of(args[1]).getFileName().toString();
      new BlockMerger(CompactorOptions.DedupFunc.NONE).merge(BlockMergerTest.inputs(Path.of(args[0])),
          new FsDirectory(Path.of(args[1])), new BlockMerger.Output(ulid, Map.of("cluster", "eu"), 0, null));
    }
  }

  /** The child: downsamples the raw block {@code args[0]} to 5m into the new block directory {@code args[1]}. */
  public static final class DownsampleChild {
    public static void main(String[] args) throws Exception {
      BlockDownsampler.downsample(new FsDirectory(Path.of(args[0])), new FsDirectory(Path.of(args[1])),
          Resolution.FIVE_MINUTES, Ulid.parse(Path.of(args[1]).getFileName().toString()));
    }
  }

  private static List<Labels> slowQueries(int n, int everyNth) {
    Random r = new Random(9);
    List<Labels> series = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder query = new StringBuilder("select ");
      while (i % everyNth == 0 && query.length() < 1 << 20) {
        query.append((char) ('a' + r.nextInt(26)));
      }
      series.add(Labels.of("__name__", "slow_queries", "i", String.format("%02d", i), "query", query.toString()));
    }
    series.sort(null);
    return series;
  }

  private static void runChild(Path tmp, Class<?> child, Path in, Path out) throws Exception {
    List<String> options = new ArrayList<>(ChildJvm.smallHeap("48m"));
    options.add("-XX:ActiveProcessorCount=2");
    ChildJvm.run(tmp, options, child, in.toString(), out.toString());
  }

  private static void writeBlock(Path dir, List<Labels> series, long t0) throws Exception {
    String ulid = dir.getFileName().toString();
    Files.createDirectories(dir);
    FsDirectory d = new FsDirectory(dir);
    TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
    for (Labels l : series) {
      for (int i = 0; i < l.size(); i++) {
        symbols.add(l.name(i));
        symbols.add(l.value(i));
      }
    }
    try (ChunkSegmentWriter cw = new ChunkSegmentWriter(d); IndexWriter iw = new IndexWriter(d, "index")) {
      for (String s : symbols) {
        iw.addSymbol(s);
      }
      for (Labels l : series) {
        XorEncoder enc = new XorEncoder();
        for (int i = 0; i < 120; i++) {
          enc.append(t0 + i * 60_000L, i);
        }
        ChunkMeta m = enc.toChunkMeta();
        m.ref = cw.write(m.chunk);
        iw.addSeries(l, List.of(m));
      }
    }
    BlockMeta meta = new BlockMeta();
    meta.ulid = ulid;
    meta.minTime = t0;
    meta.maxTime = t0 + 120 * 60_000L;
    meta.stats.numSeries = series.size();
    meta.stats.numChunks = series.size();
    meta.stats.numSamples = 120L * series.size();
    meta.compaction.level = 1;
    meta.compaction.sources = new ArrayList<>(List.of(ulid));
    meta.thanos().labels = new TreeMap<>(Map.of("cluster", "eu"));
    meta.thanos().source = "sidecar";
    d.writeAll(BlockMeta.FILE_NAME, meta.toJsonBytes());
  }

  @Test
  void seriesWithMegabyteLabelValuesMergeInA48MiBHeap() throws Exception {
    List<Labels> series = slowQueries(24, 2);
    Path blocks = Files.createDirectories(tmp.resolve("blocks"));
    writeBlock(blocks.resolve(TestUlids.next().toString()), series, 0);
    writeBlock(blocks.resolve(TestUlids.next().toString()), series, 30_000);
    Path out = Files.createDirectories(tmp.resolve("out").resolve(TestUlids.next().toString()));
    runChild(tmp, Child.class, blocks, out);

    Map<Labels, Integer> chunks = chunksPerSeries(out);
    assertEquals(series, new ArrayList<>(chunks.keySet()));
    chunks.forEach((l, n) -> assertEquals(2, n, "both inputs' chunks of series i=" + l.get("i")));
  }

  /** The new block's series in index order, each with its number of chunks. */
  private static Map<Labels, Integer> chunksPerSeries(Path block) throws Exception {
    Map<Labels, Integer> out = new LinkedHashMap<>();
    try (IndexReader index = IndexReader.open(new FsDirectory(block), "index")) {
      SeriesCursor c = index.series();
      while (c.next()) {
        out.put(c.at().labels(), c.at().chunks().size());
      }
    }
    return out;
  }

  @Test
  void seriesWithMegabyteLabelValuesDownsampleInA48MiBHeap() throws Exception {
    List<Labels> series = slowQueries(64, 1);
    Path raw = tmp.resolve(TestUlids.next().toString());
    writeBlock(raw, series, 0);
    Path out = Files.createDirectories(tmp.resolve("5m").resolve(TestUlids.next().toString()));
    runChild(tmp, DownsampleChild.class, raw, out);

    Map<Labels, Integer> chunks = chunksPerSeries(out);
    assertEquals(series, new ArrayList<>(chunks.keySet()));
    chunks.forEach((l, n) -> assertEquals(1, n, "the 5m chunk of series i=" + l.get("i")));
  }
}
