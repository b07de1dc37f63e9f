package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.job.SampleBlocks;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's command-line surface, as an operator replacing {@code thanos compact} meets it: Thanos's flags,
 * exit codes that do not fail every later run, no silent demo, JSON on every output line, the tools' flags and
 * verify issues. Blocks are written at a fixed instant in the past, so the results do not depend on the day.
 */
class ThanosDropInTest {
  static final long H = 3_600_000L;
  /** The end of the generated data: far enough back that every block is past the consistency delay. */
  static final long T0 = Instant.parse("2024-03-01T00:00:00Z").toEpochMilli();

  record Result(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  static Result run(String... args) {
    return CliRun.run(null, Result::new, args);
  }

  static String objstore(Path dir) {
    return "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: " + dir + "\n";
  }

  /** Three days of 2h blocks with an overlap now and then, as a sidecar pair uploads them. */
  static List<BlockMeta> twoHourBlocks(Path bucket, Map<String, String> labels) throws IOException {
    return new SampleBlocks(new SampleBlocks.Spec(3, 2 * H, 600_000, 1, labels, 5, 7)).write(bucket, T0);
  }

  static SyncResult sync(Path bucket) throws IOException {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = Duration.ZERO;
    o.deleteDelay = Duration.ofHours(48);
    try (FilesystemBucket b = new FilesystemBucket(bucket)) {
      return new BlockSyncer(b, null, o).sync();
    }
  }

  static void flip(Path f, long at) throws IOException {
    try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
      r.seek(at);
      int b = r.read();
      r.seek(at);
      r.write(b ^ 0x5A);
    }
  }

  // ------------------------------------------------------------------------------------------- flags

  @Test
  void theFlagsOfAThanosCompactorDeploymentRunUnchanged(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    twoHourBlocks(bucket, Map.of("cluster", "x", "replica", "a"));
    Result r = run("compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--log.level=info",
        "--log.format=logfmt", "--consistency-delay=0s", "--delete-delay=48h", "--retention.resolution-raw=0d",
        "--retention.resolution-5m=0d", "--retention.resolution-1h=0d", "--compact.concurrency=1",
        "--downsample.concurrency=1", "--compact.cleanup-interval=5m", "--compact.progress-interval=5m",
        "--block-discovery-strategy=recursive", "--block-meta-fetch-concurrency=32", "--block-files-concurrency=1",
        "--compact.blocks-fetch-concurrency=1", "--min-time=0000-01-01T00:00:00Z", "--max-time=9999-12-31T23:59:59Z",
        "--hash-func=", "--deduplication.replica-label=replica", "--deduplication.func=",
        "--debug.max-compaction-level=4", "--no-debug.halt-on-error", "--debug.accept-malformed-index",
        "--compact.block-max-index-size=64GB", "--compact.skip-block-with-out-of-order-chunks",
        "--compact.enable-vertical-compaction", "--enable-auto-gomemlimit", "--auto-gomemlimit.ratio=0.9",
        "--http-grace-period=2m", "--no-wait", "--wait-interval=5m", "--no-downsampling.disable");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.err().lines().anyMatch(l -> l.contains("flag=--enable-auto-gomemlimit")
        && l.contains("has no effect")), r.err());
    assertTrue(r.out().contains("merged "), r.out());

