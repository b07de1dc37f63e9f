package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.S3FaultProxy;
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

  /**
   * A bucket longer than one S3 listing page (1,000 keys) is listed in key ranges side by side: {@code ls} through
   * the command line shows every block once.
   */
  @org.junit.jupiter.api.Test
  void lsOfABucketLongerThanOneListingPageShowsEveryBlockOnce() throws Exception {
    String bucketYaml = newBucketYaml();
    java.util.Random random = new java.util.Random(5);
    java.util.List<String> made = new java.util.ArrayList<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try (io.tsdbcompactor.bucket.Bucket s3 = io.tsdbcompactor.bucket.ObjstoreConfig.parse(bucketYaml).open()) {
      java.util.List<java.util.concurrent.Future<?>> puts = new java.util.ArrayList<>();
      for (int i = 0; i < 400; i++) { // 1,200 keys
        long minTime = 1_700_000_000_000L + random.nextInt(30 * 86_400) * 1000L;
        String ulid = io.tsdbcompactor.block.Ulid.generate(minTime + 7_200_000L, random).toString();
        made.add(ulid);
        io.tsdbcompactor.block.BlockMeta m = new io.tsdbcompactor.block.BlockMeta();
        m.ulid = ulid;
        m.minTime = minTime;
        m.maxTime = minTime + 7_200_000L;
        m.compaction.level = 1;
        m.compaction.sources.add(ulid);
        m.thanos().labels = new java.util.TreeMap<>(java.util.Map.of("cluster", "eu1"));
        m.thanos().source = "sidecar";
        puts.add(pool.submit(() -> {
          s3.upload(ulid + "/chunks/000001", new byte[] {1});
          s3.upload(ulid + "/index", new byte[] {2});
          s3.upload(ulid + "/meta.json", m.toJsonBytes());
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : puts) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    Result r = run("tools", "bucket", "ls", "--objstore.config=" + bucketYaml);
    org.junit.jupiter.api.Assertions.assertEquals(0, r.exit(), r.err());
    java.util.List<String> listed = java.util.Arrays.stream(r.out().split("\n")).sorted().toList();
    org.junit.jupiter.api.Assertions.assertEquals(made.stream().sorted().toList(), listed);
  }

  @org.junit.jupiter.api.Test
  void uploadBlocksToS3() throws Exception {
    UploadBlocksScenario.uploadsDumpEqualBlocksOnce(tmp, newBucketYaml());
  }

  /**
   * A dry run of {@code rewrite} counts from the index alone: the block's index is fetched, its chunk segments are
   * not (the proxy sees every request).
   */
  @org.junit.jupiter.api.Test
  void rewriteDryRunFetchesTheIndexAndNoChunkSegment() throws Exception {
    String id = ulids.get(0);
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1)) {
      String proxied = yaml.replace(server.endpoint(), proxy.endpoint());
      Result r = run("tools", "bucket", "rewrite", "--id", id, "--rewrite.to-delete-config", DELETE_POD_UP,
          "--tmp.dir", tmp.resolve("work").toString(), "--objstore.config=" + proxied);
      org.junit.jupiter.api.Assertions.assertEquals(0, r.exit(), r.err());
      org.junit.jupiter.api.Assertions.assertTrue(r.out().contains("dry run: block " + id + ": "), r.out());
      java.util.List<String> reads = proxy.requestLines().stream()
          .filter(l -> l.startsWith("GET ") && l.contains("/" + id + "/")).toList();
      org.junit.jupiter.api.Assertions.assertTrue(reads.stream().anyMatch(l -> l.contains(id + "/index")), reads.toString());
      org.junit.jupiter.api.Assertions.assertTrue(reads.stream().noneMatch(l -> l.contains(id + "/chunks/")), reads.toString());
    }
  }

  /** What a tool run left, and the bucket's keys just before its source's segment went away. */
  record Outcome(Result result, java.util.List<String> keysLeft) {}

  /**
   * Runs the tool ({@code tools bucket ARGS --objstore.config=...}) through a proxy that holds the request for
   * {@code id}'s chunk segment until the tool waits for it; then deletes the segment and lets the request through.
   */
  Outcome runWhileTheSegmentGoesAway(String id, String... args) throws Exception {
    String segment = id + "/chunks/000001";
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1)) {
      String proxied = yaml.replace(server.endpoint(), proxy.endpoint());
      proxy.gate(segment, Integer.MAX_VALUE, Duration.ofMinutes(2));
      java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("tools", "bucket"));
      all.addAll(java.util.List.of(args));
      all.add("--objstore.config=" + proxied);
      java.util.concurrent.CompletableFuture<Result> running =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> run(all.toArray(new String[0])));
      org.junit.jupiter.api.Assertions.assertTrue(proxy.awaitGated(1, Duration.ofMinutes(2)), "the segment was never asked for");
      bucket.delete(segment);
      java.util.List<String> left = new java.util.ArrayList<>(keys());
      proxy.openGate();
      return new Outcome(running.get(2, java.util.concurrent.TimeUnit.MINUTES), left);
    }
  }

  /**
   * The source's chunk segment goes away while a rewrite (with {@code --delete-blocks}) reads the block as it comes
   * down: the request for it is held at the proxy until the rewrite has read the index and waits for chunk bytes,
   * then the object is deleted and the request let through. The rewrite fails naming the block, leaves no object
   * of a new block, and marks nothing.
   */
  @org.junit.jupiter.api.Test
  void rewriteWhoseSourceGoesAwayWhileItIsReadWritesAndMarksNothing() throws Exception {
    String id = ulids.get(0);
    Outcome o = runWhileTheSegmentGoesAway(id, "rewrite", "--id", id, "--no-dry-run", "--delete-blocks",
        "--rewrite.to-delete-config", DELETE_POD_UP, "--tmp.dir", tmp.resolve("work").toString());
    Result r = o.result();
    org.junit.jupiter.api.Assertions.assertEquals(1, r.exit(), r.out());
    org.junit.jupiter.api.Assertions.assertTrue(r.err().contains("block " + id), r.err());
    org.junit.jupiter.api.Assertions.assertEquals(o.keysLeft(), keys(), "no new object, no marker");
    org.junit.jupiter.api.Assertions.assertFalse(
        io.tsdbcompactor.sync.Markers.exists(bucket, id, io.tsdbcompactor.sync.Marker.DELETION_MARK));
  }

  /**
   * {@code verify --index --repair} while a block's chunk segment goes away mid-download (its request held at the
   * proxy, the object deleted, the request let through): the block's only problem line is its failed download, and
   * nothing is written or marked.
   */
  @org.junit.jupiter.api.Test
  void verifyIndexReportsADownloadThatFailsMidwayAsThatAloneAndMarksNothing() throws Exception {
    String id = ulids.get(0);
    Outcome o = runWhileTheSegmentGoesAway(id, "verify", "--index", "--repair", "--id", id);
    Result r = o.result();
    org.junit.jupiter.api.Assertions.assertEquals(1, r.exit(), r.out() + r.err());
    java.util.List<String> about = r.out().lines().filter(l -> l.contains(id)).toList();
    org.junit.jupiter.api.Assertions.assertEquals(1, about.size(), r.out());
    org.junit.jupiter.api.Assertions.assertTrue(about.get(0).startsWith("block " + id + ": download failed: "), about.get(0));
    org.junit.jupiter.api.Assertions.assertEquals(o.keysLeft(), keys(), "nothing written, nothing marked");
  }
}
