package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.web.ViewerBucket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The block viewer and --http.config through the CLI: {@code compact --wait} and {@code tools bucket web}. */
class WebCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  @TempDir
  Path tmp;

  /** {@code compact --wait} on its own thread, telling the test its bound port and the end of its first run. */
  static final class WaitingCompact implements AutoCloseable {
    final CompletableFuture<InetSocketAddress> serving = new CompletableFuture<>();
    final CompletableFuture<Boolean> firstRun = new CompletableFuture<>();
    final AtomicInteger exit = new AtomicInteger(-1);
    final Thread thread;

    WaitingCompact(String... args) {
      CliEnvironment env = new CliEnvironment(CliEnvironment.SYSTEM.clock(), new CliEnvironment.Listener() {
        @Override
        public void serving(InetSocketAddress address) {
          serving.complete(address);
        }

        @Override
        public void runEnded(boolean success) {
          firstRun.complete(success);
        }
      });
      thread = new Thread(() -> {
        exit.set(Main.run(env, args));
        IllegalStateException ended = new IllegalStateException("compact --wait ended with exit " + exit.get());
        serving.completeExceptionally(ended);
        firstRun.completeExceptionally(ended);
      });
      thread.start();
    }

    String base() throws Exception {
      return "http://127.0.0.1:" + serving.get(120, TimeUnit.SECONDS).getPort();
    }

    /** Stops the loop between runs (never in the middle of one) and waits for it to return. */
    @Override
    public void close() throws Exception {
      try {
        firstRun.get(300, TimeUnit.SECONDS);
      } finally {
        thread.interrupt();
        thread.join(60_000);
      }
    }
  }

  HttpResponse<String> get(String url, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (auth != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Polls {@code url} until it answers {@code status} with a body containing {@code text} (bounded). */
  HttpResponse<String> await(String url, String auth, int status, String text) throws Exception {
    HttpResponse<String> last = null;
    for (int i = 0; i < 900; i++) {
      try {
        last = get(url, auth);
        if (last.statusCode() == status && last.body().contains(text)) {
          return last;
        }
      } catch (java.io.IOException notYetListening) {
        // the server starts after the bucket is opened
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + status + " with '" + text + "' from " + url + ", last: "
        + (last == null ? "no answer" : last.statusCode() + " " + last.body()));
  }

  @Test
  void compactWaitServesTheViewerAndMetricsBehindBasicAuth() throws Exception {
    Path web = tmp.resolve("web.yml");
    Files.writeString(web, "basic_auth_users:\n  ops: " + BCrypt.withDefaults().hashToString(4, "pw".toCharArray()) + "\n");
    WaitingCompact compact = new WaitingCompact("compact", "--demo", "--demo.days=2", "--data-dir",
        tmp.resolve("data").toString(), "--wait", "--wait-interval=1h", "--http-address=127.0.0.1:0",
        "--http.config=" + web, "--bucket-web-label=cluster", "--block-viewer.global.sync-block-interval=1s",
        "--web.route-prefix=/compactor");
    try (compact) {
      String base = compact.base();
      HttpResponse<String> blocks = await(base + "/compactor/api/v1/blocks", "ops:pw", 200, "\"ulid\"");
      JsonNode data = JSON.readTree(blocks.body()).get("data");
      assertEquals("cluster", data.get("label").asText());
      assertTrue(data.get("blocks").size() > 0);
      await(base + "/-/ready", "ops:pw", 200, "OK");
      assertEquals(401, get(base + "/metrics", null).statusCode(), "every endpoint is behind --http.config");
      assertEquals(401, get(base + "/compactor/api/v1/blocks", "ops:wrong").statusCode());
      assertEquals(401, get(base + "/compactor/blocks", null).statusCode());
      assertTrue(get(base + "/compactor/blocks", "ops:pw").body().contains("<canvas"));
      assertEquals(200, get(base + "/metrics", "ops:pw").statusCode());
    }
    assertEquals(0, compact.exit.get());
  }

  @Test
  void compactWaitWithWebDisableServesNoViewer() throws Exception {
    WaitingCompact compact = new WaitingCompact("compact", "--demo", "--demo.days=1", "--data-dir",
        tmp.resolve("data").toString(), "--wait", "--wait-interval=1h", "--http-address=127.0.0.1:0",
        "--web.disable");
    try (compact) {
      String base = compact.base();
      await(base + "/-/healthy", null, 200, "OK");
      assertEquals(404, get(base + "/api/v1/blocks", null).statusCode());
      assertEquals(404, get(base + "/blocks", null).statusCode());
    }
    assertEquals(0, compact.exit.get());
  }

  @Test
  void toolsBucketWebServesTheBucketAndMarksBlocks() throws Exception {
    Path dir = tmp.resolve("bucket");
    List<BlockMeta> metas;
    try (Bucket b = ObjstoreConfig.filesystem(dir).open()) {
      metas = ViewerBucket.write(b).metas;
    }
    String yaml = "type: FILESYSTEM\nconfig:\n  directory: " + dir + "\n";
    CompletableFuture<InetSocketAddress> serving = new CompletableFuture<>();
    CliEnvironment env = new CliEnvironment(CliEnvironment.SYSTEM.clock(), new CliEnvironment.Listener() {
      @Override
      public void serving(InetSocketAddress address) {
        serving.complete(address);
      }
    });
    AtomicInteger exit = new AtomicInteger(-1);
    Thread t = new Thread(() -> {
      exit.set(Main.run(env, "tools", "bucket", "web", "--objstore.config=" + yaml,
          "--http-address=127.0.0.1:0", "--web.route-prefix=/viewer", "--label=cluster", "--refresh=1h"));
      serving.completeExceptionally(new IllegalStateException("tools bucket web ended with exit " + exit.get()));
    });
    t.start();
    try {
      String root = "http://127.0.0.1:" + serving.get(120, TimeUnit.SECONDS).getPort();
      String base = root + "/viewer";
      HttpResponse<String> r = await(base + "/api/v1/blocks", null, 200, metas.get(0).ulid);
      assertEquals(metas.size(), JSON.readTree(r.body()).at("/data/blocks").size());
      assertEquals(200, get(root + "/-/healthy", null).statusCode());
      assertEquals("/viewer/blocks", get(root + "/", null).headers().firstValue("Location").orElse(""));
      String id = metas.get(0).ulid;
      HttpResponse<String> mark = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/blocks/mark"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("id=" + id + "&action=DELETION&detail=from+the+test")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(204, mark.statusCode(), mark.body());
      assertTrue(Files.readString(dir.resolve(id).resolve("deletion-mark.json")).contains("\"details\":\"from the test\""));
    } finally {
      t.interrupt();
      t.join(60_000);
    }
    assertEquals(0, exit.get());
  }

  @Test
  void toolsBucketWebExportWritesOneSelfContainedFile() throws Exception {
    Path dir = tmp.resolve("bucket");
    List<BlockMeta> metas;
    try (Bucket b = ObjstoreConfig.filesystem(dir).open()) {
      metas = ViewerBucket.write(b).metas;
    }
    Path out = tmp.resolve("blocks.html");
    int exit = Main.run("tools", "bucket", "web", "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: " + dir,
        "--export=" + out, "--retention.resolution-raw=2d");
    assertEquals(0, exit);
    String html = Files.readString(out);
    for (BlockMeta m : metas) {
      assertTrue(html.contains(m.ulid), m.ulid);
    }
    assertFalse(html.contains("src=\"http") || html.contains("href=\"http") || html.contains("<link")
        || html.contains("@import") || html.contains("url(http"), "no external resources");
    assertTrue(html.contains("\"readOnly\":true"), "an export cannot mark");
    assertTrue(html.contains("\"retentionCuts\":{\"0\":"), "the raw retention cut is drawn");
    assertTrue(html.length() < 200_000, "small: " + html.length());
  }

  @Test
  void aBadHttpConfigIsAConfigurationError() throws Exception {
    Path web = tmp.resolve("web.yml");
    Files.writeString(web, "basic_auth_users:\n  ops: not-a-hash\n");
    assertEquals(2, Main.run("compact", "--demo", "--data-dir", tmp.resolve("data").toString(),
        "--http.config=" + web));
    assertEquals(2, Main.run("tools", "bucket", "web", "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: "
        + tmp, "--http.config=" + web, "--http-address=127.0.0.1:0"));
  }
}
