package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Promtool;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.TestBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tools bucket rewrite --rewrite.to-relabel-config} through the CLI on promtool-made blocks, checked by
 * {@code promtool tsdb dump} and {@code promtool tsdb analyze}, on the bucket the subclass provides.
 */
abstract class BucketRewriteRelabelTest {
  /** Merges the pods of a namespace, strips the port, upper-cases the sensor, drops weird_labels. */
  static final String RELABEL = """
      - source_labels: [__name__]
        regex: weird_labels
        action: drop
      - regex: pod
        action: labeldrop
      - source_labels: [instance]
        regex: '(?P<host>[^:]+):\\d+'
        target_label: instance
        replacement: '${host}'
      - source_labels: [sensor]
        target_label: sensor
        action: uppercase
      """;

  /** {@link #RELABEL} written out by hand, for the expected dump: null = deleted. */
  static Labels expectedRelabel(Labels in) {
    if ("weird_labels".equals(in.get("__name__"))) {
      return null;
    }
    Map<String, String> m = new TreeMap<>(in.without("pod").toMap());
    String instance = m.get("instance");
    if (instance != null && instance.matches("[^:]+:\\d+")) {
      m.put("instance", instance.substring(0, instance.indexOf(':')));
    }
    m.computeIfPresent("sensor", (k, v) -> v.toUpperCase(java.util.Locale.ROOT));
    return Labels.fromMap(m);
  }

  @TempDir
  Path tmp;
  String yaml;
  Bucket bucket;
  List<String> ulids;

  abstract String newBucketYaml() throws Exception;

  @BeforeEach
  void fill() throws Exception {
    yaml = newBucketYaml();
    bucket = ObjstoreConfig.parse(yaml).open();
    ulids = TestBlocks.basicUlids();
    BlockTransfer.Options o = new BlockTransfer.Options();
    o.clock = BucketToolsCommandTest.CLOCK;
    for (String u : ulids) {
      new BlockTransfer(bucket, o).upload(TestBlocks.copyWithLabels(u, tmp.resolve("src"), Map.of("cluster", "eu1")));
    }
  }

  @AfterEach
  void close() throws Exception {
    bucket.close();
  }

  BucketToolsCommandTest.Result tool(String... args) {
    List<String> all = new ArrayList<>(List.of("tools", "bucket"));
    all.addAll(List.of(args));
    all.add("--objstore.config=" + yaml);
    return BucketToolsCommandTest.run(all.toArray(new String[0]));
  }

  List<String> keys() throws Exception {
    return bucket.list("", true).stream().map(e -> e.key()).toList();
  }

  static String newUlid(BucketToolsCommandTest.Result r) {
    return r.out().lines().filter(l -> l.contains(" rewritten as ")).findFirst().orElseThrow()
        .replaceAll(".* rewritten as (\\w+):.*", "$1");
  }

  @Test
  void relabelledBlockDumpsLikeTheSourceWithLabelsRewrittenAndEqualSeriesMerged() throws Exception {
    String id = ulids.get(0);
    Path before = tmp.resolve("before").resolve(id);
    BlockMeta source = BlockTransfer.download(bucket, id, before);
    BucketToolsCommandTest.Result r = tool("rewrite", "--id", id, "--no-dry-run", "--delete-blocks",
        "--rewrite.to-relabel-config", RELABEL, "--tmp.dir", tmp.resolve("work").toString());
    assertEquals(0, r.exit(), r.err());
    String newId = newUlid(r);
    assertTrue(Markers.exists(bucket, id, Marker.DELETION_MARK), "source marked after the upload");

    Path after = tmp.resolve("after").resolve(newId);
    BlockMeta m = BlockTransfer.download(bucket, newId, after);
    String dump = Promtool.dump(tmp, List.of(after), null, null);
    Set<Labels> expectedSeries = assertDumpIsRelabelled(Promtool.dump(tmp, List.of(before), null, null), dump,
        BucketRewriteRelabelTest::expectedRelabel);
    assertEquals(expectedSeries.size(), m.stats.numSeries);
    assertEquals(dump.lines().count(), m.stats.numSamples);
    assertTrue(expectedSeries.size() < source.stats.numSeries - 4, "pods merged: " + expectedSeries.size());
    assertEquals(source.minTime, m.minTime);
    assertEquals(source.maxTime, m.maxTime);
    assertEquals(Map.of("cluster", "eu1"), m.thanos.labels);
    var applied = m.thanos.rewrites.get(0);
    assertEquals(id, applied.get("sources").get(0).asText());
    assertEquals("labeldrop", applied.get("relabels_applied").get(1).get("action").asText());
    assertFalse(applied.has("deletions_applied"));
    var analyze = Promtool.run("tsdb", "analyze", tmp.resolve("after").toString(), newId);
    assertEquals(0, analyze.exitCode(), analyze.stderr());

    String log = Files.readString(tmp.resolve("work").resolve(newId).resolve("change.log"));
    assertTrue(log.contains("relabelled series {__name__=\"pod_up\", namespace=\"ns-0\", pod=\"pod-000\"} -> "
        + "{__name__=\"pod_up\", namespace=\"ns-0\"}"), log);
    assertTrue(log.contains("deleted series {__name__=\"weird_labels\"} (dropped by relabelling)"), log);
    assertTrue(r.out().contains(" merged into others"), r.out());
  }

