package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.store.FsDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleBlocksTest {
  private static final long H = 3_600_000L;

  @Test
  void blocksReadBackWithTheGeneratedSamplesAndOverlaps(@TempDir Path root) throws Exception {
    SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(1, 2 * H, 60_000, 2, Map.of("cluster", "t"), 3, 5));
    long now = 1_764_028_800_000L;
    List<BlockMeta> metas = gen.write(root, now);
    // 24h back, the last (head) 2h range not uploaded: 11 blocks, plus overlapping re-uploads.
    long regular = metas.stream().filter(m -> m.minTime % (2 * H) == 0).count();
    assertEquals(11, regular);
    assertEquals(3, metas.size() - regular);
    for (BlockMeta m : metas) {
      try (BlockReader r = BlockReader.open(new FsDirectory(root.resolve(m.ulid)))) {
        assertEquals(Map.of("cluster", "t"), r.meta().thanos.labels);
        assertEquals("sidecar", r.meta().thanos.source);
        BlockReader.Series s = r.series();
        int series = 0;
        long samples = 0;
        XorIterator it = new XorIterator();
        while (s.next()) {
          series++;
          long expectT = gen.firstSampleAtOrAfter(m.minTime);
          for (ChunkMeta c : s.loadChunks()) {
            it.reset("chunk", c.chunk.data());
            while (it.next()) {
              assertEquals(expectT, it.timestamp());
              assertEquals(gen.value(s.labels(), expectT), it.value(), s.labels() + " @" + expectT);
              expectT += 60_000;
              samples++;
            }
          }
          assertEquals(m.maxTime, expectT, "samples cover the block range up to maxTime");
        }
        assertEquals(14, series);
        assertEquals(14 * 120, samples);
        assertEquals(samples, r.meta().stats.numSamples);
        assertTrue(r.meta().thanos.files.stream().anyMatch(f -> f.relPath.equals("index") && f.sizeBytes > 0));
      }
    }
  }
}
