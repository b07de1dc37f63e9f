package io.tsdbcompactor.acceptance;

import static io.tsdbcompactor.acceptance.OpenMetricsGen.H;
import static io.tsdbcompactor.acceptance.Scenario.MIN;
import static io.tsdbcompactor.acceptance.Scenario.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.acceptance.OpenMetricsGen.Import;
import io.tsdbcompactor.acceptance.Tools.Meta;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blocks copied into the bucket straight from a Prometheus data directory keep their {@code tombstones} file.
 * Thanos downloads every object of a block and Prometheus's compactor applies the tombstones, so series deleted
 * through Prometheus's admin API stay deleted after compaction. Regression: our download used to skip the
 * tombstones object and the deleted samples came back.
 */
class TombstonesAcceptanceTest {
  @TempDir Path work;

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void seriesDeletedInPrometheusStayDeleted() throws Exception {
    Path in = Scenario.build(work, null, Map.of("a", List.of(new Import(21, 0, 60, T0, T0 + 12 * H, 0, 0, MIN, 900,
        0))), 2 * H).get("a");
    Path prom = work.resolve("prom");
    Tools.copyTree(in, prom);
    long s0 = T0 / 1000;
    try (PrometheusServer p = new PrometheusServer(prom, "--web.enable-admin-api")) {
      String del = "/api/v1/admin/tsdb/delete_series?match[]=";
      p.post(del + q("node_temperature_celsius{sensor=\"Zürich\"}"));
      p.post(del + q("http_requests_total{code=\"500\"}") + "&start=" + (s0 + 3 * 3600) + "&end=" + (s0 + 7 * 3600));
      p.post(del + q("job:queue_depth:max") + "&start=" + (s0 + 5 * 3600 + 123) + "&end=" + (s0 + 5 * 3600 + 1800));
    }
    int withTombstones = 0;
    Path bucket = work.resolve("bucket");
    for (Path b : Tools.blocks(prom)) {
      withTombstones += Files.size(b.resolve("tombstones")) > 9 ? 1 : 0;
      Path copy = bucket.resolve(b.getFileName().toString());
      Tools.copyTree(b, copy);
      Tools.addThanosSection(copy, Map.of("cluster", "a"));
    }
    assertEquals(6, withTombstones, "Prometheus wrote tombstones into every block (and did not compact yet)");
    Files.createDirectories(prom.resolve("wal"));
    String expected = Tools.promtool("tsdb", "dump", prom.toString());
    Files.createDirectories(in.resolve("wal"));
    assertFalse(expected.equals(Tools.promtool("tsdb", "dump", in.toString())), "nothing was deleted");

    assertEquals(0, CompactionAcceptanceTest.compact(bucket, "--downsampling.disable"));
    Path out = work.resolve("out");
    List<Meta> live = Tools.liveBlocks(bucket);
    assertTrue(live.get(0).sources().size() >= 4, "compacted: " + live);
    for (Meta m : live) {
      Tools.copyTree(bucket.resolve(m.ulid()), out.resolve(m.ulid()));
    }
    Files.createDirectories(out.resolve("wal"));
    assertTrue(expected.equals(Tools.promtool("tsdb", "dump", out.toString())),
        "the compacted blocks hold exactly the samples Prometheus still returned");
  }

  /**
   * A big block (2d, from our own compaction) whose series Prometheus then partly deleted: over 5% tombstones
   * per series, so Thanos's planner rewrites it alone. Regression: the run's plan simulation kept the tombstone
   * count on the simulated output and planned the same rewrite forever (OutOfMemoryError).
   */
  @Test
  void bigBlockWithTombstonesIsRewrittenOnce() throws Exception {
    Path bucket = work.resolve("bucket");
    Scenario.build(work, bucket, Map.of("a", List.of(new Import(22, 0, 20, T0, T0 + 52 * H, 0, 0, 2 * MIN, 900,
        0))), 2 * H);
    assertEquals(0, CompactionAcceptanceTest.compact(bucket, "--downsampling.disable"));
    List<Meta> live = Tools.liveBlocks(bucket);
    Meta big = live.get(0);
    assertTrue(big.maxTime() - big.minTime() > 40 * H, live.toString());

    // Prometheus deletes a quarter of the series in the big block and in the next 2h block.
    Path prom = work.resolve("prom2");
    Tools.copyTree(bucket.resolve(big.ulid()), prom.resolve(big.ulid()));
    Tools.copyTree(bucket.resolve(live.get(1).ulid()), prom.resolve(live.get(1).ulid()));
    try (PrometheusServer p = new PrometheusServer(prom, "--web.enable-admin-api")) {
      p.post("/api/v1/admin/tsdb/delete_series?match[]=" + q("node_temperature_celsius"));
    }
    Path bucket2 = work.resolve("bucket2");
    for (Path b : Tools.blocks(prom)) {
      assertTrue(Files.readString(b.resolve("meta.json")).contains("\"numTombstones\""), "no tombstones in " + b);
      Path copy = bucket2.resolve(b.getFileName().toString());
      Tools.copyTree(b, copy);
      Tools.addThanosSection(copy, Map.of("cluster", "a")); // Prometheus rewrote meta.json without it
    }
    Files.createDirectories(prom.resolve("wal"));
    String expected = Tools.promtool("tsdb", "dump", prom.toString());

    assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> assertEquals(0, CompactionAcceptanceTest.compact(bucket2, "--downsampling.disable")));
    List<Meta> after = Tools.liveBlocks(bucket2);
    assertEquals(2, after.size(), after.toString());
    Meta rewritten = after.get(0);
    assertNotEquals(big.ulid(), rewritten.ulid());
    assertEquals(big.sources(), rewritten.sources());
    assertFalse(Files.readString(bucket2.resolve(rewritten.ulid()).resolve("meta.json")).contains("numTombstones"));
    assertEquals(live.get(1).ulid(), after.get(1).ulid(), "the freshest block is left alone");
    Path out = work.resolve("out2");
    for (Meta m : after) {
      Tools.copyTree(bucket2.resolve(m.ulid()), out.resolve(m.ulid()));
    }
    Files.createDirectories(out.resolve("wal"));
    assertTrue(expected.equals(Tools.promtool("tsdb", "dump", out.toString())), "samples after the rewrite");
  }
}