  /**
   * Checks that {@code actual} holds, for each series of {@code source} relabelled by {@code relabel}, exactly the
   * timestamps of the series it came from, and at each one a value one of them had there (equal series merged);
   * returns the expected series.
   */
  static Set<Labels> assertDumpIsRelabelled(String source, String actual, Function<Labels, Labels> relabel) {
    Map<Labels, Map<Long, Set<String>>> expected = new HashMap<>();
    for (String line : source.lines().toList()) {
      Sample s = Sample.parse(line);
      Labels to = relabel.apply(s.labels());
      if (to != null) {
        expected.computeIfAbsent(to, k -> new HashMap<>()).computeIfAbsent(s.t(), k -> new HashSet<>()).add(s.value());
      }
    }
    Map<Labels, Set<Long>> seen = new HashMap<>();
    for (String line : actual.lines().toList()) {
      Sample s = Sample.parse(line);
      Map<Long, Set<String>> series = expected.get(s.labels());
      assertTrue(series != null, "unexpected series " + s.labels());
      assertTrue(series.getOrDefault(s.t(), Set.of()).contains(s.value()), "sample not in the source: " + line);
      assertTrue(seen.computeIfAbsent(s.labels(), k -> new HashSet<>()).add(s.t()), "timestamp twice: " + line);
    }
    for (Map.Entry<Labels, Map<Long, Set<String>>> e : expected.entrySet()) {
      assertEquals(e.getValue().keySet(), seen.getOrDefault(e.getKey(), Set.of()), "timestamps of " + e.getKey());
    }
    return expected.keySet();
  }

  /** One line of {@code promtool tsdb dump}: {@code {a="b", ...} value timestamp} (plain label values only). */
  record Sample(Labels labels, String value, long t) {
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    static Sample parse(String line) {
      int close = line.lastIndexOf('}');
      String[] rest = line.substring(close + 2).split(" ");
      Labels.Builder b = new Labels.Builder();
      Matcher m = LABEL.matcher(line.substring(0, close + 1));
      while (m.find()) {
        b.add(m.group(1), m.group(2));
      }
      return new Sample(b.build(), rest[0], Long.parseLong(rest[1]));
    }
  }

  @Test
  void deletionsApplyBeforeRelabellingAndTheDryRunCounts() throws Exception {
    String id = ulids.get(0);
    String deleteNs0 = "- matchers: '{__name__=\"pod_up\", namespace=\"ns-0\"}'\n";
    List<String> before = keys();
    BucketToolsCommandTest.Result dry = tool("rewrite", "--id", id, "--rewrite.to-delete-config", deleteNs0,
        "--rewrite.to-relabel-config", RELABEL, "--tmp.dir", tmp.resolve("work").toString());
    assertEquals(0, dry.exit(), dry.err());
    assertEquals(before, keys(), "a dry run writes nothing");
    // 14 pods of ns-0 deleted, 4 weird_labels dropped; the 3 other namespaces' 42 pods become 3 series; the six
    // web series lose their port, the six node series get an upper-case sensor.
    assertTrue(dry.out().contains("dry run: block " + id + ": 18 of 70 series deleted, 0 with samples deleted, "
        + "52 relabelled, 37 merged into others"), dry.out());

    BucketToolsCommandTest.Result r = tool("rewrite", "--id", id, "--no-dry-run", "--rewrite.to-delete-config",
        deleteNs0, "--rewrite.to-relabel-config", RELABEL, "--tmp.dir", tmp.resolve("work").toString());
    assertEquals(0, r.exit(), r.err());
    String newId = newUlid(r);
    Path after = tmp.resolve("after").resolve(newId);
    BlockMeta m = BlockTransfer.download(bucket, newId, after);
    assertEquals(15, m.stats.numSeries);
    Path src = tmp.resolve("before").resolve(id);
    BlockTransfer.download(bucket, id, src);
    assertDumpIsRelabelled(Promtool.dump(tmp, List.of(src), null, null), Promtool.dump(tmp, List.of(after), null, null),
        l -> "ns-0".equals(l.get("namespace")) ? null : expectedRelabel(l));
    assertTrue(m.thanos.rewrites.get(0).has("deletions_applied") && m.thanos.rewrites.get(0).has("relabels_applied"));
  }

