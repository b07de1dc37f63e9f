package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.job.SampleBlocks;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --compact.cleanup-interval} and {@code --compact.progress-interval} in {@code --wait} mode: between two
 * runs (an hour apart here), a partial upload that turns up is deleted and new blocks show in the todo gauges.
 */
class CompactWaitIntervalsTest {
  @Test
  void betweenRunsPartialUploadsAreCleanedAndTheTodoGaugesFollowTheBucket(@TempDir Path tmp) throws Exception {
    Path bucket = tmp.resolve("bucket");
    ThanosDropInTest.twoHourBlocks(bucket, Map.of("cluster", "x"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    AtomicInteger exit = new AtomicInteger(-1);
    Thread t = new Thread(() -> exit.set(Main.run("compact", ThanosDropInTest.objstore(bucket),
        "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s", "--wait", "--wait-interval=1h",
        "--compact.cleanup-interval=1s", "--compact.progress-interval=1s", "--log.level=warn",
        "--http-address=127.0.0.1:" + port)));
    t.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      URI metricsUri = URI.create("http://127.0.0.1:" + port + "/metrics");
      String[] metrics = {""};
      BooleanSupplier scrape = () -> {
        try {
          metrics[0] = http.send(HttpRequest.newBuilder(metricsUri).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException notYetListening) {
          metrics[0] = "";
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return true;
      };
      awaitTrue(() -> scrape.getAsBoolean() && metrics[0].contains("thanos_compact_iterations_total 1.0"), "first run");
      assertTrue(metrics[0].contains("thanos_compact_todo_compactions 0.0"), metrics[0]);

      // A partial upload from 2020 appears: the cleanup loop deletes it before the next run.
      String partial = Ulid.generate(1_600_000_000_000L, new Random(3)).toString();
      Path index = bucket.resolve(partial).resolve("index");
      Files.createDirectories(index.getParent());
      Files.write(index, new byte[] {1, 2, 3});
      Files.setLastModifiedTime(index, FileTime.fromMillis(1_600_000_000_000L));
      awaitTrue(() -> !Files.exists(index), "partial upload deleted by the cleanup loop");

      // New blocks of another group: the progress loop plans them.
      new SampleBlocks(new SampleBlocks.Spec(1, 2 * ThanosDropInTest.H, 600_000, 1, Map.of("cluster", "new"), 0, 9))
          .write(bucket, ThanosDropInTest.T0);
      awaitTrue(() -> scrape.getAsBoolean() && !metrics[0].contains("thanos_compact_todo_compactions 0.0")
          && metrics[0].contains("thanos_compact_todo_compactions "), "todo gauges refreshed");
      assertTrue(metrics[0].contains("thanos_compact_iterations_total 1.0"), "still the first run: " + metrics[0]);
      assertFalse(metrics[0].contains("thanos_compact_todo_compaction_blocks 0.0"), metrics[0]);
    } finally {
      t.interrupt();
      t.join(30_000);
    }
    assertEquals(0, exit.get());
  }

  /** Polls {@code condition} every 100 ms for up to two minutes (the loops tick every second). */
  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    for (int i = 0; i < 1200; i++) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for: " + what);
  }
}
