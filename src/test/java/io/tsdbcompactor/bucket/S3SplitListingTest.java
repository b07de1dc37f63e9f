package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.labels.Labels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Recursive S3 listings split into key ranges ({@link SplitListing}) against S3Proxy, through {@link S3FaultProxy}:
 * a bucket shaped like a compactor's (block folders thin in old days and dense in the last ones, other tools' keys,
 * keys past ASCII) lists every key once in S3's order with several ranges in flight, on both listing versions, under
 * faults, and from a store that ignores {@code start-after}.
 */
class S3SplitListingTest {
  @TempDir
  static Path dir;
  static S3ProxyServer server;
  static int bucketCount;
  /** Every key of the test bucket, in S3's order. */
  static List<String> keys;

  @BeforeAll
  static void start() throws Exception {
    // Signatures are not checked so that the proxy may drop start-after in one test.
    server = new S3ProxyServer(Files.createDirectories(dir.resolve("s3")), false);
    keys = bucketKeys();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** 120 blocks over 90 days, two thirds of them in the last three, each with 3 objects; and other keys. */
  static List<String> bucketKeys() {
    Random random = new Random(7);
    long now = 1_795_000_000_000L;
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      long age = i % 3 == 0 ? (long) (random.nextDouble() * 90 * 86_400_000L) : (long) (random.nextDouble() * 3 * 86_400_000L);
      String ulid = Ulid.generate(now - age, random).toString();
      out.add(ulid + "/meta.json");
      out.add(ulid + "/index");
      out.add(ulid + "/chunks/000001");
    }
    out.addAll(List.of("debug/metas/x.json", "zz-top", "\u00fcber/a", "\u00fcber/b", "\ud83d\ude00/c"));
    out.sort(Labels::compareStrings);
    return out;
  }

  static S3Bucket bucket(S3FaultProxy proxy, String listVersion) throws IOException {
    String name = "split" + (++bucketCount);
    S3TestBuckets.create(server.config(name));
    S3Config c = server.config(name);
    c.endpoint = proxy.endpoint();
    c.listObjectsVersion = listVersion;
    c.maxRetries = 10;
    c.minRetryBackoff = Duration.ofMillis(5);
    c.maxRetryBackoff = Duration.ofMillis(50);
    c.responseHeaderTimeout = Duration.ofMillis(1000);
    S3Bucket b = new S3Bucket(c);
    b.listMaxKeys = 7; // 53 pages
    b.listConcurrency = 4;
    return b;
  }

  static void fill(S3Bucket b) throws Exception {
    fill(b, keys);
  }

  static void fill(S3Bucket b, List<String> keys) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> puts = new ArrayList<>();
      for (String k : keys) {
        puts.add(pool.submit(() -> {
          b.upload(k, new byte[] {1});
          return null;
        }));
      }
      for (Future<?> f : puts) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  static List<String> listed(Bucket b, String prefix) throws IOException {
    List<String> out = new ArrayList<>();
    b.list(prefix, true, e -> out.add(e.key()));
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1", "v2"})
  void everyKeyListedOnceInS3OrderWithRangesListedSideBySide(String listVersion) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
        S3Bucket b = bucket(proxy, listVersion)) {
      fill(b);
      proxy.resetPeakInFlight();
      long before = proxy.requests();
      assertEquals(keys, listed(b, ""));
      long split = proxy.requests() - before;
      int peak = proxy.peakInFlight();
      assertTrue(peak >= 2, "ranges listed side by side, at most " + peak);
      b.listConcurrency = 1;
      before = proxy.requests();
      assertEquals(keys, listed(b, ""), "page after page");
      long pages = proxy.requests() - before;
      System.out.println("S3SplitListingTest " + listVersion + ": " + split + " requests in ranges (at most " + peak
          + " at once), " + pages + " page after page");
      // Each range costs one request past its end, and an open range probes the empty keys above the last one.
      assertTrue(split < 3 * pages, split + " requests in ranges, " + pages + " page after page");
    }
  }

  @Test
  void aFolderIsListedInRangesUnderIt() throws Exception {
    List<String> under = keys.stream().map(k -> "tenant-a/" + k).toList();
    List<String> both = new ArrayList<>(keys);
    both.addAll(under);
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1); S3Bucket b = bucket(proxy, "v2")) {
      fill(b, both);
      proxy.resetPeakInFlight();
      assertEquals(under, listed(b, "tenant-a"));
      assertTrue(proxy.peakInFlight() >= 2, "ranges listed side by side, at most " + proxy.peakInFlight());
    }
  }

  @Test
  void aListingUnderFaultsStillListsEveryKeyOnce() throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 3)
        .stall(Duration.ofMillis(1200), Duration.ofMillis(1500)); S3Bucket b = bucket(proxy, "v2")) {
      fill(b);
      proxy.rate(0.2);
      assertEquals(keys, listed(b, ""));
      assertTrue(proxy.injectedTotal() > 5, proxy.injectedSummary());
    }
  }

  @Test
  void aStoreThatIgnoresStartAfterIsListedPageAfterPage() throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
        S3Bucket b = bucket(proxy, "v2")) {
      fill(b);
      proxy.ignoreListingStart();
      assertEquals(keys, listed(b, ""));
      assertTrue(proxy.listingStartsDropped() > 0, "the store was asked to start after a key");
    }
  }

  @Test
  void aStoreOrderingKeysPastAsciiItsOwnWayIsListedPageAfterPage() throws Exception {
    // S3 orders keys by their UTF-8 bytes, S3Proxy on a file system as Java strings: U+FF01 comes before U+1F600
    // in the one and after it in the other. The ranges notice and the store's own paging lists the bucket.
    List<String> more = new ArrayList<>(keys);
    more.add("\uff01/d");
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1); S3Bucket b = bucket(proxy, "v2")) {
      fill(b, more);
      List<String> split = listed(b, "");
      b.listConcurrency = 1;
      List<String> pageAfterPage = listed(b, "");
      assertEquals(pageAfterPage, split);
      assertEquals(more.stream().sorted().toList(), split.stream().sorted().toList(), "every key once");
      assertTrue(split.indexOf("\uff01/d") > split.indexOf("\ud83d\ude00/c"), "the store's own order: " + split);
    }
  }

  @Test
  void aVisitorThatStopsOnTheFirstPageCostsOneRequest() throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
        S3Bucket b = bucket(proxy, "v2")) {
      fill(b);
      long before = proxy.requests();
      List<String> seen = new ArrayList<>();
      b.list("", true, e -> seen.add(e.key()) && seen.size() < 3);
      assertEquals(keys.subList(0, 3), seen);
      assertEquals(1, proxy.requests() - before);
    }
  }
}
