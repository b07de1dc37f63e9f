package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class FilesystemBucketToolsTest extends BucketToolsCommandTest {
  Path root;

  @Override
  String newBucketYaml() throws Exception {
    root = Files.createDirectories(tmp.resolve("bucket"));
    return "type: FILESYSTEM\nconfig:\n  directory: " + root + "\n";
  }

  /** Dated by the commands' clock, as the commands' own bucket dates what it writes by theirs. */
  @Override
  Bucket openBucket() throws Exception {
    return new FilesystemBucket(root, CLOCK);
  }

  @Override
  boolean age(String key, Duration age) throws Exception {
    Files.setLastModifiedTime(root.resolve(key), FileTime.from(NOW.minus(age)));
    return true;
  }

  @Test
  void commandsPushTheirObjstoreMetricsAndAFailedPushIsOnlyAWarning() throws Exception {
    List<String> pushed = Collections.synchronizedList(new ArrayList<>());
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/", ex -> {
      pushed.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + "\n"
          + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      ex.sendResponseHeaders(ex.getRequestURI().getPath().contains("/command/mark") ? 500 : 200, -1);
      ex.close();
    });
    gateway.start();
    try {
      String url = "--metrics.pushgateway-url=http://127.0.0.1:" + gateway.getAddress().getPort();
      Result r = tool("cleanup", url);
      assertEquals(0, r.exit(), r.err());
      assertEquals(1, pushed.size());
      String body = pushed.get(0);
      assertTrue(body.startsWith("PUT /metrics/job/tsdb-compactor-tools/command/cleanup\n"), body);
      assertTrue(Pattern.compile("thanos_objstore_bucket_operations_total\\{bucket=\""
          + Pattern.quote(root.toString()) + "\",operation=\"iter\"} [1-9]").matcher(body).find(), body);
      assertTrue(body.contains("thanos_objstore_bucket_operation_failures_total{bucket=\"" + root + "\",operation=\"get\"} 0.0"), body);

      r = tool("mark", "--id", ulids.get(0), "--marker", "no-compact-mark.json", url);
      assertEquals(0, r.exit(), "a failed push does not fail the command: " + r.err());
      assertTrue(r.err().contains("warning: pushing metrics failed"), r.err());
      assertTrue(pushed.get(1).contains("operation=\"upload\"} 1.0"), pushed.get(1));
    } finally {
      gateway.stop(0);
    }
  }
}
