package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tsdbcompactor.job.SampleBlocks;
import io.tsdbcompactor.job.TickingClock;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code compact} command as an operator runs it: flags, exit codes, dry run, summary, pushed metrics. */
class CompactCommandTest {
  private static final long H = 3_600_000L;

  private record Result(int code, String out, String err) {}

  /** "Now" of the runs (and of the blocks written for them): fixed, one second on per reading. */
  private static final long NOW = java.time.Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();
  private static final TickingClock CLOCK = new TickingClock(NOW);

  private static Result run(String... args) {
    return CliRun.run(CLOCK, Result::new, args);
  }

  @Test
  void unknownFlagsAndBadRetentionAreErrors(@TempDir Path tmp) {
    Result r = run("compact", "--data-dir", tmp.toString(), "--retention.resolution-forever=1d");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Unknown option: '--retention.resolution-forever=1d'"), r.err());

    r = run("compact", "--data-dir", tmp.toString(), "--retention.resolution-raw=1h");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("40 hours"), r.err());

    r = run("compact", "--data-dir", tmp.toString(), "--retention.resolution-raw=3days");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("not a valid duration"), r.err());
  }

  @Test
  void dryRunPrintsThePlanAndChangesNothing(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    long now = NOW;
    new SampleBlocks(new SampleBlocks.Spec(20, 8 * H, 600_000, 1, Map.of("cluster", "x"), 0, 3)).write(bucket, now);
    Map<String, Long> before = snapshot(bucket);
    String objstore = "type: FILESYSTEM\nconfig:\n  directory: " + bucket + "\n";
    Result r = run("compact", "--objstore.config=" + objstore, "--data-dir", tmp.resolve("data").toString(),
        "--retention.resolution-raw=3d", "--retention.resolution-5m=15d", "--retention.resolution-1h=90d", "--dry-run",
        "--report-file=" + tmp.resolve("plan.json"));
    assertEquals(0, r.code(), r.err());
    com.fasterxml.jackson.databind.JsonNode plan = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(tmp.resolve("plan.json").toFile());
    assertTrue(plan.get("dry_run").asBoolean(), plan.toString());
    assertTrue(plan.get("actions").size() > 0, plan.toString());
    com.fasterxml.jackson.databind.JsonNode first = plan.get("actions").get(0);
    for (String field : List.of("step", "group", "resolution", "min_time", "max_time", "sources", "ulid", "reason")) {
      assertTrue(first.has(field), field + " in " + first);
    }
    assertTrue(r.out().contains("compactions ("), r.out());
    assertTrue(r.out().contains("downsamplings ("), r.out());
    assertTrue(r.out().contains("retention deletions ("), r.out());
    assertTrue(r.out().contains("block exceeding retention of 3d"), r.out());
    assertEquals(before, snapshot(bucket));
  }

  @Test
  void demoRunPrintsASummaryAndPushesMetrics(@TempDir Path tmp) throws Exception {
    List<String> pushed = Collections.synchronizedList(new ArrayList<>());
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/", ex -> {
      pushed.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + "\n"
          + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      ex.sendResponseHeaders(202, -1);
      ex.close();
    });
    gateway.start();
    try {
      Result r = run("compact", "--demo", "--demo.days=6", "--data-dir", tmp.toString(),
          "--retention.resolution-raw=3d", "--retention.resolution-5m=15d", "--retention.resolution-1h=90d",
          "--delete-delay=0s", "--log.format=json",
          "--metrics.pushgateway-url=http://127.0.0.1:" + gateway.getAddress().getPort());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("generated demo bucket"), r.out());
      assertTrue(r.out().contains("compacted "), r.out());
      assertTrue(r.out().contains("bucket now:"), r.out());
      assertTrue(r.err().contains("\"msg\":\"step started\""), "json logs: " + r.err());
      assertEquals(1, pushed.size());
      assertTrue(pushed.get(0).startsWith("PUT /metrics/job/tsdb-compactor\n"), pushed.get(0));
      assertTrue(pushed.get(0).contains("thanos_compact_iterations_total 1.0"), pushed.get(0));
      assertTrue(pushed.get(0).contains("jvm_memory_used_bytes"), pushed.get(0));
      assertTrue(Files.isDirectory(tmp.resolve("demo-bucket")));
    } finally {
      gateway.stop(0);
    }
  }

  static Map<String, Long> snapshot(Path dir) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        out.put(dir.relativize(p).toString(), Files.size(p) * 31 + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return out;
  }
}
