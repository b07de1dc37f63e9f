package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tsdbcompactor.job.SampleBlocks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --tracing.config} through the CLI: spans of a real run reach an OTLP/HTTP receiver (a small one in this
 * test, decoding the span names out of the protobuf export requests), and a collector that is down never fails
 * the run.
 */
class CompactTracingTest {
  static final long H = ThanosDropInTest.H;

  /** A bucket with one group to compact (2h blocks) and one to downsample (48h blocks). */
  static Path bucket(Path tmp) throws IOException {
    Path bucket = tmp.resolve("bucket");
    new SampleBlocks(new SampleBlocks.Spec(2, 2 * H, 600_000, 1, Map.of("cluster", "a"), 0, 3))
        .write(bucket, ThanosDropInTest.T0);
    new SampleBlocks(new SampleBlocks.Spec(6, 48 * H, 600_000, 1, Map.of("cluster", "b"), 0, 4))
        .write(bucket, ThanosDropInTest.T0);
    return bucket;
  }

  @Test
  void spansOfTheRunReachAnOtlpHttpCollector(@TempDir Path tmp) throws Exception {
    Path bucket = bucket(tmp);
    List<String> names = Collections.synchronizedList(new ArrayList<>());
    List<String> paths = Collections.synchronizedList(new ArrayList<>());
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext("/", ex -> {
      paths.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " "
          + ex.getRequestHeaders().getFirst("Content-Type") + " " + ex.getRequestHeaders().getFirst("X-Tenant"));
      InputStream body = ex.getRequestBody();
      if ("gzip".equals(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
        body = new GZIPInputStream(body);
      }
      names.addAll(spanNames(body.readAllBytes()));
      ex.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    collector.start();
    try {
      String tracing = "type: OTLP\nconfig:\n  client_type: http\n  endpoint: 127.0.0.1:"
          + collector.getAddress().getPort() + "\n  insecure: true\n  headers:\n    x-tenant: team-a\n"
          + "  service_name: thanos-compact\n  compression: gzip\n  timeout: 5s\n";
      ThanosDropInTest.Result r = ThanosDropInTest.run("compact", ThanosDropInTest.objstore(bucket),
          "--data-dir=" + tmp.resolve("data"), "--consistency-delay=0s", "--tracing.config=" + tracing);
      assertEquals(0, r.code(), r.all());
    } finally {
      collector.stop(0);
    }
    // The run ends by flushing its spans: they are all here once Main.run returned.
    assertTrue(!paths.isEmpty() && paths.get(0).equals("POST /v1/traces application/x-protobuf team-a"), paths.toString());
    for (String expected : List.of("compact run", "compact group", "download", "merge", "verify", "upload",
        "downsample", "retention")) {
      assertTrue(names.contains(expected), "span " + expected + " exported: " + names);
    }
    assertEquals(1, Collections.frequency(names, "compact run"), names.toString());
  }

  @Test
  void aDeadCollectorNeverFailsTheRun(@TempDir Path tmp) throws Exception {
    Path bucket = bucket(tmp);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    for (String client : List.of("http", "grpc")) {
      String tracing = "type: OTLP\nconfig:\n  client_type: " + client + "\n  endpoint: 127.0.0.1:" + port
          + "\n  insecure: true\n  timeout: 2s\n";
      ThanosDropInTest.Result r = ThanosDropInTest.run("compact", ThanosDropInTest.objstore(bucket),
          "--data-dir=" + tmp.resolve("data-" + client), "--consistency-delay=0s", "--tracing.config=" + tracing);
      assertEquals(0, r.code(), client + ": " + r.all());
      assertTrue(r.err().lines().anyMatch(l -> l.contains("level=warn") && l.contains("component=tracing")),
          client + ": the failed export is one warning: " + r.err());
    }
  }

  // ------------------------------------------------------------------------------------------- protobuf

  /**
   * The span names of an OTLP ExportTraceServiceRequest: resource_spans (1) → scope_spans (2) → spans (2) →
   * name (5). Only the fields on that path are decoded; everything else is skipped by wire type.
   */
  static List<String> spanNames(byte[] request) {
    List<String> out = new ArrayList<>();
    for (byte[] resourceSpans : lenFields(request, 1)) {
      for (byte[] scopeSpans : lenFields(resourceSpans, 2)) {
        for (byte[] span : lenFields(scopeSpans, 2)) {
          for (byte[] name : lenFields(span, 5)) {
            out.add(new String(name, StandardCharsets.UTF_8));
          }
        }
      }
    }
    return out;
  }

  /** The values of length-delimited field {@code number} of one message. */
  static List<byte[]> lenFields(byte[] msg, int number) {
    List<byte[]> out = new ArrayList<>();
    int[] pos = {0};
    while (pos[0] < msg.length) {
      long key = varint(msg, pos);
      int wire = (int) (key & 7);
      switch (wire) {
        case 0 -> varint(msg, pos);
        case 1 -> pos[0] += 8;
        case 5 -> pos[0] += 4;
        case 2 -> {
          int len = (int) varint(msg, pos);
          if (key >>> 3 == number) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(msg, pos[0], len);
            out.add(b.toByteArray());
          }
          pos[0] += len;
        }
        default -> throw new IllegalArgumentException("unexpected wire type " + wire);
      }
    }
    return out;
  }

  static long varint(byte[] b, int[] pos) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[pos[0]++];
      v |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
    }
  }
}
