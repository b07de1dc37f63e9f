package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code kubectl kustomize cronjob/} renders the objects an operator deploys, with the seed's settings. */
class CronJobKustomizeTest {
  private static final Path KUBECTL = Path.of("/usr/bin/kubectl");

  static List<JsonNode> render(String dir) throws IOException, InterruptedException {
    assertTrue(Files.isExecutable(KUBECTL), "kubectl is required at " + KUBECTL);
    // stderr apart: newer kustomize warns there about the fields we keep for older kubectl versions.
    Path errors = Files.createTempFile("kustomize", ".err");
    Process p = new ProcessBuilder(KUBECTL.toString(), "kustomize", dir)
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
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(text)) {
      for (var it = yaml.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          docs.add(n);
        }
      }
    }
    return docs;
  }

  private static Map<String, JsonNode> byKind(List<JsonNode> docs) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode d : docs) {
      assertTrue(d.hasNonNull("apiVersion") && d.hasNonNull("kind") && d.path("metadata").hasNonNull("name"),
          "every object has apiVersion, kind and metadata.name: " + d);
      out.put(d.get("kind").asText(), d);
    }
    return out;
  }

  private static List<String> args(JsonNode container) {
    List<String> args = new ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    return args;
  }

  @Test
  void baseRendersAHardenedCronJobRunningTheSeedRetention() throws Exception {
    Map<String, JsonNode> objs = byKind(render("cronjob"));
    assertEquals(Map.of("CronJob", "batch/v1", "Secret", "v1", "ServiceAccount", "v1").keySet(), objs.keySet());
    JsonNode cj = objs.get("CronJob");
    assertEquals("batch/v1", cj.get("apiVersion").asText());
    JsonNode spec = cj.get("spec");
    assertEquals("Forbid", spec.get("concurrencyPolicy").asText());
    assertTrue(spec.get("startingDeadlineSeconds").asInt() > 0);
    JsonNode job = spec.at("/jobTemplate/spec");
    assertTrue(job.get("backoffLimit").isInt());
    assertTrue(job.get("activeDeadlineSeconds").asInt() > 0);
    JsonNode pod = job.at("/template/spec");
    assertEquals("Never", pod.get("restartPolicy").asText());
    assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
    assertEquals("tsdb-compactor", pod.get("serviceAccountName").asText());
    assertEquals(objs.get("ServiceAccount").at("/metadata/name").asText(), pod.get("serviceAccountName").asText());
    JsonNode c = pod.at("/containers/0");
    assertTrue(c.at("/securityContext/readOnlyRootFilesystem").asBoolean());
    assertTrue(c.at("/resources/requests/memory").isTextual() && c.at("/resources/limits/memory").isTextual());

    List<String> args = args(c);
    assertEquals("compact", args.get(0));
    assertTrue(args.containsAll(List.of("--retention.resolution-raw=3d", "--retention.resolution-5m=15d",
        "--retention.resolution-1h=90d", "--objstore.config-file=/etc/thanos/objstore.yml", "--data-dir=/data")));

    // data-dir is an emptyDir, the objstore file comes from the thanos-objstore Secret's objstore.yml.
    Map<String, JsonNode> volumes = new HashMap<>();
    pod.get("volumes").forEach(v -> volumes.put(v.get("name").asText(), v));
    Map<String, String> mounts = new HashMap<>();
    c.get("volumeMounts").forEach(m -> mounts.put(m.get("mountPath").asText(), m.get("name").asText()));
    assertTrue(volumes.get(mounts.get("/data")).has("emptyDir"));
    assertTrue(volumes.get(mounts.get("/tmp")).has("emptyDir"), "the JVM needs a writable /tmp");
    JsonNode secretVol = volumes.get(mounts.get("/etc/thanos")).get("secret");
    assertEquals("thanos-objstore", secretVol.get("secretName").asText());
    assertEquals("thanos-objstore", objs.get("Secret").at("/metadata/name").asText());
    assertTrue(objs.get("Secret").at("/stringData/objstore.yml").asText().contains("type: S3"));

    // The same arguments parse as our compact command (an unknown flag would be an error).
    CompactCommand cmd = new CompactCommand();
    new picocli.CommandLine(cmd).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
    assertEquals(java.time.Duration.ofDays(90), cmd.retention1h);
  }

  @Test
  void shardedOverlayIsAnIndexedJobWithMatchingShardTotal() throws Exception {
    JsonNode cj = byKind(render("cronjob/overlays/sharded")).get("CronJob");
    JsonNode job = cj.at("/spec/jobTemplate/spec");
    assertEquals("Indexed", job.get("completionMode").asText());
    int completions = job.get("completions").asInt();
    assertTrue(completions > 1);
    assertEquals(completions, job.get("parallelism").asInt());
    List<String> args = args(job.at("/template/spec/containers/0"));
    assertTrue(args.contains("--shard.total=" + completions), args.toString());
    CompactCommand cmd = new CompactCommand();
    new picocli.CommandLine(cmd).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
    assertEquals(completions, cmd.shardTotal);
  }
}
