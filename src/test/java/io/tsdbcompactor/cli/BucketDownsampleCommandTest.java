package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.job.SampleBlocks;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tools bucket downsample} through the CLI: the blocks it writes are those {@code compact}'s downsampling
 * steps write on the same bucket, byte for byte (but for the new ULIDs).
 */
class BucketDownsampleCommandTest {
  private static final long DAY = 86_400_000L;

  @TempDir
  Path tmp;

  /** A FILESYSTEM bucket holding one raw 14-day block (long enough for 5m, and its 5m block for 1h), ended 6 days ago. */
  private String bucketWithOneLongRawBlock(String name) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    String yaml = "type: FILESYSTEM\nconfig:\n  directory: " + dir + "\n";
    fill(yaml, name);
    return yaml;
  }

  /** Uploads the one raw 14-day block (the same bytes every time) into the bucket of {@code yaml}. */
  private void fill(String yaml, String name) throws Exception {
    SampleBlocks blocks = new SampleBlocks(new SampleBlocks.Spec(14, 14 * DAY, 300_000L, 1,
        Map.of("cluster", "ds"), 0, 7));
    long end = Math.floorDiv(BucketToolsCommandTest.NOW.toEpochMilli() - 6 * DAY, DAY) * DAY;
    BlockMeta m = blocks.writeBlock(tmp.resolve("staging-" + name), end - 14 * DAY, end, new Random(11));
    try (Bucket b = ObjstoreConfig.parse(yaml).open()) {
      BlockTransfer.Options o = new BlockTransfer.Options();
      // Uploaded an hour before the commands run: past the default --consistency-delay.
      o.clock = java.time.Clock.fixed(BucketToolsCommandTest.NOW.minusSeconds(3600), java.time.ZoneOffset.UTC);
      new BlockTransfer(b, o).upload(tmp.resolve("staging-" + name).resolve(m.ulid));
    }
  }

  /** The blocks of a resolution in the bucket, each as its object bytes by name with its own ULID replaced by "U". */
  private static List<Map<String, byte[]>> blocksOf(String yaml, long resolution) throws Exception {
    List<Map<String, byte[]>> out = new ArrayList<>();
    try (Bucket b = ObjstoreConfig.parse(yaml).open()) {
      for (ListEntry dir : b.list("", false)) {
        String ulid = dir.key().replace("/", "");
        if (!b.exists(ulid + "/meta.json")
            || BlockMeta.parse(ulid, b.getBytes(ulid + "/meta.json")).resolution() != resolution) {
          continue;
        }
        Map<String, byte[]> files = new TreeMap<>();
        for (ListEntry e : b.list(ulid + "/", true)) {
          byte[] bytes = b.getBytes(e.key());
          if (e.key().endsWith("meta.json")) {
            bytes = new String(bytes, StandardCharsets.UTF_8).replace(ulid, "U").getBytes(StandardCharsets.UTF_8);
          }
          files.put(e.key().substring(ulid.length() + 1), bytes);
        }
        out.add(files);
      }
    }
    return out;
  }

  private static void assertSameBlocks(List<Map<String, byte[]>> expected, List<Map<String, byte[]>> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).keySet(), actual.get(i).keySet());
      for (String f : expected.get(i).keySet()) {
        assertArrayEquals(expected.get(i).get(f), actual.get(i).get(f), f + " differs");
      }
    }
  }

  @Test
  void writesTheBlocksCompactsDownsampleStepsWrite() throws Exception {
    String viaCompact = bucketWithOneLongRawBlock("compact");
    String viaTool = bucketWithOneLongRawBlock("tool");

    BucketToolsCommandTest.Result dry = BucketToolsCommandTest.run("tools", "bucket", "downsample",
        "--objstore.config=" + viaTool, "--data-dir", tmp.resolve("data-dry").toString(), "--dry-run");
    assertEquals(0, dry.exit(), dry.err());
    assertTrue(dry.out().contains("dry run: would write 2 downsampled blocks (5m: 1, 1h: 1)"), dry.out());
    assertEquals(0, blocksOf(viaTool, Resolution.FIVE_MINUTES).size(), "a dry run writes nothing");

    BucketToolsCommandTest.Result compact = BucketToolsCommandTest.run("compact", "--objstore.config=" + viaCompact,
        "--data-dir", tmp.resolve("data-compact").toString());
    assertEquals(0, compact.exit(), compact.err());
    BucketToolsCommandTest.Result tool = BucketToolsCommandTest.run("tools", "bucket", "downsample",
        "--objstore.config=" + viaTool, "--data-dir", tmp.resolve("data-tool").toString());
    assertEquals(0, tool.exit(), tool.err());
    assertTrue(tool.out().contains("downsample: wrote 2 downsampled blocks (5m: 1, 1h: 1)"), tool.out());
    // Each block's log line gives its phases, as a compaction's does.
    assertEquals(2, java.util.regex.Pattern.compile(
        "downsampled block: download \\d+ ms, downsample and verify \\d+ ms, upload \\d+ ms").matcher(tool.err())
        .results().count(), tool.err());

    for (long resolution : new long[] {Resolution.RAW, Resolution.FIVE_MINUTES, Resolution.ONE_HOUR}) {
      List<Map<String, byte[]>> expected = blocksOf(viaCompact, resolution);
      assertEquals(1, expected.size(), "compact wrote one block at " + resolution);
      assertSameBlocks(expected, blocksOf(viaTool, resolution));
    }

    BucketToolsCommandTest.Result again = BucketToolsCommandTest.run("tools", "bucket", "downsample",
        "--objstore.config=" + viaTool, "--data-dir", tmp.resolve("data-tool").toString());
    assertTrue(again.out().contains("downsample: wrote 0 downsampled blocks"), "nothing left to do: " + again.out());
  }

  @Test
  void onS3ProxyTheSameBlocksAsOnAFilesystemBucket() throws Exception {
    String fs = bucketWithOneLongRawBlock("fs");
    try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3proxy")))) {
      S3TestBuckets.create(server.config("downsample"));
      String s3 = server.yaml("downsample", 5L * 1024 * 1024);
      fill(s3, "s3");
      for (String yaml : List.of(fs, s3)) {
        BucketToolsCommandTest.Result r = BucketToolsCommandTest.run("tools", "bucket", "--objstore.config=" + yaml,
            "downsample", "--data-dir", tmp.resolve("data").toString());
        assertEquals(0, r.exit(), r.err());
      }
      for (long resolution : new long[] {Resolution.FIVE_MINUTES, Resolution.ONE_HOUR}) {
        assertEquals(1, blocksOf(fs, resolution).size());
        assertSameBlocks(blocksOf(fs, resolution), blocksOf(s3, resolution));
      }
    }
  }

  @Test
  void waitDownsamplesAgainEveryIntervalUntilInterrupted() throws Exception {
    String yaml = bucketWithOneLongRawBlock("wait");
    CompletableFuture<Boolean> firstPass = new CompletableFuture<>();
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    CliEnvironment env = new CliEnvironment(BucketToolsCommandTest.CLOCK, new CliEnvironment.Listener() {
      @Override
      public void runEnded(boolean success) {
        firstPass.complete(success);
      }
    });
    Thread t = new Thread(() -> {
      int code = Main.run(env, "tools", "bucket", "downsample", "--objstore.config=" + yaml, "--data-dir",
          tmp.resolve("data").toString(), "--wait", "--wait-interval=1h");
      exit.complete(code);
      firstPass.completeExceptionally(new AssertionError("downsample --wait ended with exit code " + code));
    }, "downsample-wait");
    t.start();
    try {
      assertTrue(firstPass.get(120, TimeUnit.SECONDS), "the first pass succeeded");
      assertEquals(1, blocksOf(yaml, Resolution.ONE_HOUR).size(), "the first pass wrote the 5m and 1h blocks");
    } finally {
      t.interrupt();
    }
    assertEquals(0, exit.get(30, TimeUnit.SECONDS), "interrupted between passes, --wait exits 0");
  }

  @Test
  void selectorAndBadFlags() throws Exception {
    String yaml = bucketWithOneLongRawBlock("sel");
    BucketToolsCommandTest.Result other = BucketToolsCommandTest.run("tools", "bucket", "downsample",
        "--objstore.config=" + yaml, "--data-dir", tmp.resolve("d").toString(),
        "--selector.relabel-config", "- source_labels: [cluster]\n  regex: other\n  action: keep\n");
    assertEquals(0, other.exit(), other.err());
    assertTrue(other.out().contains("wrote 0 downsampled blocks"), "the selector leaves the block out: " + other.out());
    BucketToolsCommandTest.Result bad = BucketToolsCommandTest.run("tools", "bucket", "downsample",
        "--objstore.config=" + yaml, "--data-dir", tmp.resolve("d").toString(),
        "--selector.relabel-config", "- action: labeldrop\n  regex: a\n");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("only keep, drop and hashmod"), bad.err());
    assertEquals(2, BucketToolsCommandTest.run("tools", "bucket", "downsample", "--objstore.config=" + yaml,
        "--wait", "--wait-interval=0s").exit());
    assertEquals(0, blocksOf(yaml, Resolution.FIVE_MINUTES).size(), "nothing written");
  }
}
