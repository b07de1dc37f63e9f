package io.tsdbcompactor.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MockClock;
import io.tsdbcompactor.bucket.AzuriteServer;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ForwardingBucket;
import io.tsdbcompactor.bucket.GrowingFile;
import io.tsdbcompactor.bucket.MemoryBucket;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.bucket.PrefixedBucket;
import io.tsdbcompactor.bucket.RetryPolicy;
import io.tsdbcompactor.bucket.RetryingBucket;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstrumentedBucketTest {
  private static final Instant NOW = Instant.parse("2024-08-22T10:00:00Z");
  private static final List<String> OPERATIONS =
      List.of("get", "get_range", "exists", "upload", "delete", "attributes", "iter");

  private final CompactorMetrics metrics = new CompactorMetrics(false);
  private final MemoryBucket store = new MemoryBucket();
  private final FaultInjectingBucket faults = new FaultInjectingBucket(store);
  private final Bucket bucket =
      new InstrumentedBucket(faults, metrics.objstore("metrics"), Clock.fixed(NOW, ZoneOffset.UTC));

  /** The exposition text as series (name and labels as printed) to value. */
  static Map<String, Double> series(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return out;
  }

  private double value(String name, String op) {
    Double v = series(metrics.scrape()).get(name + "{bucket=\"metrics\",operation=\"" + op + "\"}");
    assertTrue(v != null, name + " for " + op + " missing in\n" + metrics.scrape());
    return v;
  }

  @Test
  void everyOperationSeriesExistsAtZeroBeforeTheFirstCall() {
    Map<String, Double> s = series(metrics.scrape());
    for (String op : OPERATIONS) {
      String labels = "{bucket=\"metrics\",operation=\"" + op + "\"}";
      assertEquals(0.0, s.get("thanos_objstore_bucket_operations_total" + labels), op);
      assertEquals(0.0, s.get("thanos_objstore_bucket_operation_failures_total" + labels), op);
      assertEquals(0.0, s.get("thanos_objstore_bucket_operation_fetched_bytes_total" + labels), op);
      assertEquals(0.0, s.get("thanos_objstore_bucket_operation_duration_seconds_count" + labels), op);
    }
    for (String op : List.of("get", "get_range", "upload")) {
      assertEquals(0.0, s.get("thanos_objstore_bucket_operation_transferred_bytes_count{bucket=\"metrics\",operation=\""
          + op + "\"}"), op);
    }
    assertEquals(0.0, s.get("thanos_objstore_bucket_last_successful_upload_time{bucket=\"metrics\"}"));
    // Thanos's buckets: 1 ms to 120 s for durations, 32 KiB to 1 GiB for sizes.
    assertTrue(s.containsKey("thanos_objstore_bucket_operation_duration_seconds_bucket{bucket=\"metrics\",operation=\"get\",le=\"0.001\"}"), metrics.scrape());
    assertTrue(s.containsKey("thanos_objstore_bucket_operation_duration_seconds_bucket{bucket=\"metrics\",operation=\"get\",le=\"120.0\"}"), metrics.scrape());
    assertTrue(s.containsKey("thanos_objstore_bucket_operation_transferred_bytes_bucket{bucket=\"metrics\",operation=\"get\",le=\"32768.0\"}"), metrics.scrape());
    assertTrue(s.containsKey("thanos_objstore_bucket_operation_transferred_bytes_bucket{bucket=\"metrics\",operation=\"get\",le=\"1.073741824E9\"}"), metrics.scrape());
  }

  @Test
  void countsTimesAndSizesEachOperation(@TempDir Path tmp) throws IOException {
    byte[] body = "0123456789".getBytes(StandardCharsets.UTF_8);
    bucket.upload("a/obj", body);
    bucket.upload("a/stream", new java.io.ByteArrayInputStream(body), body.length);
    Path file = tmp.resolve("f");
    Files.write(file, body);
    bucket.upload("a/file", file);
    assertEquals(3.0, value("thanos_objstore_bucket_operations_total", "upload"));
    assertEquals(3.0, value("thanos_objstore_bucket_operation_transferred_bytes_count", "upload"));
    assertEquals(30.0, value("thanos_objstore_bucket_operation_transferred_bytes_sum", "upload"));
    assertEquals(3.0, value("thanos_objstore_bucket_operation_duration_seconds_count", "upload"));
    assertEquals((double) NOW.getEpochSecond(),
        series(metrics.scrape()).get("thanos_objstore_bucket_last_successful_upload_time{bucket=\"metrics\"}"));

    try (InputStream in = bucket.get("a/obj")) {
      assertArrayEquals(body, in.readAllBytes());
    }
    try (InputStream in = bucket.getRange("a/obj", 2, 3)) {
      assertEquals("234", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    assertArrayEquals(body, bucket.getBytes("a/obj"));
    assertEquals(10, bucket.download("a/obj", tmp.resolve("d")));
    assertEquals(3.0, value("thanos_objstore_bucket_operations_total", "get"));
    assertEquals(30.0, value("thanos_objstore_bucket_operation_fetched_bytes_total", "get"));
    assertEquals(3.0, value("thanos_objstore_bucket_operation_duration_seconds_count", "get"));
    assertEquals(30.0, value("thanos_objstore_bucket_operation_transferred_bytes_sum", "get"));
    assertEquals(3.0, value("thanos_objstore_bucket_operation_fetched_bytes_total", "get_range"));
    assertEquals(1.0, value("thanos_objstore_bucket_operation_duration_seconds_count", "get_range"));

    assertTrue(bucket.exists("a/obj"));
    assertEquals(10, bucket.attributes("a/obj").size());
    assertEquals(3, bucket.list("a/", false).size());
    bucket.delete("a/obj");
    for (String op : List.of("exists", "attributes", "iter", "delete")) {
      assertEquals(1.0, value("thanos_objstore_bucket_operations_total", op), op);
      assertEquals(1.0, value("thanos_objstore_bucket_operation_duration_seconds_count", op), op);
    }
    for (String op : OPERATIONS) {
      assertEquals(0.0, value("thanos_objstore_bucket_operation_failures_total", op), op);
    }
  }

  /**
   * A file uploaded while it is written is one upload of the file's bytes, and the buckets the CLI opens tell whether
   * they send such a file before it is whole through every wrapper (metrics, retries, a prefix): S3 and Azure do,
   * S3 without multipart and FILESYSTEM do not.
   */
  @Test
  void anUploadWhileWrittenIsCountedAndTheWrappersTellWhetherTheStoreTakesParts(@TempDir Path tmp) throws Exception {
    Path file = Files.write(tmp.resolve("index"), "0123456789".getBytes(StandardCharsets.UTF_8));
    try (GrowingFile growing = new GrowingFile(file, java.nio.channels.FileChannel.open(file))) {
      growing.whole(10);
      bucket.uploadWhileWritten("01X/index", growing);
    }
    assertArrayEquals("0123456789".getBytes(StandardCharsets.UTF_8), store.getBytes("01X/index"));
    assertEquals(1.0, value("thanos_objstore_bucket_operations_total", "upload"));
    assertEquals(10.0, value("thanos_objstore_bucket_operation_transferred_bytes_sum", "upload"));

    // Opening a cloud bucket checks that it is there: S3 on S3Proxy, Azure on Azurite where it is installed.
    try (S3ProxyServer s3Server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")));
         AzuriteServer azurite = AzuriteServer.executable() == null ? null
             : new AzuriteServer(Files.createDirectories(tmp.resolve("azurite")))) {
      S3TestBuckets.create(s3Server.config("wiring"));
      String s3 = s3Server.yaml("wiring", 5L * 1024 * 1024);
      Map<String, Boolean> want = new LinkedHashMap<>();
      want.put(s3 + "prefix: tenant\n", true);
      want.put(s3.replace("config:\n", "config:\n  disable_multipart: true\n"), false);
      want.put("type: FILESYSTEM\nconfig:\n  directory: " + tmp.resolve("fs") + "\n", false);
      if (azurite != null) {
        want.put(azurite.yaml("wiring") + "prefix: tenant\n", true);
      }
      for (Map.Entry<String, Boolean> w : want.entrySet()) {
        try (Bucket opened = new InstrumentedBucket(ObjstoreConfig.parse(w.getKey(), Map.of()).open(),
            metrics.objstore("wiring"), Clock.fixed(NOW, ZoneOffset.UTC))) {
          assertEquals(w.getValue(), opened.uploadsWhileWritten(), w.getKey());
        }
      }
    }
  }

  /**
   * An upload while written lasts as long as its writer: the duration it records is what it spent sending, not what it
   * waited for the file. On a clock the test moves: the upload waits 10 s for the writer and sends for 2 s.
   */
  @Test
  void anUploadWhileWrittenRecordsTheTimeSpentSendingNotWaitingForTheWriter(@TempDir Path tmp) throws Exception {
    MockClock clock = new MockClock();
    CompactorMetrics timed = new CompactorMetrics(false, clock);
    Bucket sendsForTwoSeconds = new ForwardingBucket(new MemoryBucket()) {
      @Override
      public void uploadDisposable(String key, Path file) throws IOException {
        clock.add(Duration.ofSeconds(2));
        delegate.uploadDisposable(key, file);
      }
    };
    Bucket instrumented = new InstrumentedBucket(sendsForTwoSeconds, timed.objstore("metrics"),
        Clock.fixed(NOW, ZoneOffset.UTC));
    Path file = Files.write(tmp.resolve("index"), "0123456789".getBytes(StandardCharsets.UTF_8));
    CountDownLatch waiting = new CountDownLatch(1);
    // The file reads this clock as the upload starts waiting for it, and again when the wait ends.
    LongSupplier nanoTime = () -> {
      long now = clock.monotonicTime();
      waiting.countDown(); // after reading: the test moves the clock once the wait has begun
      return now;
    };
    ExecutorService uploader = Executors.newSingleThreadExecutor();
    try (GrowingFile growing = new GrowingFile(file, java.nio.channels.FileChannel.open(file), nanoTime)) {
      Future<?> upload = uploader.submit(() -> {
        instrumented.uploadWhileWritten("01X/index", growing);
        return null;
      });
      assertTrue(waiting.await(30, TimeUnit.SECONDS), "the upload never waited for the file");
      clock.add(Duration.ofSeconds(10));
      growing.whole(10);
      upload.get(30, TimeUnit.SECONDS);
    } finally {
      uploader.shutdownNow();
    }
    Map<String, Double> s = series(timed.scrape());
    String upload = "{bucket=\"metrics\",operation=\"upload\"}";
    assertEquals(1.0, s.get("thanos_objstore_bucket_operation_duration_seconds_count" + upload));
    assertEquals(2.0, s.get("thanos_objstore_bucket_operation_duration_seconds_sum" + upload), 1e-9);
  }

  /**
   * A disposable upload is counted as an upload, and passes through the wrappers a FILESYSTEM objstore config gets
   * (metrics, retries, a prefix) down to the bucket, which links the file instead of copying it.
   */
  @Test
  void aDisposableUploadIsCountedAndReachesTheFilesystemBucketAsALink(@TempDir Path tmp) throws IOException {
    Bucket fs = new FilesystemBucket(tmp.resolve("bkt"), Clock.fixed(NOW, ZoneOffset.UTC));
    Bucket wrapped = new InstrumentedBucket(
        new RetryingBucket(new PrefixedBucket(fs, "tenant/"), new RetryPolicy(3, Duration.ZERO, Duration.ZERO, d -> {})),
        metrics.objstore("metrics"), Clock.fixed(NOW, ZoneOffset.UTC));
    Path file = Files.write(tmp.resolve("index"), "0123456789".getBytes(StandardCharsets.UTF_8));
    wrapped.uploadDisposable("01X/index", file);
    assertTrue(Files.isSameFile(file, tmp.resolve("bkt/tenant/01X/index")), "linked through every wrapper");
    assertEquals(1.0, value("thanos_objstore_bucket_operations_total", "upload"));
    assertEquals(10.0, value("thanos_objstore_bucket_operation_transferred_bytes_sum", "upload"));
  }

  @Test
  void notFoundIsNoFailureButAnErrorIs() throws IOException {
    assertThrows(ObjectNotFoundException.class, () -> bucket.get("missing"));
    assertThrows(ObjectNotFoundException.class, () -> bucket.attributes("missing"));
    assertFalse(bucket.exists("missing"));
    assertEquals(0.0, value("thanos_objstore_bucket_operation_failures_total", "get"));
    assertEquals(0.0, value("thanos_objstore_bucket_operation_failures_total", "attributes"));
    assertEquals(1.0, value("thanos_objstore_bucket_operations_total", "get"));

    faults.retryable(false).failNext(FaultInjectingBucket.Op.UPLOAD, 1).failNext(FaultInjectingBucket.Op.LIST, 1);
    assertThrows(IOException.class, () -> bucket.upload("x", new byte[] {1}));
    assertThrows(IOException.class, () -> bucket.list("", true));
    assertEquals(1.0, value("thanos_objstore_bucket_operation_failures_total", "upload"));
    assertEquals(1.0, value("thanos_objstore_bucket_operation_failures_total", "iter"));
    assertEquals(0.0, value("thanos_objstore_bucket_operation_duration_seconds_count", "upload"),
        "only successful operations are timed");
    assertEquals(0.0,
        series(metrics.scrape()).get("thanos_objstore_bucket_last_successful_upload_time{bucket=\"metrics\"}"));

    // A stream that breaks half way is one failure of its get, and no duration.
    store.upload("big", new byte[100_000]);
    faults.breakReadsAfter(1000, 1);
    InputStream in = bucket.get("big");
    assertThrows(IOException.class, in::readAllBytes);
    in.close();
    assertEquals(1.0, value("thanos_objstore_bucket_operation_failures_total", "get"));
    assertEquals(0.0, value("thanos_objstore_bucket_operation_duration_seconds_count", "get"));
  }

  @Test
  void outsideTheRetryingBucketOnlyTheFinalOutcomeCounts() throws IOException {
    CompactorMetrics m = new CompactorMetrics(false);
    FaultInjectingBucket flaky = new FaultInjectingBucket(new MemoryBucket());
    RetryPolicy noWait = new RetryPolicy(3, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(1), d -> {});
    Bucket b = new InstrumentedBucket(new RetryingBucket(flaky, noWait), m.objstore("b"), Clock.fixed(NOW, ZoneOffset.UTC));
    flaky.failNext(FaultInjectingBucket.Op.UPLOAD, 2);
    b.upload("k", new byte[] {1, 2});
    assertEquals(3, flaky.calls(FaultInjectingBucket.Op.UPLOAD));
    Map<String, Double> s = series(m.scrape());
    assertEquals(1.0, s.get("thanos_objstore_bucket_operations_total{bucket=\"b\",operation=\"upload\"}"));
    assertEquals(0.0, s.get("thanos_objstore_bucket_operation_failures_total{bucket=\"b\",operation=\"upload\"}"));
  }

  @Test
  void oneSetOfMetersPerBucketLabel() {
    assertTrue(metrics.objstore("metrics") == metrics.objstore("metrics"));
    metrics.objstore("other");
    assertTrue(metrics.scrape().contains("thanos_objstore_bucket_operations_total{bucket=\"other\",operation=\"iter\"} 0.0"));
  }
}
