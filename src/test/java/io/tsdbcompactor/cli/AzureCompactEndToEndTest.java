package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.AzuriteServer;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.job.SampleBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compact} through the CLI on an AZURE bucket (Azurite on 127.0.0.1) with a Thanos objstore YAML:
 * compaction, downsampling and retention leave exactly the blocks, byte for byte, that the same run leaves on a
 * FILESYSTEM bucket holding the same input. Skipped when the {@code azurite} npm package is not installed.
 */
class AzureCompactEndToEndTest {
  private static final long H = 3_600_000L;
  private static final long D = 24 * H;
  private static final long NOW = java.time.Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();

  private static SameBlocks.Result compact(Path objstoreFile, Path dataDir) {
    return SameBlocks.run(NOW, "compact", "--objstore.config-file=" + objstoreFile, "--data-dir", dataDir.toString(),
        "--retention.resolution-raw=3d", "--retention.resolution-5m=15d", "--retention.resolution-1h=90d",
        "--delete-delay=0s", "--consistency-delay=0s");
  }

  @Test
  void compactOnAzureLeavesWhatFilesystemLeaves(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(AzuriteServer.executable() != null, "azurite is not installed (npm install -g azurite)");
    SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(100, 2 * D, 5 * 60_000L, 1, Map.of("cluster", "az"), 0, 12));
    long now = NOW;
    Path staging = tmp.resolve("staging");
    List<BlockMeta> input = gen.write(staging, now);

    Path fsDir = tmp.resolve("fs-bucket");
    Path fsYaml = SameBlocks.filesystemBucket(fsDir, staging, input);
    SameBlocks.Result fsRun = compact(fsYaml, tmp.resolve("data-fs"));
    assertEquals(0, fsRun.code(), fsRun.err());

    Files.createDirectories(tmp.resolve("azurite"));
    try (AzuriteServer azurite = new AzuriteServer(tmp.resolve("azurite"))) {
      Path azYaml = Files.writeString(tmp.resolve("azure.yaml"), azurite.yaml("thanos") + "prefix: tenant-a\n");
      try (Bucket az = ObjstoreConfig.parse(Files.readString(azYaml)).open()) { // creates the container, as Thanos does
        SameBlocks.upload(az, staging, input);
      }
      SameBlocks.Result azRun = compact(azYaml, tmp.resolve("data-az"));
      assertEquals(0, azRun.code(), azRun.err());

      Map<String, Map<String, byte[]>> want;
      try (Bucket fs = new FilesystemBucket(fsDir)) {
        want = SameBlocks.survivors(fs, tmp.resolve("check-fs"));
      }
      Map<String, Map<String, byte[]>> got;
      try (Bucket az = ObjstoreConfig.parse(Files.readString(azYaml)).open()) {
        got = SameBlocks.survivors(az, tmp.resolve("check-az"));
      }
      assertTrue(want.size() < input.size(), "the run compacted, downsampled and deleted: " + want.keySet());
      assertTrue(want.keySet().stream().anyMatch(k -> k.startsWith("300000 ")), "5m blocks: " + want.keySet());
      assertTrue(want.keySet().stream().anyMatch(k -> k.startsWith("3600000 ")), "1h blocks: " + want.keySet());
      SameBlocks.assertSame(want, got);
    }
  }
}
