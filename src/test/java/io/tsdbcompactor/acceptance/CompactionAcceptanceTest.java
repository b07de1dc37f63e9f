package io.tsdbcompactor.acceptance;

import static io.tsdbcompactor.acceptance.OpenMetricsGen.H;
import static io.tsdbcompactor.acceptance.Scenario.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.acceptance.Tools.Meta;
import io.tsdbcompactor.bucket.S3Bucket;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.cli.Main;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 and issue 5 acceptance on data we have never seen: promtool-made blocks from a seeded OpenMetrics
 * generator (counters with resets, gauges with NaN/±Inf, unicode label values), two groups by external label,
 * an overlapping import and a gap, in a FILESYSTEM bucket, compacted by the real CLI ({@code Main.run}).
 * Judged only by external tools: promtool (dump, analyze), Prometheus 2.42 (query_range), and our own
 * recomputation of the 5m aggregates from the raw samples.
 */
class CompactionAcceptanceTest {
  static final long RES_5M = 300_000L;

  @TempDir static Path work;
  static Map<String, Path> inputs;
  static final Map<String, String> inputDumps = new LinkedHashMap<>();

  @BeforeAll
  static void buildBucket() throws Exception {
    inputs = Scenario.issue4(work, work.resolve("bucket-orig"));
    for (Map.Entry<String, Path> g : inputs.entrySet()) {
      inputDumps.put(g.getKey(), promtoolDump(g.getValue()));
    }
  }

