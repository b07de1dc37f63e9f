package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link BlockRepairer} on promtool-made blocks; broken blocks are repaired through the CLI in BucketToolsCommandTest. */
class BlockRepairerTest {
  static final Path BLOCK = Path.of("testdata/blocks/basic/01M88N6J4ZSJQ3KKRCCCS4DVXH");
  static final String NEW = Ulid.generate(1_700_000_000_000L, new Random(1)).toString();

  @Test
  void aSoundBlockIsRewrittenWithTheSameDataAndNothingFound() throws Exception {
    FsDirectory source = new FsDirectory(BLOCK);
    BlockMeta meta = BlockReader.readMeta(source);
    MemoryDirectory out = new MemoryDirectory("repaired");
    BlockRepairer.Result r = BlockRepairer.repair(meta, source, out, NEW);
    assertFalse(r.findings().any(), r.findings().describe());
    assertEquals(List.of(), BlockVerifier.verify(out));
    assertEquals(meta.stats.numSeries, r.meta().stats.numSeries);
    assertEquals(meta.stats.numChunks, r.meta().stats.numChunks);
    assertEquals(meta.stats.numSamples, r.meta().stats.numSamples);
    assertEquals(List.of(NEW), r.meta().compaction.sources);
    assertEquals(meta.compaction.level, r.meta().compaction.level);
    assertEquals(BlockRepairer.SOURCE, r.meta().thanos.source);
    assertEquals(meta.ulid, r.meta().thanos.rewrites.get(0).get("sources").get(0).asText());
  }

  @Test
  void aDownsampledBlockIsRefusedWithNothingWritten() throws Exception {
    FsDirectory source = new FsDirectory(BLOCK);
    BlockMeta meta = BlockReader.readMeta(source);
    meta.thanos().resolution = 300_000;
    MemoryDirectory out = new MemoryDirectory("repaired");
    IOException e = assertThrows(IOException.class, () -> BlockRepairer.repair(meta, source, out, NEW));
    assertTrue(e.getMessage().contains("block " + meta.ulid + ": cannot repair a downsampled block"), e.getMessage());
    assertEquals(List.of(), out.listAll());
  }
}
