package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kubectl kustomize cronjob/...} renders the objects an operator deploys: current kustomize renders every
 * variant without a warning; the base uses the existing objstore Secret and never creates one; settings change in
 * one place; the Job fails at once on a configuration error; and each overlay does what its comment says.
 */
class CronJobKustomizeTest {
  private static final Path KUBECTL = Path.of("/usr/bin/kubectl");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private record Rendered(List<JsonNode> docs, String warnings) {}

  static Rendered renderWithWarnings(Path dir) throws IOException, InterruptedException {
    assertTrue(Files.isExecutable(KUBECTL), "kubectl is required at " + KUBECTL);
    Path errors = Files.createTempFile("kustomize", ".err");
    Process p = new ProcessBuilder(KUBECTL.toString(), "kustomize", dir.toString())
        .redirectError(ProcessBuilder.Redirect.to(errors.toFile())).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize timed out");
    String text = out.toString(StandardCharsets.UTF_8);
    String err = Files.readString(errors);
    Files.deleteIfExists(errors);
    assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + " failed:\n" + err + text);
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(text)) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          docs.add(n);
        }
      }
    }
    // Newer kustomize writes deprecation warnings as comments into its output, older ones to stderr.
    String warnings = err + text.lines().filter(l -> l.startsWith("# Warning")).reduce("", (a, b) -> a + b + "\n");
    return new Rendered(docs, warnings);
  }

  static List<JsonNode> render(String dir) throws IOException, InterruptedException {
    return render(Path.of(dir));
  }

  static List<JsonNode> render(Path dir) throws IOException, InterruptedException {
    return renderWithWarnings(dir).docs();
  }

  static Map<String, JsonNode> byKind(List<JsonNode> docs) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode d : docs) {
      assertTrue(d.hasNonNull("apiVersion") && d.hasNonNull("kind") && d.path("metadata").hasNonNull("name"),
          "every object has apiVersion, kind and metadata.name: " + d);
      assertTrue(out.put(d.get("kind").asText(), d) == null, "one object per kind: " + d.get("kind"));
    }
    return out;
  }

  static JsonNode container(JsonNode podSpec) {
    for (JsonNode c : podSpec.path("containers")) {
      if (c.path("name").asText().equals("compactor")) {
        return c;
      }
    }
    throw new AssertionError("no container 'compactor' in " + podSpec);
  }

  /** The container's arguments as the kubelet passes them: {@code $(VAR)} replaced from the container's env. */
  static List<String> args(JsonNode container) {
    return expanded(container, "args");
  }

  /** The container's command, expanded as {@link #args} are. */
  static List<String> command(JsonNode container) {
    return expanded(container, "command");
  }

  private static List<String> expanded(JsonNode container, String field) {
    Map<String, String> env = new HashMap<>();
    container.path("env").forEach(e -> env.put(e.get("name").asText(), e.path("value").asText()));
    Pattern ref = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    List<String> out = new ArrayList<>();
    for (JsonNode a : container.path(field)) {
      Matcher m = ref.matcher(a.asText());
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        assertTrue(env.containsKey(m.group(1)), field + " item " + a + " refers to an undefined variable");
        m.appendReplacement(sb, Matcher.quoteReplacement(env.get(m.group(1))));
      }
      m.appendTail(sb);
      out.add(sb.toString());
    }
    return out;
  }

  private static String env(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.get("name").asText().equals(name)) {
        return e.path("value").asText();
      }
    }
    throw new AssertionError("no env " + name + " in " + container);
  }

  /** Parses the arguments as our compact command does (an unknown flag would be an error). */
  private static CompactCommand parse(List<String> args) {
    assertEquals("compact", args.get(0));
    CompactCommand cmd = new CompactCommand();
    new picocli.CommandLine(cmd).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
    return cmd;
  }

  private static Map<String, JsonNode> volumes(JsonNode podSpec) {
    Map<String, JsonNode> volumes = new HashMap<>();
    podSpec.get("volumes").forEach(v -> volumes.put(v.get("name").asText(), v));
    return volumes;
  }

  private static JsonNode volumeAt(JsonNode podSpec, String mountPath) {
    for (JsonNode m : container(podSpec).get("volumeMounts")) {
      if (m.get("mountPath").asText().equals(mountPath)) {
        return volumes(podSpec).get(m.get("name").asText());
      }
    }
    throw new AssertionError("nothing mounted at " + mountPath);
  }

  static JsonNode cronPod(JsonNode cronJob) {
    return cronJob.at("/spec/jobTemplate/spec/template/spec");
  }

  @ParameterizedTest
  @ValueSource(strings = {"cronjob", "cronjob/base", "cronjob/overlays/sharded", "cronjob/overlays/fresh-install",
      "cronjob/overlays/persistent-volume", "cronjob/overlays/service", "cronjob/overlays/alerts"})
  void everyVariantRendersWithoutWarnings(String dir) throws Exception {
    Rendered r = renderWithWarnings(Path.of(dir));
    assertEquals("", r.warnings(), "kubectl kustomize " + dir + " warns");
    assertFalse(r.docs().isEmpty());
  }

  @Test
  void baseRendersAHardenedCronJobRunningTheSeedRetention() throws Exception {
    Map<String, JsonNode> objs = byKind(render("cronjob"));
    assertEquals(Map.of("CronJob", "", "ServiceAccount", "").keySet(), objs.keySet(),
        "the base creates no Secret: it uses the one Thanos already has");
    JsonNode cj = objs.get("CronJob");
    assertEquals("batch/v1", cj.get("apiVersion").asText());
    JsonNode spec = cj.get("spec");
    assertEquals("17 * * * *", spec.get("schedule").asText());
    assertEquals("Forbid", spec.get("concurrencyPolicy").asText());
    assertTrue(spec.get("startingDeadlineSeconds").asInt() > 0);
    JsonNode job = spec.at("/jobTemplate/spec");
    assertTrue(job.get("backoffLimit").isInt());
    assertTrue(job.get("activeDeadlineSeconds").asInt() > 0);
    JsonNode pod = cronPod(cj);
    assertEquals("Never", pod.get("restartPolicy").asText());
    assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
    assertEquals(objs.get("ServiceAccount").at("/metadata/name").asText(), pod.get("serviceAccountName").asText());
    JsonNode c = container(pod);
    assertTrue(c.at("/securityContext/readOnlyRootFilesystem").asBoolean());
    assertTrue(c.at("/resources/requests/memory").isTextual() && c.at("/resources/limits/memory").isTextual());
    assertFalse(c.path("env").toString().contains("JAVA_TOOL_OPTIONS"), "the JVM would print a plain-text line");

    List<String> args = args(c);
    assertTrue(args.containsAll(List.of("--retention.resolution-raw=3d", "--retention.resolution-5m=15d",
        "--retention.resolution-1h=90d", "--objstore.config-file=/etc/thanos/objstore.yml", "--data-dir=/data")), args.toString());
    assertEquals(Duration.ofDays(90), parse(args).retention1h);

    // The objstore file is key objstore.yml of the existing Secret thanos-objstore, mounted read-only.
    JsonNode secret = volumeAt(pod, "/etc/thanos").get("secret");
    assertEquals("thanos-objstore", secret.get("secretName").asText());
    assertEquals("objstore.yml", secret.at("/items/0/key").asText());
    assertEquals("objstore.yml", secret.at("/items/0/path").asText());
    assertTrue(volumeAt(pod, "/tmp").has("emptyDir"), "the JVM needs a writable /tmp");
  }

  @Test
  void configurationErrorsFailTheJobAtOnceAndDisruptionsAreNotCounted() throws Exception {
    JsonNode job = byKind(render("cronjob")).get("CronJob").at("/spec/jobTemplate/spec");
    JsonNode rules = job.at("/podFailurePolicy/rules");
    assertEquals("FailJob", rules.at("/0/action").asText());
    assertEquals("compactor", rules.at("/0/onExitCodes/containerName").asText());
    assertEquals("In", rules.at("/0/onExitCodes/operator").asText());
    assertEquals(List.of(2), List.of(rules.at("/0/onExitCodes/values/0").asInt()));
    assertEquals(1, rules.at("/0/onExitCodes/values").size());
    assertEquals("Ignore", rules.at("/1/action").asText());
    assertEquals("DisruptionTarget", rules.at("/1/onPodConditions/0/type").asText());
    // podFailurePolicy requires pods that are never restarted in place.
    assertEquals("Never", job.at("/template/spec/restartPolicy").asText());
  }

  @Test
  void theDataDirIsRequestedAsEphemeralStorage() throws Exception {
    JsonNode pod = cronPod(byKind(render("cronjob")).get("CronJob"));
    JsonNode data = volumeAt(pod, "/data");
    long sizeLimit = bytes(data.at("/emptyDir/sizeLimit").asText());
    JsonNode resources = container(pod).get("resources");
    assertTrue(bytes(resources.at("/requests/ephemeral-storage").asText()) > 0, resources.toString());
    assertTrue(bytes(resources.at("/limits/ephemeral-storage").asText()) >= sizeLimit,
        "the limit leaves the data dir its full size: " + resources);
  }

  private static long bytes(String quantity) {
    Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti)?").matcher(quantity);
    assertTrue(m.matches(), quantity);
    int shift = m.group(2) == null ? 0 : 10 * (1 + "KiMiGiTi".indexOf(m.group(2)) / 2);
    return Long.parseLong(m.group(1)) << shift;
  }

  @Test
  void settingsChangeInOnePlaceForEveryVariant(@TempDir Path tmp) throws Exception {
    Path tree = tmp.resolve("cronjob");
    copyTree(Path.of("cronjob"), tree);
    Path settings = tree.resolve("settings/settings.yaml");
    String s = Files.readString(settings)
        .replace("schedule: \"17 * * * *\"", "schedule: \"5 */2 * * *\"")
        .replace("retention-raw: 3d", "retention-raw: 7d")
        .replace("retention-5m: 15d", "retention-5m: 30d")
        .replace("retention-1h: 90d", "retention-1h: 1y")
        .replace("pushgateway-url: \"\"", "pushgateway-url: http://pushgateway.monitoring:9091")
        .replace("objstore-secret: thanos-objstore", "objstore-secret: bucket-config")
        .replace("objstore-secret-key: objstore.yml", "objstore-secret-key: thanos.yaml")
        .replace("jit: -XX:-TieredCompilation", "jit: -XX:TieredStopAtLevel=1");
    assertFalse(s.equals(Files.readString(settings)));
    Files.writeString(settings, s);

    for (String variant : List.of("", "overlays/sharded", "overlays/persistent-volume", "overlays/alerts")) {
      JsonNode cj = byKind(render(tree.resolve(variant))).get("CronJob");
      assertEquals("5 */2 * * *", cj.at("/spec/schedule").asText(), variant);
      assertWorkloadSettings(cronPod(cj), variant);
      List<String> jvm = command(container(cronPod(cj)));
      assertTrue(jvm.contains("-XX:TieredStopAtLevel=1") && !jvm.contains("-XX:-TieredCompilation"), variant + ": " + jvm);
    }
    assertWorkloadSettings(byKind(render(tree.resolve("overlays/service"))).get("Deployment").at("/spec/template/spec"),
        "service");
  }

  /**
   * The CronJob's JVM command line, with either JIT settings.yaml offers, starts this test's JVM: a misspelt flag
   * would fail every run at once.
   */
  @ParameterizedTest
  @ValueSource(strings = {"-XX:-TieredCompilation", "-XX:TieredStopAtLevel=1"})
  void theCronJobsJvmFlagsStartAJvmWithEitherJit(String jit, @TempDir Path tmp) throws Exception {
    Path tree = tmp.resolve("cronjob");
    copyTree(Path.of("cronjob"), tree);
    Path settings = tree.resolve("settings/settings.yaml");
    String s = Files.readString(settings);
    assertTrue(s.contains("\n  jit: -XX:-TieredCompilation\n"), "the default JIT is C2 alone");
    Files.writeString(settings, s.replace("\n  jit: -XX:-TieredCompilation\n", "\n  jit: " + jit + "\n"));

    List<String> command = command(container(cronPod(byKind(render(tree)).get("CronJob"))));
    assertEquals("java", command.get(0));
    assertTrue(command.contains(jit), command.toString());
    List<String> jvm = new ArrayList<>();
    jvm.add(ProcessHandle.current().info().command().orElseThrow());
    jvm.addAll(command.subList(1, command.indexOf("-jar")));
    // The image's archive is not here; the JVM then runs without it (CronJobImageTest checks it in the image).
    jvm.add("-version");
    Path output = tmp.resolve("java.out");
    Process p = new ProcessBuilder(jvm).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "java -version timed out");
    String out = Files.readString(output);
    assertEquals(0, p.exitValue(), jvm + "\n" + out);
    // HotSpot names a C1-only VM "emulated-client" in its version line.
    assertEquals(jit.equals("-XX:TieredStopAtLevel=1"), out.contains("emulated-client"), out);
  }

  private static void assertWorkloadSettings(JsonNode pod, String variant) {
    JsonNode c = container(pod);
    CompactCommand cmd = parse(args(c));
    assertEquals(Duration.ofDays(7), cmd.retentionRaw, variant);
    assertEquals(Duration.ofDays(30), cmd.retention5m, variant);
    assertEquals(Duration.ofDays(365), cmd.retention1h, variant);
    assertEquals("http://pushgateway.monitoring:9091", env(c, "TSDB_COMPACTOR_PUSHGATEWAY_URL"), variant);
    JsonNode secret = volumeAt(pod, "/etc/thanos").get("secret");
    assertEquals("bucket-config", secret.get("secretName").asText(), variant);
    assertEquals("thanos.yaml", secret.at("/items/0/key").asText(), variant);
    assertEquals("objstore.yml", secret.at("/items/0/path").asText(), "the file name the flag names stays");
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  @Test
  void onlyTheFreshInstallOverlayCreatesTheSecretFromALocalFile() throws Exception {
    for (String dir : List.of("cronjob", "cronjob/overlays/sharded", "cronjob/overlays/persistent-volume",
        "cronjob/overlays/service", "cronjob/overlays/alerts")) {
      for (JsonNode d : render(dir)) {
        assertFalse(d.get("kind").asText().equals("Secret"), dir + " must not create or overwrite a Secret");
      }
    }
    Map<String, JsonNode> objs = byKind(render("cronjob/overlays/fresh-install"));
    JsonNode secret = objs.get("Secret");
    assertNotNull(secret);
    JsonNode ref = volumeAt(cronPod(objs.get("CronJob")), "/etc/thanos").get("secret");
    assertEquals(ref.get("secretName").asText(), secret.at("/metadata/name").asText());
    String key = ref.at("/items/0/key").asText();
    String content = new String(java.util.Base64.getMimeDecoder().decode(secret.at("/data/" + key).asText()),
        StandardCharsets.UTF_8);
    assertEquals(Files.readString(Path.of("cronjob/overlays/fresh-install/objstore.yml")), content);
    assertTrue(content.contains("type: S3"), content);
  }

  @Test
  void shardedOverlayIsAnIndexedJobWithRetriesPerShard() throws Exception {
    JsonNode cj = byKind(render("cronjob/overlays/sharded")).get("CronJob");
    JsonNode job = cj.at("/spec/jobTemplate/spec");
    assertEquals("Indexed", job.get("completionMode").asText());
    int completions = job.get("completions").asInt();
    assertTrue(completions > 1);
    assertEquals(completions, job.get("parallelism").asInt());
    assertTrue(job.get("backoffLimitPerIndex").asInt() > 0, job.toString());
    assertFalse(job.has("backoffLimit"), "a shared backoffLimit would let one bad shard stop the others");
    assertEquals("FailJob", job.at("/podFailurePolicy/rules/0/action").asText());
    CompactCommand cmd = parse(args(container(job.at("/template/spec"))));
    assertEquals(completions, cmd.shardTotal);
  }

  @Test
  void persistentVolumeOverlayPutsTheDataDirOnAClaim() throws Exception {
    Map<String, JsonNode> objs = byKind(render("cronjob/overlays/persistent-volume"));
    JsonNode pvc = objs.get("PersistentVolumeClaim");
    assertNotNull(pvc);
    assertEquals("ReadWriteOnce", pvc.at("/spec/accessModes/0").asText());
    JsonNode pod = cronPod(objs.get("CronJob"));
    JsonNode data = volumeAt(pod, "/data");
    assertEquals(pvc.at("/metadata/name").asText(), data.at("/persistentVolumeClaim/claimName").asText());
    assertFalse(data.has("emptyDir"));
    JsonNode base = container(cronPod(byKind(render("cronjob")).get("CronJob"))).get("resources");
    assertTrue(bytes(container(pod).at("/resources/requests/ephemeral-storage").asText())
        < bytes(base.at("/requests/ephemeral-storage").asText()), "the data dir no longer needs node disk");
    assertTrue(volumeAt(pod, "/tmp").has("emptyDir"));
  }

  @Test
  void serviceOverlayRunsTheCompactorWithWaitBehindAServiceAndAPodMonitor() throws Exception {
    Map<String, JsonNode> objs = byKind(render("cronjob/overlays/service"));
    assertFalse(objs.containsKey("CronJob"), "either the CronJob or the service, never both on one bucket");
    JsonNode d = objs.get("Deployment");
    assertEquals(1, d.at("/spec/replicas").asInt());
    assertEquals("Recreate", d.at("/spec/strategy/type").asText(), "never two compactors during a rollout");
    JsonNode pod = d.at("/spec/template/spec");
    JsonNode c = container(pod);
    CompactCommand cmd = parse(args(c));
    assertTrue(cmd.wait);
    assertEquals(Duration.ofDays(3), cmd.retentionRaw);
    assertEquals("/-/healthy", c.at("/livenessProbe/httpGet/path").asText());
    assertEquals("/-/ready", c.at("/readinessProbe/httpGet/path").asText());
    assertEquals("http", c.at("/readinessProbe/httpGet/port").asText());
    assertEquals(10902, c.at("/ports/0/containerPort").asInt());
    assertEquals("http", c.at("/ports/0/name").asText());
    assertEquals("thanos-objstore", volumeAt(pod, "/etc/thanos").at("/secret/secretName").asText());
    // The same compactor flags as the CronJob's, plus the loop.
    List<String> service = new ArrayList<>(args(c));
    service.removeAll(List.of("--wait", "--wait-interval=5m"));
    assertEquals(args(container(cronPod(byKind(render("cronjob")).get("CronJob")))), service);

    JsonNode podLabels = d.at("/spec/template/metadata/labels");
    assertMatches(d.at("/spec/selector/matchLabels"), podLabels);
    JsonNode svc = objs.get("Service");
    assertMatches(svc.at("/spec/selector"), podLabels);
    assertEquals("http", svc.at("/spec/ports/0/targetPort").asText());
    JsonNode pm = objs.get("PodMonitor");
    assertEquals("monitoring.coreos.com/v1", pm.get("apiVersion").asText());
    assertMatches(pm.at("/spec/selector/matchLabels"), podLabels);
    assertEquals("http", pm.at("/spec/podMetricsEndpoints/0/port").asText());
    assertEquals("/metrics", pm.at("/spec/podMetricsEndpoints/0/path").asText());
  }

  private static void assertMatches(JsonNode selector, JsonNode labels) {
    assertTrue(selector.size() > 0, "empty selector");
    selector.fields().forEachRemaining(e ->
        assertEquals(e.getValue().asText(), labels.path(e.getKey()).asText(), "selector " + selector + " vs " + labels));
  }

  @Test
  void alertsOverlayAddsThePrometheusRuleOfThePlainRulesFile() throws Exception {
    Map<String, JsonNode> objs = byKind(render("cronjob/overlays/alerts"));
    JsonNode rule = objs.get("PrometheusRule");
    assertEquals("monitoring.coreos.com/v1", rule.get("apiVersion").asText());
    JsonNode plain = YAML.readTree(Path.of(AlertRulesTest.RULES).toFile());
    assertEquals(plain, rule.get("spec"), "prometheusrule.yaml and the plain rules file must carry the same groups");
    assertTrue(objs.containsKey("CronJob"));
  }

  @Test
  void theImageBaseIsPinnedAndCarriesOciLabels() throws IOException {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    // The base images are build arguments (a mirror's copies may be passed); their defaults are what is pinned.
    Map<String, String> defaults = new HashMap<>();
    Matcher arg = Pattern.compile("(?m)^ARG\\s+(\\w+)=(\\S+)").matcher(dockerfile);
    while (arg.find()) {
      defaults.put(arg.group(1), arg.group(2));
    }
    Matcher from = Pattern.compile("(?m)^FROM\\s+(\\S+)").matcher(dockerfile);
    int images = 0;
    while (from.find()) {
      images++;
      Matcher ref = Pattern.compile("^\\$\\{(\\w+)}$").matcher(from.group(1));
      String image = ref.matches() ? defaults.get(ref.group(1)) : from.group(1);
      assertNotNull(image, "no default for " + from.group(1));
      // An exact release (a tag with a full version number) or a digest; "17-jre" or "latest" would float.
      assertTrue(image.contains("@sha256:") || Pattern.compile(":[^:]*\\d+\\.\\d+\\.\\d+").matcher(image).find(),
          "base image not pinned: " + image);
    }
    assertTrue(images >= 1);
    for (String label : List.of("title", "version", "revision", "source", "licenses")) {
      assertTrue(dockerfile.contains("org.opencontainers.image." + label + "="), "missing OCI label " + label);
    }
  }
}
