package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The same tool tests against S3Proxy on 127.0.0.1. */
class S3BucketToolsTest extends BucketToolsCommandTest {
  @TempDir
  static Path serverDir;
  static S3ProxyServer server;
  static final AtomicInteger N = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    server = new S3ProxyServer(serverDir);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Override
  String newBucketYaml() throws Exception {
    String name = "tools-" + N.incrementAndGet();
    S3TestBuckets.create(server.config(name));
    return server.yaml(name, 5L * 1024 * 1024);
  }

  @Override
  boolean age(String key, Duration age) {
    return false; // S3 sets LastModified itself
  }

  /** How people migrate: from a FILESYSTEM bucket to S3, byte for byte. */
  @org.junit.jupiter.api.Test
  void replicatesFilesystemToS3() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createDirectories(tmp.resolve("fs-source"));
    String fsYaml = "type: FILESYSTEM\nconfig:\n  directory: " + dir + "\n";
    String s3Target = newBucketYaml();
    try (io.tsdbcompactor.bucket.Bucket fs = io.tsdbcompactor.bucket.ObjstoreConfig.parse(fsYaml).open()) {
      for (String u : ulids) {
        io.tsdbcompactor.sync.BlockTransfer.upload(fs, io.tsdbcompactor.sync.TestBlocks.copyWithLabels(u, tmp.resolve("fs-src"),
            java.util.Map.of("cluster", "eu1")));
      }
      Result r = run("tools", "bucket", "replicate", "--single-run", "--objstore.config=" + fsYaml,
          "--objstore-to.config=" + s3Target);
      org.junit.jupiter.api.Assertions.assertEquals(0, r.exit(), r.err());
      try (io.tsdbcompactor.bucket.Bucket s3 = io.tsdbcompactor.bucket.ObjstoreConfig.parse(s3Target).open()) {
        for (String u : ulids) {
          assertSameObjects(fs, s3, u);
        }
      }
    }
  }

  @org.junit.jupiter.api.Test
  void uploadBlocksToS3() throws Exception {
    UploadBlocksScenario.uploadsDumpEqualBlocksOnce(tmp, newBucketYaml());
  }
}