  static String promtoolDump(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("wal"));
    String out = Tools.promtool("tsdb", "dump", dir.toString());
    Tools.deleteTree(dir.resolve("wal"));
    Tools.deleteTree(dir.resolve("chunks_head"));
    return out;
  }

  static Path freshBucket(String name) throws Exception {
    Path b = work.resolve(name);
    Tools.copyTree(work.resolve("bucket-orig"), b);
    return b;
  }

  static Path objstore(Path bucket) throws Exception {
    Path f = bucket.resolveSibling(bucket.getFileName() + ".yml");
    Files.writeString(f, "type: FILESYSTEM\nconfig:\n  directory: " + bucket + "\n");
    return f;
  }

  /** Live blocks per group, resolution first ("a/0" -> metas). */
  static Map<String, List<Meta>> byGroup(Path bucket) throws Exception {
    Map<String, List<Meta>> out = new TreeMap<>();
    for (Meta m : Tools.liveBlocks(bucket)) {
      String g = m.labels().replaceAll(".*\"cluster\":\"([^\"]*)\".*", "$1");
      out.computeIfAbsent(g + "/" + m.resolution(), k -> new ArrayList<>()).add(m);
    }
    return out;
  }

  static String ranges(List<Meta> metas) {
    StringBuilder sb = new StringBuilder();
    for (Meta m : metas) {
      sb.append(String.format("[%.3fh,%.3fh) ", (m.minTime() - T0) / (double) H, (m.maxTime() - T0) / (double) H));
    }
    return sb.toString().trim();
  }

  static void assertNoOverlaps(Map<String, List<Meta>> groups) {
    for (Map.Entry<String, List<Meta>> g : groups.entrySet()) {
      List<Meta> ms = g.getValue();
      for (int i = 1; i < ms.size(); i++) {
        assertTrue(ms.get(i).minTime() >= ms.get(i - 1).maxTime(),
            "group " + g.getKey() + " has overlapping blocks: " + ranges(ms));
      }
    }
  }

  /**
   * The layout Thanos's planner reaches (derived by hand from docs/thanos-compactor.md §4.3): the [0h,48h) window is full once its 2h
   * blocks are merged, so it becomes one 2d block; the 2h blocks after 48h are never compacted, because the
   * freshest block is left out and promtool's blocks end at their last sample + 1 ms, so no 8h part is ever full
   * nor lies before the freshest remaining block.
   */
  static void assertRawLayout(Map<String, List<Meta>> groups) {
    assertEquals("[0.000h,47.984h) [48.000h,49.984h) [50.000h,51.984h) [52.000h,53.984h) [54.000h,55.984h) "
        + "[56.000h,57.984h)", ranges(groups.get("a/0")));
    assertEquals("[0.000h,47.984h) [48.000h,49.984h) [50.000h,51.984h) [52.000h,53.984h) [54.000h,55.984h)",
        ranges(groups.get("b/0")));
    // a: 22 blocks of the first import (gap at 30h-34h), 3 of the overlapping one, 2 of the 7s-later one.
    assertEquals(27, groups.get("a/0").get(0).sources().size());
    assertEquals(24 + 14 + 24, groups.get("b/0").get(0).sources().size());
    // b's 2h blocks after 48h each merged its three imports (vertical compaction of same-range blocks).
    for (Meta m : groups.get("b/0").subList(1, 5)) {
      assertEquals(3, m.sources().size(), m.toString());
    }
  }

  /** Compacted and downsampled metas keep b's external labels, escaped as Go's encoding/json does. */
  static void assertExternalLabelsKept(Path bucket, Map<String, List<Meta>> groups) throws Exception {
    for (Map.Entry<String, List<Meta>> g : groups.entrySet()) {
      if (g.getKey().startsWith("b/")) {
        for (Meta m : g.getValue()) {
          String json = Files.readString(bucket.resolve(m.ulid()).resolve("meta.json"));
          assertTrue(json.contains("\t\t\t\"region\": \"eu-ö 東京 \\u003c\\u0026\\u003e \\\"q\\\"\"\n"), json);
        }
      }
    }
  }

  /** Every live raw block of each group: promtool analyze passes, and the group's promtool dump is unchanged. */
  static Map<String, Path> assertRawOutputsMatch(Path bucket, Map<String, List<Meta>> groups) throws Exception {
    Map<String, Path> outDirs = new LinkedHashMap<>();
    for (String g : inputs.keySet()) {
      Path out = work.resolve(bucket.getFileName() + "-out-" + g);
      Files.createDirectories(out);
      for (Meta m : groups.get(g + "/0")) {
        Tools.copyTree(bucket.resolve(m.ulid()), out.resolve(m.ulid()));
      }
      Files.createDirectories(out.resolve("wal"));
      for (Meta m : groups.get(g + "/0")) {
        String analyze = Tools.promtool("tsdb", "analyze", out.toString(), m.ulid());
        assertTrue(analyze.contains("Block ID: " + m.ulid()), analyze);
      }
      String dump = promtoolDump(out);
      assertEquals(inputDumps.get(g).length(), dump.length(), "group " + g + " dump size");
      assertTrue(inputDumps.get(g).equals(dump), "group " + g + ": promtool dump of the output differs");
      outDirs.put(g, out);
    }
    return outDirs;
  }

  static int compact(Path bucket, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("compact", "--objstore.config-file=" + objstore(bucket),
        "--consistency-delay=0s", "--delete-delay=0s", "--data-dir=" + bucket.resolveSibling(bucket.getFileName() + "-data")));
    args.addAll(List.of(extra));
    return Main.run(args.toArray(new String[0]));
  }

  static String captureStdout(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run(args), String.join(" ", args));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void compactAndDownsampleFilesystemBucket() throws Exception {
    Path bucket = freshBucket("fs");
    assertEquals(0, compact(bucket));
    Map<String, List<Meta>> groups = byGroup(bucket);
    assertEquals(List.of("a/0", "a/300000", "b/0", "b/300000"), new ArrayList<>(groups.keySet()));
    assertNoOverlaps(groups);
    assertRawLayout(groups);
    assertExternalLabelsKept(bucket, groups);
    Map<String, Path> outDirs = assertRawOutputsMatch(bucket, groups);

    String verify = captureStdout("tools", "bucket", "verify", "--objstore.config-file=" + objstore(bucket), "--index");
    assertTrue(verify.contains("verified 13 blocks: no problems"), verify);

    // Issue 5: the 2d raw blocks (range >= 40h) became 5m blocks with the same range and sources.
    for (String g : inputs.keySet()) {
      List<Meta> five = groups.get(g + "/300000");
      assertEquals(1, five.size());
      Meta raw = groups.get(g + "/0").get(0);
      assertEquals(raw.minTime(), five.get(0).minTime());
      assertEquals(raw.maxTime(), five.get(0).maxTime());
      assertEquals(raw.sources(), five.get(0).sources());
      String aggr = captureStdout("tools", "block", "dump", bucket.resolve(five.get(0).ulid()).toString());
      List<String> problems = AggregateCheck.compare(AggregateCheck.parseRaw(inputDumps.get(g)), aggr, RES_5M,
          raw.minTime(), raw.maxTime());
      assertTrue(problems.isEmpty(), "group " + g + " 5m aggregates:\n" + String.join("\n", problems));
    }

    // Prometheus 2.42 answers the same on the inputs (overlapping, merged at read) and on our output.
    for (String g : inputs.keySet()) {
      Path promIn = work.resolve("prom-in-" + g);
      Path promOut = work.resolve("prom-out-" + g);
      Tools.copyTree(inputs.get(g), promIn);
      Tools.copyTree(outDirs.get(g), promOut);
      Tools.deleteTree(promOut.resolve("wal"));
      Tools.deleteTree(promOut.resolve("chunks_head"));
      List<String> queries = List.of("sum by (code) (rate(http_requests_total[5m]))",
          "node_temperature_celsius", "max_over_time(job:queue_depth:max[1h])",
          "http_requests_total{handler=~\"/(Zürich|東京|new\\nline)\"}", "count(count_over_time({__name__=~\".+\"}[2h]))");
      long start = T0 / 1000;
      long end = start + 58 * 3600;
      try (PrometheusServer in = new PrometheusServer(promIn); PrometheusServer out = new PrometheusServer(promOut)) {
        for (String q : queries) {
          String want = in.queryRange(q, start, end, 300);
          assertTrue(want.contains("\"values\":[["), q + " returns no data: " + want);
          assertEquals(want, out.queryRange(q, start, end, 300), "group " + g + " query " + q);
        }
      }
    }
  }

  @Test
  void compactWithDownsamplingDisabled() throws Exception {
    Path bucket = freshBucket("fs-nods");
    assertEquals(0, compact(bucket, "--downsampling.disable"));
    Map<String, List<Meta>> groups = byGroup(bucket);
    assertEquals(List.of("a/0", "b/0"), new ArrayList<>(groups.keySet()));
    assertNoOverlaps(groups);
    assertRawLayout(groups);
    assertExternalLabelsKept(bucket, groups);
    assertRawOutputsMatch(bucket, groups);
    // A second run finds nothing left to do: same blocks.
    List<Meta> before = Tools.liveBlocks(bucket);
    assertEquals(0, compact(bucket, "--downsampling.disable"));
    assertEquals(before, Tools.liveBlocks(bucket));
  }

  @Test
  void compactThroughS3Proxy() throws Exception {
    Path serverDir = work.resolve("s3proxy");
    Files.createDirectories(serverDir);
    try (S3ProxyServer server = new S3ProxyServer(serverDir)) {
      String name = "acceptance";
      try (S3Bucket s3 = new S3Bucket(server.config(name))) {
        S3TestBuckets.create(server.config(name));
        Path orig = work.resolve("bucket-orig");
        for (Path block : Tools.blocks(orig)) {
          List<Path> files;
          try (Stream<Path> w = Files.walk(block)) {
            files = w.filter(Files::isRegularFile).sorted().toList();
          }
          Path meta = block.resolve("meta.json");
          for (Path f : files) {
            if (!f.equals(meta)) {
              putFile(s3, orig, f);
            }
          }
          putFile(s3, orig, meta);
        }
      }
      // Multipart uploads for anything over 5 MiB (the S3 minimum part size).
      assertEquals(0, Main.run("compact", "--objstore.config=" + server.yaml(name, 5L * 1024 * 1024),
          "--consistency-delay=0s", "--delete-delay=0s", "--data-dir=" + work.resolve("s3-data")));
    }
    // S3Proxy's filesystem backend keeps objects as plain files: judge them like a filesystem bucket.
    Path bucket = serverDir.resolve("acceptance");
    Map<String, List<Meta>> groups = byGroup(bucket);
    assertEquals(List.of("a/0", "a/300000", "b/0", "b/300000"), new ArrayList<>(groups.keySet()));
    assertNoOverlaps(groups);
    assertRawLayout(groups);
    assertRawOutputsMatch(bucket, groups);
    for (String g : inputs.keySet()) {
      Meta five = groups.get(g + "/300000").get(0);
      String aggr = captureStdout("tools", "block", "dump", bucket.resolve(five.ulid()).toString());
      assertEquals(List.of(), AggregateCheck.compare(AggregateCheck.parseRaw(inputDumps.get(g)), aggr, RES_5M,
          five.minTime(), five.maxTime()));
    }
  }

  private static void putFile(S3Bucket s3, Path root, Path f) throws Exception {
    String key = root.relativize(f).toString().replace('\\', '/');
    try (InputStream in = Files.newInputStream(f)) {
      s3.upload(key, in, Files.size(f));
    }
  }
}
