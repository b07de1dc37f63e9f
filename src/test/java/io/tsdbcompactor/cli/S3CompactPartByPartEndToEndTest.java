package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.bucket.S3FaultProxy;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import io.tsdbcompactor.job.SampleBlocks;
import io.tsdbcompactor.store.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
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
    assertEquals(0, compareWithFilesystem(tmp, 0, false));
  }

  /**
   * The same with a fifth of the requests failing while the blocks go up part by part (503s, 500s after the work was
   * done, bodies cut off, replies stalled past {@code response_header_timeout}): every request is retried, the run
   * exits 0 and leaves the same blocks.
   */
  @Test
  void underFaultsACompactionSentPartByPartStillLeavesWhatFilesystemLeaves(@TempDir Path tmp) throws Exception {
    assertTrue(compareWithFilesystem(tmp, 0.2, false) > 0, "no fault was injected");
  }

  /**
   * A run killed (SIGKILL, in a JVM of its own) while the first part of its new block is on its way leaves no block
   * behind, only an unfinished multipart upload: the next run compacts the same sources and leaves the blocks
   * FILESYSTEM leaves.
   */
  @Test
  void aRunKilledWhileItsBlockGoesUpPartByPartIsDoneAgainByTheNextRun(@TempDir Path tmp) throws Exception {
    compareWithFilesystem(tmp, 0, true);
  }

  /**
   * Compacts the same input on FILESYSTEM and, with {@code faultRate} of the compaction's requests failing, on S3,
   * after a first run on S3 killed while it sent its first part if {@code killARunFirst}; asserts the same blocks
   * survive on both and returns the number of faults injected.
   */
  private static long compareWithFilesystem(Path tmp, double faultRate, boolean killARunFirst) throws Exception {
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
      if (killARunFirst) {
        proxy.gate("partNumber=", Integer.MAX_VALUE, Duration.ofMinutes(2));
        int linesBefore = proxy.requestLines().size();
        Path log = tmp.resolve("killed.log");
        Process killed = ChildJvm.start(log, List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
            Main.class, "compact", "--objstore.config-file=" + s3Yaml, "--data-dir=" + tmp.resolve("data-killed"),
            "--delete-delay=0s", "--consistency-delay=0s", "--downsampling.disable");
        try {
          assertTrue(proxy.awaitGated(1, Duration.ofMinutes(2)), "no part went out: " + Files.readString(log));
          // Killed once the merge has ended and the new index (smaller than a part) went up whole, while the chunk
          // segment's parts are still held: the run leaves a partial block and an unfinished multipart upload.
          long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
          while (newIndex(proxy, linesBefore) == null) {
            assertTrue(killed.isAlive() && System.nanoTime() < deadline, "the index never went up: "
                + Files.readString(log));
            LockSupport.parkNanos(1_000_000);
          }
        } finally {
          killed.destroyForcibly().waitFor();
        }
        proxy.openGate(); // the parts of the killed run go on to the store, for an upload nobody completes
        // The proxy passes the index on by itself once it has it: it is in the bucket soon after.
        String index = newIndex(proxy, linesBefore);
        try (Bucket s3 = ObjstoreConfig.parse(yaml).open()) {
          long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
          while (!s3.exists(index)) {
            assertTrue(System.nanoTime() < deadline, index + " never reached the bucket");
            LockSupport.parkNanos(1_000_000);
          }
        }
      }
      int postsBefore = posts(proxy);
      proxy.rate(faultRate);
      SameBlocks.Result s3Run = compact(s3Yaml, tmp.resolve("data-s3"));
      proxy.rate(0);
      long faults = proxy.injectedTotal();
      assertEquals(0, s3Run.code(), s3Run.err() + "\nfaults: " + proxy.injectedSummary());
      // Multipart uploads were made (each a creation and a completion, both POSTs): the new files were big enough.
      assertTrue(posts(proxy) - postsBefore >= 2, "multipart uploads: " + (posts(proxy) - postsBefore) + " POSTs");
      if (killARunFirst) {
        // The killed run's index is a partial upload, which a run removes once it is 48 hours old, as Thanos does:
        // a run that late finds nothing else to do.
        Instant last = Instant.EPOCH;
        try (Bucket s3 = ObjstoreConfig.parse(yaml).open()) {
          for (ListEntry e : s3.list("", true)) {
            last = e.lastModified().isAfter(last) ? e.lastModified() : last;
          }
        }
        SameBlocks.Result later = SameBlocks.run(last.plus(Duration.ofHours(49)).toEpochMilli(), "compact",
            "--objstore.config-file=" + s3Yaml, "--data-dir", tmp.resolve("data-later").toString(),
            "--delete-delay=0s", "--consistency-delay=0s", "--downsampling.disable");
        assertEquals(0, later.code(), later.err());
        assertTrue(later.out().contains("1 partial uploads deleted"), later.out());
      }

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

  /** The key of the first index uploaded since request {@code from} ({@code <ulid>/index}), or null. */
  private static String newIndex(S3FaultProxy proxy, int from) {
    List<String> lines = proxy.requestLines();
    for (String l : lines.subList(from, lines.size())) {
      if (l.startsWith("PUT /thanos/") && l.endsWith("/index")) {
        return l.substring("PUT /thanos/".length());
      }
    }
    return null;
  }

  private static int posts(S3FaultProxy proxy) {
    return (int) proxy.payloadSignatures().stream().filter(s -> s.startsWith("POST")).count();
  }
}
