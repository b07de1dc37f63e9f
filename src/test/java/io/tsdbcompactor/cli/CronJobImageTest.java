package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.S3Bucket;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import io.tsdbcompactor.job.PromtoolBucket;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The image built from the Dockerfile, run as the base CronJob runs it: its command and arguments as kustomize
 * renders them, as user 65532 on a read-only root filesystem with every capability dropped, {@code /data} and
 * {@code /tmp} as empty volumes, the objstore Secret as a read-only file and the pod's memory limit. Needs the
 * image's name in {@code TSDB_COMPACTOR_IMAGE} and a Docker daemon; skipped without either ({@code .ci/image-check}
 * starts Docker, builds the image and runs this):
 *
 * <pre>
 * docker build -t tsdb-compactor:dev . &amp;&amp; TSDB_COMPACTOR_IMAGE=tsdb-compactor:dev mvn test -Dtest=CronJobImageTest
 * </pre>
 */
class CronJobImageTest {
  private static final String IMAGE = System.getenv("TSDB_COMPACTOR_IMAGE");
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void needsTheImageAndDocker() throws Exception {
    assumeTrue(IMAGE != null && !IMAGE.isBlank(), "TSDB_COMPACTOR_IMAGE names no image to check");
    assumeTrue(docker(List.of("image", "inspect", IMAGE), 60).exit() == 0, "no Docker daemon, or no image " + IMAGE);
  }

  private record Run(int exit, String out) {}

  private static Run docker(List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("docker");
    cmd.addAll(args);
    Path out = Files.createTempFile("docker", ".out");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(cmd + " did not end in " + timeoutSeconds + " s:\n" + Files.readString(out));
      }
      return new Run(p.exitValue(), Files.readString(out));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static JsonNode cronJobPod() throws Exception {
    return CronJobKustomizeTest.cronPod(
        CronJobKustomizeTest.byKind(CronJobKustomizeTest.render("cronjob/base")).get("CronJob"));
  }

  /**
   * {@code docker run} with the pod's restrictions: its user, read-only root, no capabilities, no new privileges,
   * the container's memory limit, {@code /data} and {@code /tmp} empty and owned by the pod's fsGroup. The host's
   * network, so that the container reaches the S3 server the test starts on 127.0.0.1.
   */
  private static List<String> runAsThePod(JsonNode pod, JsonNode container, Path objstoreDir) {
    JsonNode sc = pod.path("securityContext");
    return runAsThePod(container, objstoreDir, sc.path("runAsUser").asText(), sc.path("runAsGroup").asText(),
        sc.path("fsGroup").asText());
  }

  private static List<String> runAsThePod(JsonNode container, Path objstoreDir, String uid, String gid,
      String fsGroup) {
    String user = uid + ":" + gid;
    assertTrue(container.at("/securityContext/readOnlyRootFilesystem").asBoolean(), "the pod's root is read-only");
    assertEquals("ALL", container.at("/securityContext/capabilities/drop/0").asText());
    List<String> run = new ArrayList<>(List.of("run", "--rm", "--network", "host", "--user", user, "--read-only",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--memory", container.at("/resources/limits/memory").asText().replace("Gi", "g").replace("Mi", "m"),
        "--tmpfs", "/data:rw,exec,uid=" + uid + ",gid=" + fsGroup,
        "--tmpfs", "/tmp:rw,exec,uid=" + uid + ",gid=" + fsGroup,
        "--mount", "type=bind,source=" + objstoreDir + ",target=/etc/thanos,readonly"));
    container.path("env").forEach(e -> {
      run.add("--env");
      run.add(e.get("name").asText() + "=" + e.path("value").asText());
    });
    return run;
  }

