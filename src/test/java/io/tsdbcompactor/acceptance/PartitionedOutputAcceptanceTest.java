package io.tsdbcompactor.acceptance;

import static io.tsdbcompactor.acceptance.OpenMetricsGen.H;
import static io.tsdbcompactor.acceptance.Scenario.MIN;
import static io.tsdbcompactor.acceptance.Scenario.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdbcompactor.acceptance.OpenMetricsGen.Import;
import io.tsdbcompactor.acceptance.Tools.Meta;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partitioned output ({@code --compact.max-block-series}, docs/partitioned-output.md) on promtool-made blocks,
 * compacted by the real CLI and judged by promtool and Prometheus 2.42: 300 series over [0h,16h) in 2h blocks plus
 * two 2h blocks at 48h (so that Thanos's planner, which leaves the newest block alone and waits for a block after
 * an unfilled range, compacts both 8h ranges and then the 2d window), group {@code cluster="p"}.
 */
class PartitionedOutputAcceptanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SERIES = 300;

  @TempDir static Path work;
  static Path input;
  static String inputDump;

  @BeforeAll
  static void buildBucket() throws Exception {
    Map<String, List<Import>> groups = new LinkedHashMap<>();
    groups.put("p", List.of(new Import(21, 0, SERIES, T0, T0 + 16 * H, 0, 0, MIN, 900, 0),
        new Import(22, 0, SERIES, T0 + 48 * H, T0 + 52 * H, 0, 0, MIN, 900, 0)));
    input = Scenario.build(work, work.resolve("bucket-orig"), groups, 2 * H).get("p");
    inputDump = CompactionAcceptanceTest.promtoolDump(input);
  }

  static Path fresh(String name) throws Exception {
    Path b = work.resolve(name);
    Tools.copyTree(work.resolve("bucket-orig"), b);
    return b;
  }

  static int compact(Path bucket, String... extra) throws Exception {
    return CompactionAcceptanceTest.compact(bucket, extra);
  }

  /** Live blocks with their parsed meta.json. */
  static List<BlockMeta> live(Path bucket) throws Exception {
    List<BlockMeta> out = new ArrayList<>();
    for (Meta m : Tools.liveBlocks(bucket)) {
      out.add(BlockMeta.parse(m.ulid(), Files.readAllBytes(bucket.resolve(m.ulid()).resolve("meta.json"))));
    }
    return out;
  }

  /** promtool's dump of a directory holding copies of these blocks. */
  static String dump(Path bucket, List<BlockMeta> blocks, String name) throws Exception {
    Path dir = work.resolve(name);
    Files.createDirectories(dir);
    for (BlockMeta m : blocks) {
      Tools.copyTree(bucket.resolve(m.ulid), dir.resolve(m.ulid));
    }
    return CompactionAcceptanceTest.promtoolDump(dir);
  }

  /** The series (label sets as promtool prints them) of one block. */
  static Set<String> series(Path bucket, BlockMeta m) throws Exception {
    Set<String> out = new TreeSet<>();
    for (String line : dump(bucket, List.of(m), "series-" + m.ulid).split("\n")) {
      if (!line.isEmpty()) {
        out.add(line.substring(0, line.lastIndexOf('}') + 1));
      }
    }
    return out;
  }

  /** Live partitions by time range ("minTime-maxTime"). */
  static Map<String, List<BlockMeta>> byRange(List<BlockMeta> blocks) {
    Map<String, List<BlockMeta>> out = new TreeMap<>();
    for (BlockMeta m : blocks) {
      out.computeIfAbsent(m.minTime + "-" + m.maxTime, k -> new ArrayList<>()).add(m);
    }
    return out;
  }

  /**
   * Within every range the blocks are partitions of one output: Cortex's partition_info fields, complete, within
   * the limit, and with pairwise disjoint series.
   */
  static void assertPartitioned(Path bucket, List<BlockMeta> blocks, long limit, int level, int ranges)
      throws Exception {
    int seenRanges = 0;
    for (List<BlockMeta> set : byRange(blocks).values()) {
      if (set.get(0).compaction.level != level) {
        continue;
      }
      seenRanges++;
      assertTrue(set.size() > 1, "range " + set.get(0).minTime + " was split");
      List<PartitionInfo> infos = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (BlockMeta m : set) {
        JsonNode raw = JSON.readTree(Files.readAllBytes(bucket.resolve(m.ulid).resolve("meta.json")));
        JsonNode p = raw.path("thanos").path("extensions").path("partition_info");
        Set<String> fields = new TreeSet<>();
        p.fieldNames().forEachRemaining(fields::add);
        assertEquals(Set.of("partition_count", "partition_id", "partitioned_group_id"), fields, raw.toString());
        infos.add(PartitionInfo.of(m));
        assertTrue(m.stats.numSeries <= limit, m.ulid + " holds " + m.stats.numSeries + " series");
        assertTrue(m.compaction.sources.contains(m.ulid), "a partition lists itself among its sources");
        for (String s : series(bucket, m)) {
          assertTrue(seen.add(s), s + " is in two partitions");
          assertEquals(true, PartitionInfo.of(m).holds(io.tsdbcompactor.compact.Group.labelsHash(io.tsdbcompactor.labels.Labels.of(parse(s)))), s);
        }
      }
      assertTrue(PartitionInfo.WHOLE.coveredBy(infos), "complete: " + infos);
    }
    assertEquals(ranges, seenRanges, "ranges compacted to level " + level);
  }

  /**
   * promtool prints {@code {a="b", c="d"}} with Go-quoted values; back to name, value pairs (the generator's
   * values hold no {@code ", "}).
   */
  static String[] parse(String series) {
    List<String> nv = new ArrayList<>();
    for (String pair : series.substring(1, series.length() - 1).split(", ")) {
      int eq = pair.indexOf('=');
      nv.add(pair.substring(0, eq));
      nv.add(unquote(pair.substring(eq + 2, pair.length() - 1)));
    }
    return nv.toArray(new String[0]);
  }

  /** The inside of a Go {@code strconv.Quote} string, unescaped. */
  static String unquote(String q) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < q.length(); i++) {
      char c = q.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = q.charAt(++i);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case 'u' -> {
          sb.appendCodePoint(Integer.parseInt(q.substring(i + 1, i + 5), 16));
          i += 4;
        }
        case 'U' -> {
          sb.appendCodePoint(Integer.parseInt(q.substring(i + 1, i + 9), 16));
          i += 8;
        }
        default -> sb.append(e);
      }
    }
    return sb.toString();
  }

  @Test
  void partitionsRespectTheLimitHoldDisjointSeriesAndDumpAsTheInput() throws Exception {
    Path whole = fresh("whole");
    assertEquals(0, compact(whole, "--debug.max-compaction-level=3"));
    List<BlockMeta> wholeBlocks = live(whole);
    assertEquals(inputDump, dump(whole, wholeBlocks, "dump-whole"));

    Path bucket = fresh("parts");
    assertEquals(0, compact(bucket, "--debug.max-compaction-level=2", "--compact.max-block-series=120"));
    List<BlockMeta> level2 = live(bucket);
    assertPartitioned(bucket, level2, 120, 2, 2);
    assertEquals(inputDump, dump(bucket, level2, "dump-parts-8h"));
    // The unpartitioned run and the partitioned one hold the same data.
    assertEquals(dump(whole, wholeBlocks, "dump-whole-again"), dump(bucket, level2, "dump-parts-8h-again"));

    // A second run leaves them alone.
    Map<String, Long> before = io.tsdbcompactor.job.PromtoolBucket.listing(bucket);
    assertEquals(0, compact(bucket, "--debug.max-compaction-level=2", "--compact.max-block-series=120"));
    assertEquals(before, io.tsdbcompactor.job.PromtoolBucket.listing(bucket));

    Path repartitioned = work.resolve("parts-70");
    Tools.copyTree(bucket, repartitioned);

    // The next level compacts partition i of the two 8h ranges into partition i of the 2d block.
    assertEquals(0, compact(bucket, "--debug.max-compaction-level=3", "--compact.max-block-series=120"));
    List<BlockMeta> level3 = live(bucket);
    assertPartitioned(bucket, level3, 120, 3, 1);
    Map<String, BlockMeta> all = new HashMap<>();
    for (BlockMeta m : level2) {
      all.put(m.ulid, m);
    }
    for (BlockMeta m : level3) {
      if (m.compaction.level == 3) {
        PartitionInfo p = PartitionInfo.of(m);
        assertTrue(m.compaction.parents.size() >= 2, "partition " + p + " of 2d from both 8h ranges");
        if (all.values().stream().allMatch(q -> PartitionInfo.of(q).count() == p.count() || q.compaction.level == 1)) {
          assertEquals(2, m.compaction.parents.size(), "partition " + p + ": one partition of each 8h range");
        }
        for (BlockMeta.BlockDesc parent : m.compaction.parents) {
          PartitionInfo q = PartitionInfo.of(all.get(parent.ulid));
          assertTrue(q.count() == p.count() ? q.id() == p.id() : q.canShare(p), q + " into " + p);
        }
      }
    }
    assertEquals(inputDump, dump(bucket, level3, "dump-parts-2d"));

    // Prometheus 2.42 serving the partitions answers as it does serving the unpartitioned blocks.
    Path promWhole = work.resolve("prom-whole");
    Path promParts = work.resolve("prom-parts");
    for (BlockMeta m : wholeBlocks) {
      Tools.copyTree(whole.resolve(m.ulid), promWhole.resolve(m.ulid));
    }
    for (BlockMeta m : level3) {
      Tools.copyTree(bucket.resolve(m.ulid), promParts.resolve(m.ulid));
    }
    List<String> queries = List.of("sum by (code) (rate(http_requests_total[5m]))", "node_temperature_celsius",
        "count(count_over_time({__name__=~\".+\"}[2h]))", "topk(3, max_over_time(job:queue_depth:max[1h]))");
    long start = T0 / 1000;
    long end = start + 52 * 3600;
    try (PrometheusServer w = new PrometheusServer(promWhole); PrometheusServer p = new PrometheusServer(promParts)) {
      for (String q : queries) {
        String want = w.queryRange(q, start, end, 600);
        assertTrue(want.contains("\"values\":[["), q + " returns no data: " + want);
        assertEquals(want, p.queryRange(q, start, end, 600), q);
      }
    }

    // A lower limit at the next level re-partitions: every 8h partition that can share series feeds each output.
    assertEquals(0, compact(repartitioned, "--debug.max-compaction-level=3", "--compact.max-block-series=70"));
    List<BlockMeta> re = live(repartitioned);
    assertPartitioned(repartitioned, re, 70, 3, 1);
    for (BlockMeta m : re) {
      if (m.compaction.level == 3) {
        assertTrue(PartitionInfo.of(m).count() >= 5, "re-partitioned into 300/70 or more: " + PartitionInfo.of(m));
      }
    }
    assertEquals(inputDump, dump(repartitioned, re, "dump-re"));
  }

  @Test
  void dryRunReportEqualsTheRunsReport() throws Exception {
    Path bucket = fresh("dry");
    Path planned = work.resolve("dry-plan.json");
    Path done = work.resolve("dry-run.json");
    String[] flags = {"--debug.max-compaction-level=3", "--compact.max-block-series=120"};
    assertEquals(0, compact(bucket, concat(flags, "--dry-run", "--report-file=" + planned)));
    assertEquals(0, compact(bucket, concat(flags, "--report-file=" + done)));
    List<String> want = actions(planned);
    assertTrue(want.stream().anyMatch(a -> a.contains("partition 3 of 4")), String.join("\n", want));
    assertEquals(want, actions(done));
  }

  @Test
  void shardsSplitOneGroupsPartitionsAndTogetherFinishIt() throws Exception {
    Path bucket = fresh("sharded");
    Map<String, Integer> writer = new TreeMap<>();
    for (int shard = 0; shard < 2; shard++) {
      Set<String> before = new HashSet<>();
      live(bucket).forEach(m -> before.add(m.ulid));
      assertEquals(0, compact(bucket, "--debug.max-compaction-level=2", "--compact.max-block-series=120",
          "--shard.total=2", "--shard.index=" + shard));
      for (BlockMeta m : live(bucket)) {
        if (!before.contains(m.ulid)) {
          writer.put(m.minTime + " " + PartitionInfo.of(m), shard);
        }
      }
      if (shard == 0) {
        // Shard 0 wrote only its partitions; the inputs stay until the set is complete.
        assertTrue(live(bucket).stream().anyMatch(m -> m.compaction.level == 1), "2h inputs still live");
      }
    }
    assertTrue(writer.containsValue(0) && writer.containsValue(1), "both shards wrote partitions: " + writer);
    List<BlockMeta> end = live(bucket);
    assertPartitioned(bucket, end, 120, 2, 2);
    assertFalse(end.stream().anyMatch(m -> m.compaction.level == 1 && m.minTime < T0 + 16 * H),
        "the inputs were retired once every partition was there");
    assertEquals(inputDump, dump(bucket, end, "dump-sharded"));
  }

  @Test
  void indexSizeLimitSplitsTheOutputToo() throws Exception {
    Path bucket = fresh("index-limit");
    long biggest = 0;
    for (BlockMeta m : live(bucket)) {
      biggest = Math.max(biggest, Files.size(bucket.resolve(m.ulid).resolve("index")));
    }
    long limit = biggest / 2;
    assertEquals(0, compact(bucket, "--debug.max-compaction-level=2", "--compact.block-max-index-size=" + limit + "B"));
    List<BlockMeta> out = live(bucket);
    assertPartitioned(bucket, out, Long.MAX_VALUE, 2, 2);
    for (BlockMeta m : out) {
      if (m.compaction.level == 2) {
        long size = Files.size(bucket.resolve(m.ulid).resolve("index"));
        assertTrue(size <= limit, m.ulid + " index " + size + " > " + limit);
      }
    }
    assertEquals(inputDump, dump(bucket, out, "dump-index-limit"));
  }

  /**
   * Churn: 150 series over [0h,4h) and 150 others over [4h,8h). The plan expects the biggest 2h block's 150 series
   * and writes one block under a 200-series limit; it comes out with 300 and is written again as two halves.
   */
  @Test
  void anOutputOverTheLimitOnceWrittenIsWrittenAgainAsHalves() throws Exception {
    Map<String, List<Import>> groups = new LinkedHashMap<>();
    groups.put("c", List.of(new Import(31, 0, 150, T0, T0 + 4 * H, 0, 0, MIN, 900, 0),
        new Import(32, 150, 150, T0 + 4 * H, T0 + 8 * H, 0, 0, MIN, 900, 0),
        new Import(33, 0, 10, T0 + 48 * H, T0 + 52 * H, 0, 0, MIN, 900, 0)));
    Path bucket = work.resolve("churn");
    Path in = Scenario.build(work.resolve("churn-work"), bucket, groups, 2 * H).get("c");
    String want = CompactionAcceptanceTest.promtoolDump(in);
    Path planned = work.resolve("churn-plan.json");
    assertEquals(0, compact(bucket, "--debug.max-compaction-level=2", "--compact.max-block-series=200", "--dry-run",
        "--report-file=" + planned));
    assertTrue(actions(planned).stream().anyMatch(a -> a.startsWith("compact ") && a.endsWith("compaction of 4 blocks")),
        "planned as one block: " + actions(planned));
    assertEquals(0, compact(bucket, "--debug.max-compaction-level=2", "--compact.max-block-series=200"));
    List<BlockMeta> out = live(bucket);
    assertPartitioned(bucket, out, 200, 2, 1);
    for (BlockMeta m : out) {
      if (m.compaction.level == 2) {
        assertEquals(2, PartitionInfo.of(m).count(), "a half of the whole block: " + PartitionInfo.of(m));
      }
    }
    assertEquals(want, dump(bucket, out, "dump-churn"));
    // The whole block's files went up while it was written; thrown away, they were deleted again.
    try (java.util.stream.Stream<Path> dirs = Files.list(bucket)) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        assertTrue(Files.exists(d.resolve("meta.json")), "a partial upload left in the bucket: " + d);
      }
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The report's actions as sorted lines, without the fields only the run knows (ULID, size). */
  private static List<String> actions(Path report) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode a : JSON.readTree(Files.readAllBytes(report)).path("actions")) {
      out.add(a.path("step").asText() + " " + a.path("resolution").asLong() + " " + a.path("min_time").asLong()
          + "-" + a.path("max_time").asLong() + " " + a.path("sources") + " " + a.path("reason").asText());
    }
    out.sort(null);
    return out;
  }
}
