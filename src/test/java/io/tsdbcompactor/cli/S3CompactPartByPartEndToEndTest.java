package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.bucket.S3FaultProxy;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import io.tsdbcompactor.job.SampleBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compact} through the CLI on S3 (S3Proxy, with the proxy in front to count requests) where the new blocks'
 * files are bigger than a part, so each goes up part by part while it is written: the run leaves exactly the
 * blocks, byte for byte, that the same run leaves on a FILESYSTEM bucket holding the same input.
 */
class S3CompactPartByPartEndToEndTest {
  private static final long H = 3_600_000L;
  private static final long NOW = java.time.Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();
  private static final long PART = 5L * 1024 * 1024;

  private static SameBlocks.Result compact(Path objstoreFile, Path dataDir) {
    return SameBlocks.run(NOW, "compact", "--objstore.config-file=" + objstoreFile, "--data-dir", dataDir.toString(),
        "--delete-delay=0s", "--consistency-delay=0s", "--downsampling.disable");
  }

  @Test
  void compactOnS3WithFilesLargerThanAPartLeavesWhatFilesystemLeaves(@TempDir Path tmp) throws Exception {
    assertEquals(0, compareWithFilesystem(tmp, 0));
  }

  /**
   * The same with a fifth of the requests failing while the blocks go up part by part (503s, 500s after the work was
   * done, bodies cut off, replies stalled past {@code response_header_timeout}): every request is retried, the run
   * exits 0 and leaves the same blocks.
   */
  @Test
  void underFaultsACompactionSentPartByPartStillLeavesWhatFilesystemLeaves(@TempDir Path tmp) throws Exception {
    assertTrue(compareWithFilesystem(tmp, 0.2) > 0, "no fault was injected");
  }

  /**
   * Compacts the same input on FILESYSTEM and, with {@code faultRate} of the compaction's requests failing, on S3;
   * asserts the same blocks survive on both and returns the number of faults injected.
   */
  private static long compareWithFilesystem(Path tmp, double faultRate) throws Exception {
    // 5,600 series scraped every 15 s in 2h blocks, one day: the 8h blocks' chunk segment is several parts long.
    SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(1, 2 * H, 15_000L, 800, Map.of("cluster", "s3"), 3, 5));
    Path staging = tmp.resolve("staging");
    List<BlockMeta> input = gen.write(staging, NOW);

    Path fsDir = tmp.resolve("fs-bucket");
    Path fsYaml = SameBlocks.filesystemBucket(fsDir, staging, input);
    SameBlocks.Result fsRun = compact(fsYaml, tmp.resolve("data-fs"));
    assertEquals(0, fsRun.code(), fsRun.err());

    try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")));
         S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1)) {
      proxy.stall(Duration.ofMillis(600), Duration.ofMillis(900));
      S3TestBuckets.create(server.config("thanos"));
      String yaml = server.yaml("thanos", PART).replace(server.endpoint(), proxy.endpoint())
          + "  max_retries: 10\n  http_config:\n    response_header_timeout: 500ms\n";
      Path s3Yaml = Files.writeString(tmp.resolve("s3.yaml"), yaml);
      try (Bucket s3 = ObjstoreConfig.parse(yaml).open()) {
        SameBlocks.upload(s3, staging, input);
      }
      int postsBefore = posts(proxy);
      proxy.rate(faultRate);
      SameBlocks.Result s3Run = compact(s3Yaml, tmp.resolve("data-s3"));
      proxy.rate(0);
      long faults = proxy.injectedTotal();
      assertEquals(0, s3Run.code(), s3Run.err() + "\nfaults: " + proxy.injectedSummary());
      // Multipart uploads were made (each a creation and a completion, both POSTs): the new files were big enough.
      assertTrue(posts(proxy) - postsBefore >= 2, "multipart uploads: " + (posts(proxy) - postsBefore) + " POSTs");

      Map<String, Map<String, byte[]>> want;
      try (Bucket fs = new FilesystemBucket(fsDir)) {
        want = SameBlocks.survivors(fs, tmp.resolve("check-fs"));
      }
      Map<String, Map<String, byte[]>> got;
      try (Bucket s3 = ObjstoreConfig.parse(yaml).open()) {
        got = SameBlocks.survivors(s3, tmp.resolve("check-s3"));
      }
      assertTrue(want.size() < input.size(), "the run compacted: " + want.keySet());
      assertTrue(want.values().stream().anyMatch(files -> files.get("chunks/000001").length > 2 * PART),
          "a chunk segment of more than two parts");
      SameBlocks.assertSame(want, got);
      return faults;
    }
  }

  private static int posts(S3FaultProxy proxy) {
    return (int) proxy.payloadSignatures().stream().filter(s -> s.startsWith("POST")).count();
  }
}
