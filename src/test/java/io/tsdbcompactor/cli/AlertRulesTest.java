package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tsdbcompactor.job.SampleBlocks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules of {@code cronjob/alerts} are valid ({@code promtool check rules}), each fires on a failing
 * series and stays silent on a healthy one ({@code promtool test rules}), and every metric they read is one a
 * {@code compact} run really pushes, with the labels the rules select on.
 */
class AlertRulesTest {
  static final String RULES = "cronjob/alerts/tsdb-compactor.rules.yml";
  static final String RULE_TESTS = "cronjob/alerts/tsdb-compactor.rules.test.yml";
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final long H = 3_600_000L;

  private static String promtool(String... args) throws IOException, InterruptedException {
    assertTrue(Files.isExecutable(PROMTOOL), "promtool is required at " + PROMTOOL + " (Debian package prometheus)");
    List<String> cmd = new ArrayList<>(List.of(PROMTOOL.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool timed out");
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + text);
    return text;
  }

  @Test
  void rulesPassPromtoolCheck() throws Exception {
    String out = promtool("check", "rules", RULES);
    assertTrue(out.contains("SUCCESS: 8 rules found"), out);
  }

  @Test
  void everyAlertFiresOnAFailingSeriesAndStaysSilentOnAHealthyOne() throws Exception {
    String tests = Files.readString(Path.of(RULE_TESTS));
    for (String alert : alertNames()) {
      assertTrue(tests.contains("alertname: " + alert), "no unit test for " + alert);
      assertTrue(Pattern.compile("alertname: " + alert + "[,\\s][^\\n]*(\\n[^\\n]*){0,2}exp_alerts:\\s*\\n")
          .matcher(tests).find(), "no test where " + alert + " fires");
      assertTrue(Pattern.compile("alertname: " + alert + "[,\\s][^\\n]*(\\n[^\\n]*){0,1}exp_alerts: \\[\\]")
          .matcher(tests).find(), "no test where " + alert + " stays silent");
    }
    String out = promtool("test", "rules", RULE_TESTS);
    assertTrue(out.contains("SUCCESS"), out);
  }

  private static List<String> alertNames() throws IOException {
    List<String> names = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s*- alert: (\\S+)").matcher(Files.readString(Path.of(RULES)));
    while (m.find()) {
      names.add(m.group(1));
    }
    assertEquals(8, names.size());
    return names;
  }

  @Test
  void everyMetricTheAlertsReadIsPushedByARun(@TempDir Path tmp) throws Exception {
    String rules = Files.readString(Path.of(RULES));
    TreeSet<String> used = new TreeSet<>();
    Matcher m = Pattern.compile("\\b((?:thanos|tsdb_compactor)_[a-z0-9_]+)").matcher(rules);
    while (m.find()) {
      used.add(m.group(1));
    }
    assertTrue(used.size() >= 10, used.toString());

    Path bucket = tmp.resolve("bucket");
    long blocksEnd = Instant.parse("2024-08-22T00:00:00Z").toEpochMilli();
    new SampleBlocks(new SampleBlocks.Spec(2, 8 * H, 600_000, 1, Map.of("cluster", "a"), 0, 3)).write(bucket, blocksEnd);
    String pushed = runAndCapturePush("compact", "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: " + bucket + "\n",
        "--data-dir", tmp.resolve("data").toString(), "--log.level=warn");

    TreeSet<String> missing = new TreeSet<>();
    for (String name : used) {
      if (!Pattern.compile("(?m)^" + name + "[{ ]").matcher(pushed).find()) {
        missing.add(name);
      }
    }
    assertEquals(new TreeSet<>(), missing, "metrics the alerts read but a run does not push:\n" + pushed);

    // The labels the rules select and group on.
    String label = "bucket=\"" + bucket + "\"";
    assertTrue(pushed.contains("thanos_objstore_bucket_operations_total{" + label + ",operation=\"upload\"}"), pushed);
    assertTrue(pushed.contains("thanos_objstore_bucket_last_successful_upload_time{" + label + "}"), pushed);
    assertTrue(!pushed.contains("thanos_objstore_bucket_last_successful_upload_time{" + label + "} 0.0"),
        "the run uploaded its compacted blocks");
    for (String state : List.of("marked-for-no-compact", "marked-for-no-downsample", "corrupted-meta-json", "failed")) {
      assertTrue(pushed.contains("thanos_blocks_meta_synced{state=\"" + state + "\"}"), state);
    }
    assertTrue(pushed.contains("thanos_compact_group_compactions_failures_total{resolution=\"0\"} 0.0"), pushed);
    assertTrue(Pattern.compile("(?m)^tsdb_compactor_last_successful_run_timestamp_seconds [1-9]").matcher(pushed).find(),
        pushed);
  }

  /** Runs the CLI with a Pushgateway on 127.0.0.1 and returns the one body it received. */
  private static synchronized String runAndCapturePush(String... args) throws IOException {
    List<String> bodies = Collections.synchronizedList(new ArrayList<>());
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/metrics/job/tsdb-compactor", ex -> {
      bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    gateway.start();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      List<String> all = new ArrayList<>(List.of(args));
      all.add("--metrics.pushgateway-url=http://127.0.0.1:" + gateway.getAddress().getPort());
      int code = Main.run(all.toArray(String[]::new));
      assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
      gateway.stop(0);
    }
    assertEquals(1, bodies.size(), "one push at the end of the run");
    return bodies.get(0);
  }
}
