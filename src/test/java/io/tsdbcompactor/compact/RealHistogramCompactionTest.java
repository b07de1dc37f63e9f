package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The block merge over two overlapping native-histogram blocks of an HA pair of Prometheus 2.42 replicas
 * (testdata/make-histogram-merge-testdata.sh) writes the same series, chunks (byte for byte) and sample counts
 * as Prometheus 2.42's own vertical compaction of the same two blocks.
 */
class RealHistogramCompactionTest {

  @Test
  void blockMergeEqualsPrometheusVerticalCompaction() throws Exception {
    List<BlockMerger.Input> inputs = new ArrayList<>();
    for (Path b : BlockDumper.blockDirs(Path.of("testdata/blocks/histogram-overlap"))) {
      FsDirectory dir = new FsDirectory(b);
      inputs.add(new BlockMerger.Input(BlockMeta.parse("meta.json", Files.readAllBytes(b.resolve("meta.json"))),
          dir));
    }
    assertEquals(2, inputs.size());
    Path want = BlockDumper.blockDirs(Path.of("testdata/blocks/histogram-overlap-compacted")).get(0);
    BlockMeta prom = BlockMeta.parse("meta.json", Files.readAllBytes(want.resolve("meta.json")));

    MemoryDirectory out = new MemoryDirectory("out");
    BlockMeta meta = new BlockMerger(CompactorOptions.DedupFunc.NONE).merge(inputs, out,
        new BlockMerger.Output("01H00000000000000000000003", Map.of("replica", "merged"), 0, null));
    assertEquals(prom.stats.numSeries, meta.stats.numSeries);
    assertEquals(prom.stats.numChunks, meta.stats.numChunks);
    assertEquals(prom.stats.numSamples, meta.stats.numSamples);
    assertEquals(prom.minTime, meta.minTime);
    assertEquals(prom.maxTime, meta.maxTime);

    Map<Labels, List<Chunk>> ours = new HashMap<>();
    BlockMergerTest.collect(out, ours);
    Map<Labels, List<Chunk>> theirs = new HashMap<>();
    BlockMergerTest.collect(new FsDirectory(want), theirs);
    assertEquals(theirs, ours);
  }
}
