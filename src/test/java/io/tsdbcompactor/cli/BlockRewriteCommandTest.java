package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Promtool;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.TestBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tools block rewrite} on promtool-made block directories, checked by promtool. */
class BlockRewriteCommandTest {
  @TempDir
  Path tmp;

  private List<Path> children(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void writesTheBlockWithoutTheSelectedSeriesAndLeavesTheSourceAlone() throws Exception {
    String ulid = TestBlocks.basicUlids().get(1);
    Path src = tmp.resolve("src").resolve(ulid); // promtool reads only ULID-named block directories
    BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(ulid), src);
    byte[] index = Files.readAllBytes(src.resolve("index"));
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    String config = "- matchers: 'weird_labels'\n- matchers: '{__name__=\"node_temperature_celsius\", instance!=\"\"}'\n";

    var dry = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(),
        "--rewrite.to-delete-config", config);
    assertEquals(0, dry.exit(), dry.err());
    assertTrue(dry.out().contains("deleted series {__name__=\"weird_labels\""), dry.out());
    assertEquals(List.of(), children(dst), "a dry run writes nothing");

    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(),
        "--rewrite.to-delete-config", config, "--no-dry-run");
    assertEquals(0, r.exit(), r.err());
    List<Path> made = children(dst);
    assertEquals(2, made.size(), made.toString()); // the block and its change log
    Path block = made.stream().filter(Files::isDirectory).findFirst().orElseThrow();
    String expected = Promtool.dump(tmp, List.of(src), null, null).lines()
        .filter(l -> !l.startsWith("{__name__=\"weird_labels\"") && !l.startsWith("{__name__=\"node_temperature_celsius\""))
        .reduce("", (a, b) -> a + b + "\n");
    assertEquals(expected, Promtool.dump(tmp, List.of(block), null, null));
    assertEquals(0, Promtool.run("tsdb", "analyze", dst.toString(), block.getFileName().toString()).exitCode());
    assertTrue(java.util.Arrays.equals(index, Files.readAllBytes(src.resolve("index"))), "source unchanged");
    assertTrue(Files.readString(dst.resolve(block.getFileName() + ".change.log")).contains("deleted series"));
  }

  /**
   * A meta.json whose range is empty or upside down leaves every chunk outside it: rewritten, the block would come
   * out empty. The rewrite refuses it, naming the block and the file, and writes nothing.
   */
  @Test
  void aBlockWhoseMetaRangeIsUpsideDownIsRefused() throws Exception {
    String ulid = TestBlocks.basicUlids().get(1);
    Path src = tmp.resolve("src").resolve(ulid);
    BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(ulid), src);
    Path metaFile = src.resolve("meta.json");
    io.tsdbcompactor.block.BlockMeta m =
        io.tsdbcompactor.block.BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    long min = m.minTime;
    m.minTime = m.maxTime;
    m.maxTime = min;
    Files.write(metaFile, m.toJsonBytes());
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.to-delete-config", "- matchers: 'weird_labels'\n");
    assertEquals(1, r.exit(), r.out() + r.err());
    assertTrue(r.err().contains(ulid) && r.err().contains("meta.json: minTime"), r.err());
    assertTrue(children(dst).stream().noneMatch(Files::isDirectory), "no block written: " + children(dst));
  }

  @Test
  void relabelsALocalBlock() throws Exception {
    String ulid = TestBlocks.basicUlids().get(2);
    Path src = tmp.resolve("src").resolve(ulid);
    BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(ulid), src);
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.to-relabel-config", BucketRewriteRelabelTest.RELABEL);
    assertEquals(0, r.exit(), r.err());
    Path block = children(dst).stream().filter(Files::isDirectory).findFirst().orElseThrow();
    BucketRewriteRelabelTest.assertDumpIsRelabelled(Promtool.dump(tmp, List.of(src), null, null),
        Promtool.dump(tmp, List.of(block), null, null), BucketRewriteRelabelTest::expectedRelabel);
    assertEquals(0, Promtool.run("tsdb", "analyze", dst.toString(), block.getFileName().toString()).exitCode());
    assertTrue(Files.readString(dst.resolve(block.getFileName() + ".change.log")).contains("relabelled series "));
    var bad = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.to-relabel-config", "- source_labels: [a]\n  regex: '[z-a]'\n  action: drop\n");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("invalid regex \"[z-a]\""), bad.err());
    assertEquals(2, children(dst).size(), "the bad config wrote nothing");
  }

  @Test
  void aSeriesRelabelledToADeletedSeriesLabelsIsKept() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path src = tmp.resolve("src").resolve(ulid);
    BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(ulid), src);
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.to-delete-config", "- matchers: '{pod=\"pod-000\"}'",
        "--rewrite.to-relabel-config", "- source_labels: [pod]\n  regex: pod-004\n  target_label: pod\n  replacement: pod-000\n");
    assertEquals(0, r.exit(), r.err());
    Path block = children(dst).stream().filter(Files::isDirectory).findFirst().orElseThrow();
    BucketRewriteRelabelTest.assertDumpIsRelabelled(Promtool.dump(tmp, List.of(src), null, null),
        Promtool.dump(tmp, List.of(block), null, null), l -> "pod-000".equals(l.get("pod")) ? null
            : "pod-004".equals(l.get("pod")) ? Labels.fromMap(new TreeMap<>(Map.of("__name__", "pod_up", "namespace",
                l.get("namespace"), "pod", "pod-000"))) : l);
  }

  /** {@code tools block dump} of a block: for a downsampled one, every aggregate of every window. */
  private static String dump(Path block) {
    var r = BucketToolsCommandTest.run("tools", "block", "dump", block.toString());
    assertEquals(0, r.exit(), r.err());
    return r.out();
  }

  /** The window lines ({@code count=... T}) of a downsampled block's dump: labels → timestamp → aggregates. */
  private static Map<String, Map<Long, String>> windows(String dump) {
    Map<String, Map<Long, String>> out = new TreeMap<>();
    for (String l : dump.lines().filter(l -> l.contains(" count=")).toList()) {
      int close = l.lastIndexOf("} ");
      int lastSpace = l.lastIndexOf(' ');
      String previous = out.computeIfAbsent(l.substring(0, close + 1), k -> new TreeMap<>())
          .put(Long.parseLong(l.substring(lastSpace + 1)), l.substring(close + 2, lastSpace));
      assertEquals(null, previous, "one window per timestamp: " + l);
    }
    return out;
  }

  @Test
  void rewritesDownsampledBlocksCuttingAndMergingTheirAggregates() throws Exception {
    for (long resolution : new long[] {300_000L, 3_600_000L}) {
      Path raw = BlockDumper.blockDirs(TestBlocks.BASIC).get(0);
      Ulid ulid = Ulid.generate(1_700_000_000_000L + resolution, new java.util.Random(resolution));
      Path src = tmp.resolve("ds-" + resolution).resolve(ulid.toString());
      BlockMeta meta = BlockDownsampler.downsample(new FsDirectory(raw), new FsDirectory(src), resolution, ulid).meta();
      long cutFrom = meta.minTime + 30 * 60_000L;
      long cutTo = meta.minTime + 90 * 60_000L;
      Path dst = Files.createDirectories(tmp.resolve("dst-" + resolution));
      // weird_labels deleted; http windows in [cutFrom, cutTo] deleted; the port moves to a host label; the node
      // series of the three instances become one per sensor, their overlapping aggregate chunks merged.
      var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
          "--rewrite.add-change-log=false", "--rewrite.to-delete-config", "- matchers: '{__name__=\"weird_labels\"}'\n"
              + "- matchers: '{__name__=\"http_requests_total\"}'\n  intervals: [{mint: " + cutFrom + ", maxt: " + cutTo + "}]\n",
          "--rewrite.to-relabel-config", "- source_labels: [instance]\n  regex: '([^:]+):\\d+'\n  target_label: host\n"
              + "- regex: instance\n  action: labeldrop\n");
      assertEquals(0, r.exit(), r.err());
      Path block = children(dst).get(0);
      BlockMeta out = BlockMeta.parse("meta", Files.readAllBytes(block.resolve("meta.json")));
      assertEquals(resolution, out.resolution());
      assertEquals(0, BucketToolsCommandTest.run("tools", "block", "verify", block.toString()).exit());

      Map<String, Map<Long, java.util.Set<String>>> expected = new TreeMap<>();
      windows(dump(src)).forEach((labels, byTime) -> {
        if (labels.startsWith("{__name__=\"weird_labels\"")) {
          return;
        }
        boolean http = labels.startsWith("{__name__=\"http_requests_total\"");
        String to = labels.replaceAll(", instance=\"([^:\"]+):\\d+\"", ", HOST=$1").replaceAll(", instance=\"[^\"]*\"", "");
        if (to.contains("HOST=")) { // host sorts between handler and job
          String host = to.replaceAll(".*, HOST=([^,}]+).*", "$1");
          to = to.replaceAll(", HOST=[^,}]+", "").replace(", job=", ", host=\"" + host + "\", job=");
        }
        Map<Long, java.util.Set<String>> series = expected.computeIfAbsent(to, k -> new TreeMap<>());
        byTime.forEach((t, aggregates) -> {
          if (!(http && t >= cutFrom && t <= cutTo)) {
            series.computeIfAbsent(t, k -> new java.util.HashSet<>()).add(aggregates);
          }
        });
      });
      Map<String, Map<Long, String>> actual = windows(dump(block));
      assertEquals(expected.keySet(), actual.keySet());
      for (var e : expected.entrySet()) {
        assertEquals(e.getValue().keySet(), actual.get(e.getKey()).keySet(), "windows of " + e.getKey());
        e.getValue().forEach((t, candidates) -> assertTrue(candidates.contains(actual.get(e.getKey()).get(t)),
            e.getKey() + " at " + t + ": " + actual.get(e.getKey()).get(t) + " is no source window's " + candidates));
      }
      assertTrue(expected.keySet().stream().anyMatch(k -> k.contains("host=\"web-1\"")), "relabelled");
      assertTrue(expected.values().stream().anyMatch(w -> w.values().stream().anyMatch(c -> c.size() > 1)),
          "some windows came from several merged series");
    }
  }

  @Test
  void rewritesHistogramBlocks() throws Exception {
    Path histograms = Path.of("testdata/blocks/histogram");
    Path src;
    try (Stream<Path> s = Files.list(histograms)) {
      src = s.filter(p -> Files.exists(p.resolve("meta.json"))).sorted().findFirst().orElseThrow();
    }
    String first = Promtool.dump(tmp, List.of(src), null, null).lines().findFirst().orElseThrow();
    String name = first.substring("{__name__=\"".length(), first.indexOf('"', "{__name__=\"".length()));
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.add-change-log=false", "--rewrite.to-delete-config", "- matchers: '{__name__=\"" + name + "\"}'");
    assertEquals(0, r.exit(), r.err());
    List<Path> made = children(dst);
    String expected = Promtool.dump(tmp, List.of(src), null, null).lines()
        .filter(l -> !l.startsWith("{__name__=\"" + name + "\""))
        .reduce("", (a, b) -> a + b + "\n");
    if (made.isEmpty()) {
      assertEquals("", expected, "no block only when every series went");
    } else {
      assertEquals(expected, Promtool.dump(tmp, made, null, null));
    }
  }

  @Test
  void badInputIsAUsageErrorAndWritesNothing() throws Exception {
    Path src = TestBlocks.BASIC.resolve(TestBlocks.basicUlids().get(0));
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var badMatcher = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(),
        "--no-dry-run", "--rewrite.to-delete-config", "- matchers: '{job=\"a\"'");
    assertEquals(2, badMatcher.exit());
    assertTrue(badMatcher.err().contains("bad selector"), badMatcher.err());
    assertEquals(2, BucketToolsCommandTest.run("tools", "block", "rewrite", tmp.toString(), dst.toString(),
        "--no-dry-run", "--rewrite.to-delete-config", "- matchers: '{job=\"a\"}'").exit(), "not a block");
    assertEquals(List.of(), children(dst));
  }
}