  @Test
  void theCronJobsCommandCompactsAnS3BucketAsThePodRunsIt(@TempDir Path tmp) throws Exception {
    JsonNode pod = cronJobPod();
    JsonNode container = CronJobKustomizeTest.container(pod);
    try (S3ProxyServer s3 = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3proxy")))) {
      S3TestBuckets.create(s3.config("blocks"));
      Set<String> before;
      try (Bucket bucket = new S3Bucket(s3.config("blocks"))) {
        PromtoolBucket.build(bucket, tmp.resolve("staging"));
        before = PromtoolBucket.samples(bucket, tmp.resolve("before"), Set.of());
      }
      Path objstore = objstoreSecret(tmp, s3);
      // The retention settings at 0d (keep everything): the blocks' times are fixed and the container's clock is
      // the wall clock, so any other retention would make this test depend on the day it runs.
      JsonNode c = withEnv(container, Map.of("RETENTION_RAW", "0d", "RETENTION_5M", "0d", "RETENTION_1H", "0d"));
      List<String> run = runAsThePod(pod, c, objstore);
      List<String> command = CronJobKustomizeTest.command(c);
      withCommand(run, command);
      // Any free port on the host's network rather than 10902, which something else here may hold.
      run.addAll(podArgs(c, "127.0.0.1:0"));
      Run r = docker(run, 600);
      assertEquals(0, r.exit(), "docker " + run + "\n" + r.out());
      // --log.format=json: every line one JSON object, the JVM's own included (a warning of the JVM's, about its
      // flags say, would be plain text).
      boolean compacted = false;
      for (String line : r.out().split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode entry;
        try {
          entry = JSON.readTree(line);
        } catch (IOException e) {
          throw new AssertionError("not a JSON line: " + line + "\n" + r.out(), e);
        }
        compacted |= entry.path("msg").asText().matches("\\s*compacted\\s+merged [1-9].*");
      }
      assertTrue(compacted, r.out());

      try (Bucket bucket = new S3Bucket(s3.config("blocks"))) {
        SyncResult after = PromtoolBucket.sync(bucket);
        assertFalse(after.deletionMarks().isEmpty(), "the compacted sources are marked for deletion:\n" + r.out());
        assertEquals(before, PromtoolBucket.samples(bucket, tmp.resolve("after"), Set.of()),
            "the visible samples are those before the run");
      }
    }
  }

