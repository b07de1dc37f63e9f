package io.tsdbcompactor.acceptance;

import static io.tsdbcompactor.acceptance.OpenMetricsGen.H;
import static io.tsdbcompactor.acceptance.Scenario.MIN;
import static io.tsdbcompactor.acceptance.Scenario.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.acceptance.OpenMetricsGen.Import;
import io.tsdbcompactor.acceptance.Tools.Meta;
import io.tsdbcompactor.bucket.S3Bucket;
import io.tsdbcompactor.bucket.S3FaultProxy;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import io.tsdbcompactor.store.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compactor as an operator runs it, on a real S3 server (S3Proxy) behind a proxy failing 20% of the requests
 * ({@link S3FaultProxy}: 503 SlowDown, 500 after the work was done, bodies cut off, stalls longer than the read
 * timeout), in a child JVM killed with SIGKILL at seeded points of its traffic a few times, then run with the faults
 * still on until it exits 0 (the first such run must), then once without faults. Afterwards the bucket has no
 * overlapping blocks, every source is in exactly one raw block, the raw data is the input's through
 * {@code promtool tsdb dump}, and each 5m block's aggregates equal those computed from the raw samples. A
 * fault-free run on a copy of the input is the baseline for the timings printed.
 */
class ChaosTest {
  static final long RES_5M = 300_000L;
  static final int KILLS = 5;
  static final Pattern RETRIES = Pattern.compile("s3 retries in bucket \\S+: \\{([^}]*)\\}");

  @TempDir Path work;

  /** Two groups over three days; group a has a re-upload of 20 of its series over [20h, 24h). */
  static Map<String, Path> input(Path work) throws Exception {
    Map<String, List<Import>> groups = new LinkedHashMap<>();
    groups.put("a", List.of(new Import(1, 0, 25, T0, T0 + 72 * H, 0, 0, 2 * MIN, 900, 0),
        new Import(1, 10, 10, T0 + 20 * H, T0 + 24 * H, 0, 0, 2 * MIN, 900, 0)));
    groups.put("b", List.of(new Import(2, 0, 20, T0, T0 + 72 * H, T0 + 50 * H, T0 + 54 * H, 2 * MIN, 900, 0)));
    return Scenario.build(work, null, groups, 24 * H);
  }

  static String yaml(String bucket, String endpoint) {
    return "type: S3\nconfig:\n  bucket: " + bucket + "\n  endpoint: " + endpoint + "\n  region: us-east-1\n"
        + "  access_key: " + S3ProxyServer.ACCESS_KEY + "\n  secret_key: " + S3ProxyServer.SECRET_KEY + "\n"
        + "  insecure: true\n  max_retries: 10\n  http_config:\n    response_header_timeout: 500ms\n";
  }

  /** One child run: its exit code (-1 when killed), its output, the faults it met and how long it took. */
  record Run(int exit, String output, long faults, long requests, long millis) {}

  /** The compactor in a child JVM with the test's classpath. */
  static Process start(String yaml, Path dataDir, Path log) throws IOException {
    return ChildJvm.start(log, List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
        io.tsdbcompactor.cli.Main.class, "compact", "--objstore.config=" + yaml, "--data-dir=" + dataDir,
        "--consistency-delay=0s", "--delete-delay=0s");
  }