    Result badStrategy = run("compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"),
        "--block-discovery-strategy=sideways");
    assertEquals(2, badStrategy.code());
    assertTrue(badStrategy.err().contains("--block-discovery-strategy must be concurrent or recursive"), badStrategy.err());
    Result badSize = run("compact", objstore(bucket), "--compact.block-max-index-size=64 gigs");
    assertEquals(2, badSize.code());
    Result badTime = run("compact", objstore(bucket), "--min-time=yesterday");
    assertEquals(2, badTime.code());
    assertTrue(badTime.err().contains("neither an RFC 3339 time"), badTime.err());
  }

  @Test
  void minAndMaxTimeLimitTheBlocksTheRunTouches(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    List<BlockMeta> input = twoHourBlocks(bucket, Map.of("cluster", "x"));
    long min = T0 - 2 * 24 * H;
    long max = T0 - 24 * H;
    Result r = run("compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s",
        "--downsampling.disable", "--min-time=" + Instant.ofEpochMilli(min), "--max-time=" + Instant.ofEpochMilli(max));
    assertEquals(0, r.code(), r.all());
    SyncResult s = sync(bucket);
    Set<String> sources = new TreeSet<>();
    for (BlockMeta m : s.allMetas().values()) {
      if (m.compaction.level > 1) {
        sources.addAll(m.compaction.sources);
      }
    }
    assertFalse(sources.isEmpty(), "blocks inside the window were compacted");
    for (BlockMeta m : input) {
      boolean inside = m.maxTime >= min && m.minTime <= max;
      assertTrue(inside || !sources.contains(m.ulid), "block outside the window compacted: " + m);
      assertTrue(inside || !s.deletionMarks().containsKey(m.ulid), "block outside the window marked: " + m);
    }

    // A window relative to now (two weeks back) holds none of these 2024 blocks: nothing to do.
    Path other = tmp.resolve("other");
    twoHourBlocks(other, Map.of("cluster", "y"));
    Result relative = run("compact", objstore(other), "--data-dir=" + tmp.resolve("data2"), "--consistency-delay=0s",
        "--min-time=-2w");
    assertEquals(0, relative.code(), relative.all());
    assertTrue(relative.out().contains("merged 0 blocks"), relative.out());
  }

  // ------------------------------------------------------------------------------------------- exit codes

  @Test
  void aBlockWithATruncatedMetaJsonFailsOneRunNotEveryRunAfter(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    List<BlockMeta> input = twoHourBlocks(bucket, Map.of("cluster", "x"));
    String bad = input.get(3).ulid;
    Path meta = bucket.resolve(bad).resolve("meta.json");
    try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    List<String> pushed = Collections.synchronizedList(new ArrayList<>());
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/", ex -> {
      pushed.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    gateway.start();
    try {
      String[] args = {"compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s",
          "--metrics.pushgateway-url=http://127.0.0.1:" + gateway.getAddress().getPort()};
      Result first = run(args);
      assertEquals(1, first.code(), first.all());
      assertTrue(first.err().lines().anyMatch(l -> l.startsWith("compact: block " + bad) && l.contains("meta.json")
          && l.endsWith("(marked no-compact)")), first.err());
      assertTrue(Files.exists(bucket.resolve(bad).resolve("no-compact-mark.json")));

      Result second = run(args);
      assertEquals(0, second.code(), second.all());
      assertFalse(second.err().contains("compact: block " + bad), second.err());
      List<String> warnings = second.err().lines().filter(l -> l.contains("level=warn")
          && l.contains("held back by earlier findings")).toList();
      assertEquals(1, warnings.size(), second.err());
      assertTrue(warnings.get(0).contains("1 with an unusable meta.json"), warnings.get(0));
      assertEquals(2, pushed.size());
      assertTrue(pushed.get(1).contains("tsdb_compactor_blocks_held_back{reason=\"unreadable-meta\"} 1.0"), pushed.get(1));
      assertTrue(pushed.get(1).contains("thanos_compact_iterations_total 1.0"), pushed.get(1));
    } finally {
      gateway.stop(0);
    }

    // A Pushgateway that is down is a warning, never a failed run.
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    Result noGateway = run("compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s",
        "--metrics.pushgateway-url=http://127.0.0.1:" + deadPort);
    assertEquals(0, noGateway.code(), noGateway.all());
    assertTrue(noGateway.err().lines().anyMatch(l -> l.contains("level=warn")
        && l.contains("pushing metrics to the Pushgateway failed")), noGateway.err());
  }

  @Test
  void aCorruptExpiredRawBlockFailsTheRunThatFindsItOnly(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    List<BlockMeta> input = new SampleBlocks(new SampleBlocks.Spec(7, 48 * H, 300_000, 1, Map.of("cluster", "ds"), 0, 5))
        .write(bucket, T0);
    String bad = input.get(0).ulid;
    Path chunk = bucket.resolve(bad).resolve("chunks/000001");
    flip(chunk, Files.size(chunk) / 2);
    String[] args = {"compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s",
        "--delete-delay=0s", "--retention.resolution-raw=3d"};
    Result first = run(args);
    assertEquals(1, first.code(), first.all());
    assertTrue(first.err().lines().anyMatch(l -> l.startsWith("compact: ") && l.contains(bad)), first.err());
    assertTrue(Files.exists(bucket.resolve(bad).resolve("no-downsample-mark.json")));

    for (int i = 0; i < 2; i++) {
      Result later = run(args);
      assertEquals(0, later.code(), later.all());
      assertTrue(later.err().lines().anyMatch(l -> l.contains("level=warn") && l.contains("held back")
          && l.contains("1 expired but kept by retention")), later.err());
      assertTrue(Files.exists(bucket.resolve(bad).resolve("chunks/000001")), "the corrupt block is kept");
    }
  }

  // ------------------------------------------------------------------------------------------- configuration

  @Test
  void noBucketAMissingDirectoryAndAnUnsupportedTracerAreConfigurationErrors(@TempDir Path tmp) throws Exception {
    Result none = run("compact", "--data-dir=" + tmp.resolve("data"));
    assertEquals(2, none.code(), none.all());
    assertTrue(none.err().contains("pass --objstore.config-file=") && none.err().contains("--demo"), none.err());
    assertFalse(Files.exists(tmp.resolve("data").resolve("demo-bucket")), "no demo bucket made behind the user's back");

    Result missing = run("compact", objstore(tmp.resolve("no-such-dir")), "--data-dir=" + tmp.resolve("data"));
    assertEquals(2, missing.code(), missing.all());
    assertTrue(missing.err().contains(tmp.resolve("no-such-dir") + " does not exist"), missing.err());
    assertFalse(Files.exists(tmp.resolve("no-such-dir")));
    assertEquals(2, run("tools", "bucket", "ls", objstore(tmp.resolve("no-such-dir"))).code());

    Files.createDirectories(tmp.resolve("empty"));
    Result jaeger = run("compact", objstore(tmp.resolve("empty")), "--data-dir=" + tmp.resolve("data"),
        "--tracing.config=type: JAEGER\nconfig:\n  service_name: thanos-compact\n");
    assertEquals(2, jaeger.code(), jaeger.all());
    assertTrue(jaeger.err().contains("tracing type JAEGER is not supported: use type: OTLP"), jaeger.err());
    Result badClient = run("compact", objstore(tmp.resolve("empty")), "--data-dir=" + tmp.resolve("data"),
        "--tracing.config=type: OTLP\nconfig:\n  client_type: carrier-pigeon\n");
    assertEquals(2, badClient.code(), badClient.all());
    assertTrue(badClient.err().contains("client_type must be http or grpc"), badClient.err());
  }

  // ------------------------------------------------------------------------------------------- logs

  @Test
  void jsonLogsMakeEveryLineOnStdoutAndStderrOneJsonObject(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    List<BlockMeta> input = twoHourBlocks(bucket, Map.of("cluster", "x"));
    Files.writeString(bucket.resolve(input.get(2).ulid).resolve("meta.json"), "{\"ulid\": ");
    Result r = run("compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s",
        "--log.format=json", "--wiat");
    assertEquals(2, r.code());
    assertJsonLines(r);
    r = run("compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s",
        "--log.format=json");
    assertEquals(1, r.code(), r.all());
    List<JsonNode> out = assertJsonLines(r);
    assertTrue(out.stream().anyMatch(n -> n.path("msg").asText().contains("compact: bucket FILESYSTEM directory "
        + bucket + ", done in ")), r.out());
    assertTrue(out.stream().anyMatch(n -> n.path("msg").asText().contains("bucket now:")), r.out());
    assertTrue(r.err().contains(input.get(2).ulid), r.err());
  }

  @Test
  void theSummaryNamesTheBucketAsTheOperatorWroteIt() {
    String s3 = io.tsdbcompactor.bucket.ObjstoreConfig.parse("type: S3\nconfig:\n  bucket: metrics\n"
        + "  endpoint: minio.example:9000\n  access_key: AKIA-SECRET-ID\n  secret_key: very-secret\nprefix: tenant-a\n")
        .describe();
    assertEquals("S3 bucket \"metrics\" at minio.example:9000 under prefix tenant-a/", s3);
  }

  /** The JVM announces JAVA_TOOL_OPTIONS on stderr in plain text: the image passes its options on the command line. */
  @Test
  void theImagePassesJvmOptionsOnTheCommandLine() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("Dockerfile"));
    assertTrue(lines.stream().noneMatch(l -> l.startsWith("ENV") && l.contains("JAVA_TOOL_OPTIONS")), lines.toString());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("ENTRYPOINT [\"java\", \"-XX:MaxRAMPercentage=")
        && l.contains("\"-jar\"")), lines.toString());
  }

  static List<JsonNode> assertJsonLines(Result r) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> stdout = new ArrayList<>();
    for (String stream : List.of(r.out(), r.err())) {
      for (String line : stream.split("\n", -1)) {
        if (line.isEmpty()) {
          continue;
        }
        JsonNode n = json.readTree(line);
        assertTrue(n.isObject() && n.has("ts") && n.has("level") && n.has("msg"), "not a JSON log line: " + line);
        if (stream == r.out()) {
          stdout.add(n);
        }
      }
    }
    return stdout;
  }

  // ------------------------------------------------------------------------------------------- tools

  @Test
  void toolsTakeObjstoreFlagsBeforeTheSubcommandAndCountTheBucketAsCompactDoes(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    List<BlockMeta> input = twoHourBlocks(bucket, Map.of("cluster", "x"));
    Files.writeString(bucket.resolve(input.get(1).ulid).resolve("meta.json"), "not json");

    Result ls = run("tools", "bucket", objstore(bucket), "ls");
    assertEquals(0, ls.code(), ls.all());
    assertTrue(ls.out().contains(input.get(0).ulid), ls.out());

    Result compact = run("compact", objstore(bucket), "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s");
    assertEquals(1, compact.code(), compact.all());
    String counts = compact.out().lines().filter(l -> l.startsWith("  bucket now:")).findFirst().orElseThrow()
        .substring("  bucket now:".length()).strip();
    assertTrue(counts.contains("1 partial (1 with an unreadable meta.json)"), counts);

    Result inspect = run("tools", "bucket", objstore(bucket), "inspect");
    assertEquals(0, inspect.code(), inspect.all());
    assertTrue(inspect.out().lines().anyMatch(l -> l.equals("bucket: " + counts)), counts + "\n" + inspect.out());

    Result verify = run("tools", "bucket", "verify", objstore(bucket));
    assertEquals(1, verify.code(), verify.all());
    assertTrue(verify.out().lines().anyMatch(l -> l.equals("bucket: " + counts)), verify.out());
    assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("block " + input.get(1).ulid + ": ")
        && l.contains("meta.json is unreadable")), verify.out());
    Result overlapsOnly = run("tools", "bucket", objstore(bucket), "verify", "--issues=overlapped_blocks");
    assertEquals(0, overlapsOnly.code(), overlapsOnly.all());
  }
}
