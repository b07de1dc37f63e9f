package io.tsdbcompactor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void exportsThanosNamesAndJvmMetrics() {
    CompactorMetrics m = new CompactorMetrics(true);
    m.iterations().increment();
    m.groupCompaction().compaction(0);
    m.groupCompactionDuration(300000).record(Duration.ofSeconds(5));
    m.downsamples(300000).increment(2);
    m.downsampleDuration(3600000).record(Duration.ofSeconds(70));
    m.blockMarked("deletion-mark.json", "retention");
    m.setConfig(Duration.ofHours(48), Duration.ofMinutes(30));
    String text = m.scrape();
    assertTrue(text.contains("thanos_compact_iterations_total 1.0"), text);
    assertTrue(text.contains("thanos_compact_retries_total 0.0"), text);
    assertTrue(text.contains("thanos_compact_halted 0.0"), text);
    assertTrue(text.contains("thanos_compact_group_compactions_total{resolution=\"0\"} 1.0"), text);
    assertTrue(text.contains("thanos_compact_downsample_total{resolution=\"300000\"} 2.0"), text);
    assertTrue(text.contains("thanos_compact_downsample_duration_seconds_bucket{resolution=\"3600000\",le=\"300.0\"} 1"), text);
    assertTrue(text.contains("thanos_compact_group_compaction_duration_seconds_count{resolution=\"300000\"} 1"), text);
    assertTrue(text.contains("thanos_compact_blocks_marked_total{marker=\"deletion-mark.json\",reason=\"retention\"} 1.0"), text);
    assertTrue(text.contains("thanos_delete_delay_seconds 172800.0"), text);
    assertTrue(text.contains("jvm_memory_used_bytes"), text);
  }

  /**
   * Each collector's count and time come from its MXBean when scraped (no listener per collection): the count a
   * scrape shows lies between the MXBean's counts just before and just after it, and a collection is counted.
   */
  @Test
  void gcMetersReadEachCollectorsTotalsWhenScraped() {
    CompactorMetrics m = new CompactorMetrics(true);
    System.gc();
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      long before = gc.getCollectionCount();
      String text = m.scrape();
      long after = gc.getCollectionCount();
      Matcher count = Pattern.compile("(?m)^jvm_gc_collection_seconds_count\\{gc=\"" + Pattern.quote(gc.getName())
          + "\",?\\} ([0-9.]+)$").matcher(text);
      assertTrue(count.find(), text);
      long scraped = (long) Double.parseDouble(count.group(1));
      assertTrue(before <= scraped && scraped <= after, gc.getName() + ": " + before + " <= " + scraped + " <= " + after);
      assertTrue(text.contains("jvm_gc_collection_seconds_sum{gc=\"" + gc.getName() + "\""), text);
      total += scraped;
    }
    assertTrue(total >= 1, "System.gc() was counted");
  }

  @Test
  void servesMetricsAndProbes() throws Exception {
    CompactorMetrics m = new CompactorMetrics(false);
    try (MetricsServer server = MetricsServer.start("127.0.0.1:0", m::scrape)) {
      assertEquals(200, get(server.port(), "/-/healthy").statusCode());
      assertEquals(503, get(server.port(), "/-/ready").statusCode());
      server.setReady(true);
      assertEquals(200, get(server.port(), "/-/ready").statusCode());
      HttpResponse<String> metrics = get(server.port(), "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
      assertTrue(metrics.body().contains("thanos_compact_iterations_total"));
    }
    assertThrows(IllegalArgumentException.class, () -> MetricsServer.parseAddress("10902"));
    assertEquals(10902, MetricsServer.parseAddress(":10902").getPort());
  }

  @Test
  void pushesTheTextFormatWithPut() throws Exception {
    List<String> received = new ArrayList<>();
    HttpServer fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    fake.createContext("/", ex -> {
      received.add(ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + " "
          + ex.getRequestHeaders().getFirst("Content-Type"));
      received.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      int status = ex.getRequestURI().getRawPath().contains("broken") ? 500 : 200;
      ex.sendResponseHeaders(status, -1);
      ex.close();
    });
    fake.start();
    try {
      String url = "http://127.0.0.1:" + fake.getAddress().getPort() + "/";
      CompactorMetrics m = new CompactorMetrics(false);
      m.iterations().increment();
      new Pushgateway(url).push("tsdb-compactor", Map.of("shard", "1"), m.scrape());
      assertEquals("PUT /metrics/job/tsdb-compactor/shard/1 text/plain; version=0.0.4; charset=utf-8", received.get(0));
      assertTrue(received.get(1).contains("thanos_compact_iterations_total 1.0"));
      IOException e = assertThrows(IOException.class, () -> new Pushgateway(url).push("broken", Map.of(), "x 1\n"));
      assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
    } finally {
      fake.stop(0);
    }
    assertThrows(IllegalArgumentException.class, () -> new Pushgateway("localhost:9091"));
  }
}