  /**
   * OpenShift's restricted policy runs a container as an arbitrary user of group 0, whatever the image says; the
   * CronJob's command then still compacts and downsamples (the demo bucket, generated in /data).
   */
  @Test
  void theCronJobsCommandRunsAsAnArbitraryUserOfGroupZero(@TempDir Path tmp) throws Exception {
    JsonNode container = CronJobKustomizeTest.container(cronJobPod());
    List<String> run = runAsThePod(container, Files.createDirectories(tmp.resolve("etc-thanos")), "1000680000", "0",
        "0");
    List<String> command = CronJobKustomizeTest.command(container);
    withCommand(run, command);
    run.addAll(List.of("compact", "--demo", "--demo.days=4", "--data-dir=/data"));
    Run r = docker(run, 300);
    assertEquals(0, r.exit(), "docker " + run + "\n" + r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s*compacted\\s+merged [1-9].*")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s*downsampled\\s+[1-9].*")), r.out());
  }

  /**
   * The service overlay's Deployment: the image's own entrypoint with the overlay's arguments ({@code compact --wait}).
   * After its first pass its probes answer and {@code /metrics} counts the pass under Thanos's name; {@code docker
   * stop} (SIGTERM to the JVM, the container's first process) ends it within the pod's grace period, as a rollout or
   * a node drain does.
   */
  @Test
  void theServiceDeploymentAnswersItsProbesAndStopsOnSigterm(@TempDir Path tmp) throws Exception {
    JsonNode deployment = CronJobKustomizeTest.byKind(CronJobKustomizeTest.render("cronjob/overlays/service"))
        .get("Deployment");
    JsonNode pod = deployment.at("/spec/template/spec");
    JsonNode container = withEnv(CronJobKustomizeTest.container(pod),
        Map.of("RETENTION_RAW", "0d", "RETENTION_5M", "0d", "RETENTION_1H", "0d"));
    assertTrue(container.path("command").isMissingNode(), "the Deployment runs the image's entrypoint");
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    try (S3ProxyServer s3 = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3proxy")))) {
      S3TestBuckets.create(s3.config("blocks"));
      try (Bucket bucket = new S3Bucket(s3.config("blocks"))) {
        PromtoolBucket.build(bucket, tmp.resolve("staging"));
      }
      Path objstore = objstoreSecret(tmp, s3);
      List<String> run = runAsThePod(pod, container, objstore);
      run.add(1, "--detach");
      run.remove("--rm");
      run.add(IMAGE);
      run.addAll(podArgs(container, "127.0.0.1:" + port));
      Run started = docker(run, 60);
      assertEquals(0, started.exit(), started.out());
      String id = started.out().strip();
      try {
        // The first pass's "run finished" line on the log, then the probes.
        Process logs = new ProcessBuilder("docker", "logs", "--follow", id).redirectErrorStream(true).start();
        java.util.concurrent.CompletableFuture<String> firstPass = java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              StringBuilder seen = new StringBuilder();
              try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(logs.getInputStream(),
                  java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  seen.append(line).append('\n');
                  if (line.contains("\"run finished\"")) {
                    return seen.toString();
                  }
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              throw new AssertionError("the log ended before the first pass ended:\n" + seen);
            });
        String log;
        try {
          log = firstPass.get(300, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError("no pass ended in 300 s:\n" + docker(List.of("logs", id), 60).out(), e);
        } finally {
          logs.destroy();
        }
        var http = java.net.http.HttpClient.newHttpClient();
        for (String path : List.of(container.at("/livenessProbe/httpGet/path").asText(),
            container.at("/readinessProbe/httpGet/path").asText())) {
          var response = http.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
          assertEquals(200, response.statusCode(), path + ": " + response.body() + "\n" + log);
        }
        String metrics = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.lines().anyMatch(l -> l.matches("thanos_compact_iterations_total(\\{.*})? [1-9].*")),
            metrics);

        int grace = pod.path("terminationGracePeriodSeconds").asInt();
        Run stop = docker(List.of("stop", "--time", String.valueOf(grace), id), grace + 60);
        assertEquals(0, stop.exit(), stop.out());
        Run state = docker(List.of("inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", id), 60);
        Run all = docker(List.of("logs", id), 60);
        // 137 would be the SIGKILL docker sends once the grace period is over.
        assertTrue(state.out().strip().matches("(0|143) false"), state.out() + all.out());
        assertTrue(all.out().contains("stopped after the termination signal"), all.out());
      } finally {
        docker(List.of("rm", "--force", id), 60);
      }
    }
  }

  /**
   * The image's class data sharing archive serves the CronJob's JVM flags with either JIT setting: with
   * {@code -Xshare:on} a JVM that cannot map the archive refuses to start instead of running without it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"-XX:-TieredCompilation", "-XX:TieredStopAtLevel=1"})
  void theImagesArchiveServesTheCronJobsJvmFlags(String jit, @TempDir Path tmp) throws Exception {
    JsonNode pod = cronJobPod();
    JsonNode container = withEnv(CronJobKustomizeTest.container(pod), Map.of("JVM_JIT", jit));
    List<String> command = CronJobKustomizeTest.command(container);
    assertTrue(command.contains(jit), command.toString());
    List<String> run = runAsThePod(pod, container, Files.createDirectories(tmp.resolve("etc-thanos")));
    List<String> strict = new ArrayList<>(command);
    strict.add(strict.indexOf("-jar"), "-Xshare:on");
    withCommand(run, strict);
    run.add("--version");
    Run r = docker(run, 120);
    assertEquals(0, r.exit(), "docker " + run + "\n" + r.out());
    assertTrue(r.out().contains("tsdb-compactor"), r.out());
  }

  /**
   * The objstore Secret's file for {@code s3}'s bucket "blocks", readable by the container's user as the kubelet
   * makes it.
   */
  private static Path objstoreSecret(Path tmp, S3ProxyServer s3) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("etc-thanos"));
    Files.writeString(dir.resolve("objstore.yml"), s3.yaml("blocks", 64L << 20));
    Files.setPosixFilePermissions(dir.resolve("objstore.yml"), PosixFilePermissions.fromString("rw-r--r--"));
    return dir;
  }

  /**
   * The container's arguments as the kubelet expands them, but for two that depend on this machine: the HTTP address
   * (the host's network is shared) and the consistency delay (the blocks went up moments ago, by the wall clock the
   * container reads).
   */
  private static List<String> podArgs(JsonNode container, String httpAddress) {
    List<String> args = new ArrayList<>();
    for (String arg : CronJobKustomizeTest.args(container)) {
      if (arg.startsWith("--http-address=")) {
        arg = "--http-address=" + httpAddress;
      } else if (arg.startsWith("--consistency-delay=")) {
        arg = "--consistency-delay=0s";
      }
      args.add(arg);
    }
    return args;
  }

  /** Ends a {@code docker run} with the image and a container's command in place of the image's entrypoint. */
  private static void withCommand(List<String> run, List<String> command) {
    run.add("--entrypoint");
    run.add(command.get(0));
    run.add(IMAGE);
    run.addAll(command.subList(1, command.size()));
  }

  /** A copy of the container with some of its env's values replaced, as an operator's settings would. */
  private static JsonNode withEnv(JsonNode container, Map<String, String> values) {
    ObjectNode copy = container.deepCopy();
    int found = 0;
    for (JsonNode e : copy.path("env")) {
      String value = values.get(e.get("name").asText());
      if (value != null) {
        ((ObjectNode) e).put("value", value);
        found++;
      }
    }
    assertEquals(values.size(), found, "the container's env has " + values.keySet());
    return copy;
  }
}
