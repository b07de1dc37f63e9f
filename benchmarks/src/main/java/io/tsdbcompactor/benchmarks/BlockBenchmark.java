package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.HistogramIterator;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.compact.BlockMerger;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Decode, merge and downsampling on real blocks: yours with {@code -p blockDir=/path} (one block directory,
 * or a directory of blocks), by default the promtool-made blocks in {@code testdata/blocks/overlap} (run from the
 * repository's top directory). The synthetic counterparts are {@link XorBenchmark}, {@link MergeBenchmark} and
 * {@link DownsampleBenchmark}.
 *
 * <p>One operation is one pass over all blocks, so the primary score depends on the blocks; the {@code samples}
 * counter JMH prints beside it is samples per second (input samples: decoded, merged, or downsampled), the
 * figure to compare across data sets. Outputs go to a scratch directory under {@code java.io.tmpdir} (written,
 * not fsynced) that is emptied after every operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class BlockBenchmark {
  /** A block directory (holding meta.json) or a directory of block directories. */
  @Param("testdata/blocks/overlap")
  public String blockDir;

  private List<Path> blocks;
  private List<BlockMerger.Input> inputs;
  private long inputSamples;
  private long rawSamples;
  private Path scratch;
  private final BlockMerger merger = new BlockMerger(CompactorOptions.DedupFunc.NONE);
  private static final Ulid OUTPUT_ULID = Ulid.parse("01JDZ0000000000000000BENCH");

  /** Samples handled, reported by JMH as a rate next to the score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Counters {
    public long samples;

    @Setup(Level.Iteration)
    public void reset() {
      samples = 0;
    }
  }

  @Setup
  public void setup() throws IOException {
    blocks = BlockDumper.blockDirs(Path.of(blockDir));
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException("no block (directory with meta.json) in " + blockDir);
    }
    inputs = new ArrayList<>();
    for (Path b : blocks) {
      FsDirectory d = new FsDirectory(b);
      BlockMeta meta = BlockReader.readMeta(d);
      inputs.add(new BlockMerger.Input(meta, d));
      inputSamples += meta.stats.numSamples;
      if (meta.resolution() == Resolution.RAW) {
        rawSamples += meta.stats.numSamples;
      }
    }
    inputs.sort(Comparator.comparingLong(in -> in.meta().minTime));
    scratch = Files.createTempDirectory("tsdbc-bench-");
    System.out.printf("%n[data] %s: %d blocks, %d samples (%d raw)%n", blockDir, blocks.size(), inputSamples,
        rawSamples);
  }

  @TearDown
  public void removeScratch() throws IOException {
    clearScratch();
    Files.deleteIfExists(scratch);
  }

  @TearDown(Level.Invocation)
  public void clearScratch() throws IOException {
    try (Stream<Path> s = Files.walk(scratch)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        if (!p.equals(scratch)) {
          Files.delete(p);
        }
      }
    }
  }

  /**
   * Reads every series of every block and decodes all its chunks (XOR and native histograms; Thanos's
   * aggregate chunks are read but not decoded). {@code samples} = decoded samples per second.
   */
  @Benchmark
  public long decode(Counters counters) throws IOException {
    XorIterator xor = new XorIterator();
    HistogramIterator histogram = new HistogramIterator();
    long acc = 0;
    for (Path b : blocks) {
      try (BlockReader block = BlockReader.open(new FsDirectory(b))) {
        BlockReader.Series series = block.series();
        while (series.next()) {
          for (ChunkMeta m : series.loadChunks()) {
            int encoding = m.chunk.encoding();
            SampleIterator it;
            if (encoding == ChunkEncoding.XOR) {
              xor.reset("bench", m.chunk.data());
              it = xor;
            } else if (encoding == ChunkEncoding.HISTOGRAM || encoding == ChunkEncoding.FLOAT_HISTOGRAM) {
              histogram.reset("bench", encoding, m.chunk.data());
              it = histogram;
            } else {
              continue;
            }
            while (it.next()) {
              acc += it.timestamp();
              counters.samples++;
            }
          }
        }
      }
    }
    return acc;
  }

  /** Merges all blocks into one, as a (vertical) compaction does. {@code samples} = input samples per second. */
  @Benchmark
  public BlockMeta merge(Counters counters) throws IOException {
    Path out = Files.createDirectories(scratch.resolve(OUTPUT_ULID.toString()));
    BlockMeta meta = merger.merge(inputs, FsDirectory.scratch(out),
        new BlockMerger.Output(OUTPUT_ULID.toString(), Map.of(), inputs.get(0).meta().resolution(), null));
    counters.samples += inputSamples;
    return meta;
  }

  /** Downsamples every raw block to 5m. {@code samples} = raw input samples per second. */
  @Benchmark
  public long downsample(Counters counters) throws IOException {
    long written = 0;
    for (BlockMerger.Input in : inputs) {
      if (in.meta().resolution() != Resolution.RAW) {
        continue;
      }
      Path out = Files.createDirectories(scratch.resolve(in.meta().ulid));
      Directory dir = FsDirectory.scratch(out);
      written += BlockDownsampler.downsample(in.dir(), dir, Resolution.FIVE_MINUTES, OUTPUT_ULID).meta().stats.numSamples;
    }
    counters.samples += rawSamples;
    return written;
  }
}