  @Test
  void blocksWithoutExternalLabelsNeedPromBlocks() throws Exception {
    String id = ulids.get(1);
    Path plain = tmp.resolve("plain").resolve(id);
    BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(id), plain);
    for (var e : bucket.list(id + "/", true)) {
      bucket.delete(e.key());
    }
    BlockTransfer.Options o = new BlockTransfer.Options();
    o.clock = BucketToolsCommandTest.CLOCK;
    o.requireExternalLabels = false;
    new BlockTransfer(bucket, o).upload(plain);
    List<String> before = keys();
    String work = tmp.resolve("work").toString();
    BucketToolsCommandTest.Result refused = tool("rewrite", "--id", id, "--no-dry-run", "--delete-blocks",
        "--tmp.dir", work, "--rewrite.to-relabel-config", RELABEL);
    assertEquals(2, refused.exit());
    assertTrue(refused.err().contains("block " + id + " has no external labels") && refused.err().contains("--prom-blocks"),
        refused.err());
    assertEquals(before, keys(), "nothing written, nothing marked");

    BucketToolsCommandTest.Result r = tool("rewrite", "--id", id, "--no-dry-run", "--prom-blocks", "--tmp.dir", work,
        "--rewrite.to-relabel-config", RELABEL);
    assertEquals(0, r.exit(), r.err());
    BlockMeta m = BlockMeta.parse("meta", bucket.getBytes(newUlid(r) + "/meta.json"));
    assertEquals(0, m.externalLabels().size());
    assertEquals("bucket.rewrite", m.thanos.source);
  }

  @Test
  void badRelabelConfigsAreUsageErrorsThatWriteAndMarkNothing() throws Exception {
    List<String> before = keys();
    String work = tmp.resolve("work").toString();
    Map<String, String> bad = Map.of(
        "- action: keep\n  source_labels: [a\n", "not valid YAML",
        "- action: explode\n", "unknown relabel action \"explode\"",
        "- source_labels: [a]\n  regex: '(a'\n  action: drop\n", "invalid regex \"(a\"",
        "- source_labels: [a]\n  target_label: 'x-y'\n", "invalid 'target_label'",
        "- action: hashmod\n  target_label: s\n", "non-zero modulus",
        "action: drop\n", "non-empty list");
    for (Map.Entry<String, String> e : bad.entrySet()) {
      BucketToolsCommandTest.Result r = tool("rewrite", "--id", ulids.get(0), "--no-dry-run", "--delete-blocks",
          "--tmp.dir", work, "--rewrite.to-relabel-config", e.getKey());
      assertEquals(2, r.exit(), e.getKey() + ": " + r.err());
      assertTrue(r.err().contains(e.getValue()), e.getKey() + ": " + r.err());
    }
    Path file = tmp.resolve("relabel.yml");
    Files.writeString(file, "- action: explode\n");
    BucketToolsCommandTest.Result fromFile = tool("rewrite", "--id", ulids.get(0), "--no-dry-run", "--tmp.dir", work,
        "--rewrite.to-relabel-config-file", file.toString());
    assertEquals(2, fromFile.exit());
    assertTrue(fromFile.err().contains("--rewrite.to-relabel-config, rule 1: unknown relabel action"), fromFile.err());
    assertEquals(2, tool("rewrite", "--id", ulids.get(0), "--no-dry-run", "--tmp.dir", work,
        "--rewrite.to-relabel-config-file", tmp.resolve("missing.yml").toString()).exit());
    assertEquals(2, tool("rewrite", "--id", ulids.get(0), "--no-dry-run", "--tmp.dir", work).exit(), "no config");
    assertEquals(before, keys(), "nothing written, nothing marked");
  }
}