  /**
   * Runs the child; with {@code killAfterRequests} > 0 it is killed with SIGKILL once the proxy has seen that many
   * more requests (unless it finished first).
   */
  static Run run(String yaml, Path dataDir, Path log, S3FaultProxy proxy, long killAfterRequests) throws Exception {
    long faults0 = proxy == null ? 0 : proxy.injectedTotal();
    long requests0 = proxy == null ? 0 : proxy.requests();
    long t0 = System.nanoTime();
    Process p = start(yaml, dataDir, log);
    int exit;
    if (killAfterRequests > 0) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (p.isAlive() && !proxy.awaitRequests(requests0 + killAfterRequests, Duration.ofMillis(100))) {
        assertTrue(System.nanoTime() < deadline, "the child neither finished nor reached the kill point");
      }
      if (p.isAlive()) {
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
        p.waitFor();
        exit = -1;
      } else {
        exit = p.exitValue();
      }
    } else {
      assertTrue(p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES), "run finished");
      exit = p.exitValue();
    }
    long millis = (System.nanoTime() - t0) / 1_000_000;
    return new Run(exit, Files.readString(log, StandardCharsets.UTF_8),
        proxy == null ? 0 : proxy.injectedTotal() - faults0, proxy == null ? 0 : proxy.requests() - requests0, millis);
  }

  /** Adds a run's "s3 retries in bucket b: {get=3, put=1}" to the totals. */
  static void addRetries(String output, Map<String, Long> totals) {
    Matcher m = RETRIES.matcher(output);
    while (m.find()) {
      for (String kv : m.group(1).split(", ")) {
        int eq = kv.lastIndexOf('=');
        totals.merge(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)), Long::sum);
      }
    }
  }

  @Test
  void killedAndFaultyRunsLoseNothingAndTheFirstFullRunSucceeds() throws Exception {
    Map<String, Path> inputs = input(work);
    Map<String, String> rawDumps = new HashMap<>();
    Map<String, Set<String>> inputUlids = new HashMap<>();
    for (Map.Entry<String, Path> g : inputs.entrySet()) {
      Files.createDirectories(g.getValue().resolve("wal"));
      rawDumps.put(g.getKey(), Tools.promtool("tsdb", "dump", g.getValue().toString()));
      Tools.deleteTree(g.getValue().resolve("wal"));
      Tools.deleteTree(g.getValue().resolve("chunks_head"));
      Set<String> ulids = new HashSet<>();
      Tools.blocks(g.getValue()).forEach(b -> ulids.add(b.getFileName().toString()));
      inputUlids.put(g.getKey(), ulids);
    }

    Path s3dir = Files.createDirectories(work.resolve("s3"));
    try (S3ProxyServer server = new S3ProxyServer(s3dir)) {
      for (String bucket : List.of("calm", "steady", "chaos")) {
        try (S3Bucket direct = new S3Bucket(server.config(bucket))) {
          S3TestBuckets.create(server.config(bucket));
          for (Path in : inputs.values()) {
            for (Path b : Tools.blocks(in)) {
              BlockTransfer.upload(direct, b);
            }
          }
        }
      }
      int upstream = Integer.parseInt(server.endpoint().substring(server.endpoint().indexOf(':') + 1));

      // Baseline: the same input, no faults, no kills.
      Run calm = run(yaml("calm", server.endpoint()), work.resolve("data-calm"), work.resolve("calm.log"), null, 0);
      assertEquals(0, calm.exit(), calm.output());

      try (S3FaultProxy proxy = new S3FaultProxy(upstream, 0.2, 20261126L)
          .stall(Duration.ofMillis(300), Duration.ofMillis(700))) {
        // A whole run from scratch under faults, for the timings (and it must succeed too).
        Run steady = run(yaml("steady", proxy.endpoint()), work.resolve("data-steady"), work.resolve("steady.log"),
            proxy, 0);
        assertEquals(0, steady.exit(), steady.output());
        Map<String, Long> steadyRetries = new TreeMap<>();
        addRetries(steady.output(), steadyRetries);

        String faulty = yaml("chaos", proxy.endpoint());
        Path data = work.resolve("data-chaos");
        Random seeded = new Random(4242);
        List<String> kills = new ArrayList<>();
        Map<String, Long> retries = new TreeMap<>();
        for (int k = 0; k < KILLS; k++) {
          // A whole run here is about 2000 requests; a run after a kill has less left to do.
          long after = 40 + seeded.nextInt(360);
          Run r = run(faulty, data, work.resolve("kill" + k + ".log"), proxy, after);
          addRetries(r.output(), retries);
          kills.add(r.exit() == -1 ? "killed after " + after + " requests" : "finished (exit " + r.exit() + ")");
        }
        List<Run> faultyRuns = new ArrayList<>();
        Run r;
        do {
          r = run(faulty, data, work.resolve("faulty" + faultyRuns.size() + ".log"), proxy, 0);
          addRetries(r.output(), retries);
          faultyRuns.add(r);
        } while (r.exit() != 0 && faultyRuns.size() < 3);
        Run clean = run(yaml("chaos", server.endpoint()), data, work.resolve("clean.log"), null, 0);

        Run first = faultyRuns.get(0);
        System.out.printf("ChaosTest: whole run with 20%% faults: %d requests, %d faults absorbed, %d ms, retries %s; "
            + "the same run without faults: %d ms%n", steady.requests(), steady.faults(), steady.millis(),
            steadyRetries, calm.millis());
        System.out.printf("ChaosTest: kills: %s%n", kills);
        assertTrue(kills.stream().filter(k -> k.startsWith("killed")).count() >= 3, "runs were killed: " + kills);
        System.out.printf("ChaosTest: first run with faults: exit %d, %d requests, %d faults absorbed (%s in all), "
            + "%d ms%n", first.exit(), first.requests(), first.faults(), proxy.injectedSummary(), first.millis());
        System.out.printf("ChaosTest: retries per operation over all runs with faults: %s%n", retries);
        assertEquals(0, first.exit(), "the first run after the kills exits 0 despite 20% faults:\n" + first.output());
        assertEquals(0, clean.exit(), clean.output());
        assertTrue(steady.faults() > 20, "faults were absorbed: " + steady.faults());
      }

      verify(s3dir.resolve("chaos"), inputs, inputUlids, rawDumps);
      verify(s3dir.resolve("steady"), inputs, inputUlids, rawDumps);
    }
  }

  /** No overlaps, every source once, raw data as input, 5m aggregates as computed from the raw samples. */
  private void verify(Path bucket, Map<String, Path> inputs, Map<String, Set<String>> inputUlids,
      Map<String, String> rawDumps) throws Exception {
    List<Meta> live = Tools.liveBlocks(bucket);
    for (String g : inputs.keySet()) {
      String labels = "\"cluster\":\"" + g + "\"";
      List<Meta> raw = live.stream().filter(m -> m.labels().equals(labels) && m.resolution() == 0).toList();
      List<Meta> five = live.stream().filter(m -> m.labels().equals(labels) && m.resolution() == RES_5M).toList();
      for (List<Meta> tier : List.of(raw, five)) {
        for (int i = 1; i < tier.size(); i++) {
          assertTrue(tier.get(i).minTime() >= tier.get(i - 1).maxTime(), bucket + " group " + g + ": overlap " + tier);
        }
      }
      List<String> sources = new ArrayList<>();
      raw.forEach(m -> sources.addAll(m.sources()));
      assertEquals(inputUlids.get(g), new HashSet<>(sources), bucket + " group " + g + ": every source in a raw block");
      assertEquals(sources.size(), new HashSet<>(sources).size(), bucket + " group " + g + ": no source twice");
      assertTrue(raw.size() < inputUlids.get(g).size(), "group " + g + " was compacted");

      Path out = work.resolve("out-" + bucket.getFileName() + "-" + g);
      for (Meta m : raw) {
        Tools.copyTree(bucket.resolve(m.ulid()), out.resolve(m.ulid()));
      }
      Files.createDirectories(out.resolve("wal"));
      assertTrue(rawDumps.get(g).equals(Tools.promtool("tsdb", "dump", out.toString())),
          bucket + " group " + g + ": raw dump differs from the input's");

      assertFalse(five.isEmpty(), bucket + " group " + g + ": downsampled to 5m");
      Map<String, AggregateCheck.Series> samples = AggregateCheck.parseRaw(rawDumps.get(g));
      for (Meta m : five) {
        String aggr = CompactionAcceptanceTest.captureStdout("tools", "block", "dump", bucket.resolve(m.ulid()).toString());
        List<String> problems = AggregateCheck.compare(samples, aggr, RES_5M, m.minTime(), m.maxTime());
        assertTrue(problems.isEmpty(), bucket + " 5m block " + m.ulid() + ":\n" + String.join("\n", problems));
      }
    }
  }
}
