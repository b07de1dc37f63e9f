package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.S3FaultProxy.Fault;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * S3Bucket through {@link S3FaultProxy} in front of S3Proxy: each of the four faults on each kind of request
 * (listing pages, get, ranged get, head, put, multipart, delete) is ridden out, and a bucket failing 20% of its
 * requests still reads and writes every object exactly. A bucket that cannot be used fails at once, naming the
 * endpoint and the cause.
 */
class S3FaultProxyTest {
  @TempDir
  static Path dir;
  static S3ProxyServer server;
  static int bucketCount;

  @BeforeAll
  static void start() throws Exception {
    server = new S3ProxyServer(Files.createDirectories(dir.resolve("s3")));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** A new bucket reached through the proxy: quick backoff, short read timeout, ten retries. */
  static S3Bucket bucket(S3FaultProxy proxy) throws IOException {
    String name = "faults" + (++bucketCount);
    S3TestBuckets.create(server.config(name));
    S3Config c = server.config(name);
    c.endpoint = proxy.endpoint();
    c.maxRetries = 10;
    c.minRetryBackoff = Duration.ofMillis(5);
    c.maxRetryBackoff = Duration.ofMillis(50);
    c.responseHeaderTimeout = Duration.ofMillis(1000);
    c.partSize = 5L * 1024 * 1024;
    return new S3Bucket(c);
  }

  /** {@link #bucket}, waiting up to a minute for a reply: requests held at the proxy's gate must not time out. */
  static S3Bucket patientBucket(S3FaultProxy proxy) throws IOException {
    S3Config c;
    try (S3Bucket quick = bucket(proxy)) {
      c = quick.config();
    }
    c.responseHeaderTimeout = Duration.ofSeconds(60);
    return new S3Bucket(c);
  }

  static int upstreamPort() {
    return Integer.parseInt(server.endpoint().substring(server.endpoint().indexOf(':') + 1));
  }

  static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void everyKindOfRequestRidesOutTheFault(Fault fault) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1).stall(Duration.ofMillis(1500), Duration.ofMillis(1500));
         S3Bucket b = bucket(proxy)) {
      b.listMaxKeys = 3;
      byte[] small = bytes(10_000, 1);
      proxy.script(fault);
      b.upload("a/x", small);
      for (int i = 0; i < 7; i++) {
        b.upload("a/y" + i, new byte[] {(byte) i});
      }
      proxy.script(fault);
      assertArrayEquals(small, b.getBytes("a/x"), "get");
      proxy.script(fault);
      try (InputStream in = b.getRange("a/x", 100, 5000)) {
        assertArrayEquals(java.util.Arrays.copyOfRange(small, 100, 5100), in.readAllBytes(), "ranged get");
      }
      proxy.script(fault);
      assertEquals(10_000, b.attributes("a/x").size(), "head");
      proxy.script(null, fault); // the second page of the listing
      List<String> keys = new ArrayList<>();
      b.list("a", true).forEach(e -> keys.add(e.key()));
      assertEquals(8, keys.size(), "listing: " + keys);
      proxy.script(fault);
      b.delete("a/y0");
      assertFalse(b.exists("a/y0"), "delete");

      // Multipart, through a client that waits longer: storing a 5 MiB part may take S3Proxy more than the short
      // read timeout on a busy machine. Its stalls are shorter than its timeout: they only slow it down.
      S3Config patient = b.config();
      patient.responseHeaderTimeout = Duration.ofSeconds(10);
      try (S3Bucket mp = new S3Bucket(patient)) {
        byte[] big = bytes(11 * 1024 * 1024, 2); // three parts of 5 MiB
        proxy.script(fault, null, fault, null, fault, fault); // create, part 1, part 2, part 3, complete, its retry
        mp.upload("a/big", new ByteArrayInputStream(big), big.length);
        assertArrayEquals(big, mp.getBytes("a/big"), "multipart upload");
      }

      assertTrue(proxy.injected(fault) >= 9, proxy.injectedSummary());
      assertEquals(proxy.injected(fault), proxy.injectedTotal(), proxy.injectedSummary());
      long retried = b.retryCounts().values().stream().mapToLong(Long::longValue).sum();
      assertTrue(retried >= 6, "the faults cost retries: " + b.retryCounts());
    }
  }

  @Test
  void aDeleteWhoseReplyWasLostAndAMultipartCompletionWhoseReplyWasLostSucceed() throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = bucket(proxy)) {
      b.upload("d/x", new byte[] {1});
      proxy.script(Fault.INTERNAL_ERROR); // deleted, but the client hears 500; the retry finds nothing: success
      b.delete("d/x");
      assertFalse(b.exists("d/x"));
      b.delete("d/never-there");
      byte[] big = bytes(6 * 1024 * 1024, 3);
      proxy.script(null, null, null, Fault.INTERNAL_ERROR); // create, part 1, part 2, complete (done, reply lost)
      b.upload("d/big", new ByteArrayInputStream(big), big.length);
      assertArrayEquals(big, b.getBytes("d/big"));
      assertEquals(Map.of("complete multipart upload", 1L, "delete", 1L), b.retryCounts());
    }
  }

  /**
   * Over plain HTTP the SDK signs the payload; chunked (aws-chunked, STREAMING-AWS4-HMAC-SHA256-PAYLOAD) it copies
   * every 128 KiB into a fresh array. Ours hashes each part whole from its file: a hex SHA-256 in the header.
   */
  @Test
  void uploadsOverPlainHttpSignThePayloadWholeNotInChunks(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = bucket(proxy)) {
      byte[] data = bytes(11 * 1024 * 1024, 6); // three parts of 5 MiB
      b.upload("s/index", Files.write(tmp.resolve("index"), data));
      b.upload("s/small", bytes(300 * 1024, 7));
      assertArrayEquals(data, b.getBytes("s/index"));
      List<String> puts = proxy.payloadSignatures().stream().filter(r -> r.startsWith("PUT ")).toList();
      assertEquals(4, puts.size(), proxy.payloadSignatures().toString()); // three parts and the small object
      for (String put : puts) {
        assertTrue(put.matches("PUT [0-9a-f]{64}"), put);
      }
    }
  }

  @Test
  void aFileUploadSendsEachRetriedPartFromTheFileAgainAndClosesIt(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = bucket(proxy)) {
      byte[] data = bytes(11 * 1024 * 1024, 5); // three parts of 5 MiB
      Path file = Files.write(tmp.resolve("index"), data);
      // The creation passes; of the part requests, sent at once in whatever order, one is throttled, one stored
      // with its reply cut, one answered with a server error; the rest and the completion pass.
      proxy.script(null, Fault.SLOW_DOWN, Fault.CUT, Fault.INTERNAL_ERROR);
      b.upload("f/index", file);
      assertArrayEquals(data, b.getBytes("f/index"));
      assertEquals(Map.of("upload part", 3L), b.retryCounts());
      assertEquals(List.of(), openDescriptorsOf(file), "every range of the file opened for a part was closed");
    }
  }

  @Test
  void aFileUploadSendsFourPartsAtOnce(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = patientBucket(proxy)) {
      byte[] data = bytes(21 * 1024 * 1024, 6); // five parts of 5 MiB, the last of 1 MiB
      Path file = Files.write(tmp.resolve("chunks"), data);
      // Each part request waits until four are held at once: sent one after another, each would wait 20 s.
      proxy.gate("partNumber=", 4, Duration.ofSeconds(20));
      proxy.resetPeakInFlight();
      b.upload("g/chunks/000001", file);
      assertEquals(4, proxy.peakInFlight(), "four parts in flight at once, never more");
      assertArrayEquals(data, b.getBytes("g/chunks/000001"));
      assertEquals(Map.of(), b.retryCounts());
    }
  }

  @Test
  void aFilePartThatFailsForGoodFailsTheUploadAndLeavesNoObject(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket quick = bucket(proxy)) {
      S3Config once = quick.config();
      once.maxRetries = 0;
      try (S3Bucket b = new S3Bucket(once)) {
        Path file = Files.write(tmp.resolve("index"), bytes(16 * 1024 * 1024, 8)); // four parts
        proxy.script(null, Fault.INTERNAL_ERROR); // the creation passes, one of the parts does not
        BucketException e = assertThrows(BucketException.class, () -> b.upload("x/index", file));
        assertTrue(e.getMessage().contains("x/index"), e.getMessage());
        assertFalse(b.exists("x/index"), "no object: the upload was aborted, not completed");
        assertEquals(List.of(), openDescriptorsOf(file));
      }
    }
  }

  @Test
  void aDownloadFetchesFourRangesAtOnce(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = patientBucket(proxy)) {
      b.downloadRange = 1024 * 1024;
      byte[] data = bytes(8 * 1024 * 1024 + 5, 9);
      b.upload("d/chunks/000001", data);
      // The first range tells the size and the ETag; each later one asks for that ETag, and waits at the gate
      // until four are held at once: fetched one after another, each would wait 20 s.
      proxy.gate("If-Match:", 4, Duration.ofSeconds(20));
      proxy.resetPeakInFlight();
      assertEquals(data.length, b.download("d/chunks/000001", tmp.resolve("x")));
      assertArrayEquals(data, Files.readAllBytes(tmp.resolve("x")));
      assertTrue(proxy.peakInFlight() >= 4, "ranges at once: " + proxy.peakInFlight());
    }
  }

  /**
   * Such a store's reply is written whole by a download, and by a download in place no further than the file the
   * caller made for it (a reader may have mapped it).
   */
  @Test
  void aStoreThatIgnoresRangesSendsTheWholeObjectWhichIsWrittenWhole(@TempDir Path tmp) throws Exception {
    try (S3ProxyServer unsigned = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")), false);
         S3FaultProxy proxy = new S3FaultProxy(unsigned.port(), 0, 1)) {
      S3TestBuckets.create(unsigned.config("whole"));
      S3Config c = unsigned.config("whole");
      c.endpoint = proxy.endpoint();
      try (S3Bucket b = new S3Bucket(c)) {
        b.downloadRange = 1024 * 1024;
        byte[] data = bytes(3 * 1024 * 1024 + 3, 13);
        b.upload("w/chunks/000001", data);
        proxy.ignoreRanges();
        long before = proxy.requests();
        assertEquals(data.length, b.download("w/chunks/000001", tmp.resolve("w")));
        assertArrayEquals(data, Files.readAllBytes(tmp.resolve("w")));
        assertEquals(1, proxy.requests() - before, "one GET, the whole object, and no ranges after it");
        // A read from the middle gets the object's start from such a store: refused, not taken for the range.
        BucketException e = assertThrows(BucketException.class, () -> b.getRange("w/chunks/000001", 100, 5000));
        assertTrue(e.getMessage().contains("ignored the range from byte 100"), e.getMessage());
        assertFalse(e.isRetryable());

        Path right = tmp.resolve("right");
        Path shorter = tmp.resolve("shorter");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(right.toFile(), "rw");
             java.io.RandomAccessFile g = new java.io.RandomAccessFile(shorter.toFile(), "rw")) {
          f.setLength(data.length);
          g.setLength(data.length - 10);
        }
        assertEquals(data.length, b.downloadInto("w/chunks/000001", right, data.length, (offset, count) -> { }));
        assertArrayEquals(data, Files.readAllBytes(right));
        // The listing said 10 bytes fewer: the object's length comes back, and the file is not grown.
        assertEquals(data.length, b.downloadInto("w/chunks/000001", shorter, data.length - 10, (offset, count) -> { }));
        assertEquals(data.length - 10, Files.size(shorter));
      }
    }
  }

  @Test
  void aDownloadInPlaceWritesEveryRangeOnceIntoTheFileAndReportsIt(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = bucket(proxy)) {
      b.downloadRange = 1024 * 1024;
      byte[] data = bytes(3 * 1024 * 1024 + 17, 16);
      b.upload("p/chunks/000001", data);
      Path file = tmp.resolve("p");
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(data.length);
      }
      proxy.script(Fault.CUT, Fault.CUT); // two ranges cut at half their body, resumed
      io.tsdbcompactor.store.ArrivingBytes arrived = new io.tsdbcompactor.store.ArrivingBytes("p", data.length);
      java.util.concurrent.atomic.AtomicLong reported = new java.util.concurrent.atomic.AtomicLong();
      assertEquals(data.length, b.downloadInto("p/chunks/000001", file, data.length, (offset, count) -> {
        reported.addAndGet(count);
        arrived.arrived(offset, count);
      }));
      assertArrayEquals(data, Files.readAllBytes(file));
      assertTrue(arrived.complete(), "the reported ranges cover the file");
      assertEquals(data.length, reported.get(), "each byte reported once, resumed ranges included");
    }
  }

  @Test
  void aReadResumedAfterTheObjectWasReplacedFailsInsteadOfJoiningTwoVersions() throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = patientBucket(proxy);
         S3Bucket direct = new S3Bucket(server.config(b.config().bucket))) {
      b.upload("j/index", bytes(2 * 1024 * 1024, 14));
      // The read breaks halfway; its resumption asks for the same version and waits at the gate while the object
      // is replaced.
      proxy.script(Fault.CUT);
      assertReplacingFailsTheRead(proxy, direct, "j/index", bytes(2 * 1024 * 1024, 15), () -> {
        try (InputStream in = b.get("j/index")) {
          return in.readAllBytes();
        }
      });
    }
  }

  @Test
  void aRangeCutOffResumesWithinItsRange(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = bucket(proxy)) {
      b.downloadRange = 1024 * 1024;
      byte[] data = bytes(3 * 1024 * 1024 + 17, 10);
      b.upload("r/y", data);
      proxy.script(Fault.CUT, Fault.CUT, Fault.CUT); // whichever ranges come first, each cut at half its body
      assertEquals(data.length, b.download("r/y", tmp.resolve("y")));
      assertArrayEquals(data, Files.readAllBytes(tmp.resolve("y")));
      assertEquals(3L, b.retryCounts().get("get (resume)"));
    }
  }

  @Test
  void anObjectReplacedWhileDownloadedFailsInsteadOfMixingTwoVersions(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = patientBucket(proxy);
         S3Bucket direct = new S3Bucket(server.config(b.config().bucket))) {
      b.downloadRange = 1024 * 1024;
      b.upload("v/index", bytes(4 * 1024 * 1024, 11));
      // The ranges after the first wait at the gate while the object is replaced.
      assertReplacingFailsTheRead(proxy, direct, "v/index", bytes(4 * 1024 * 1024, 12),
          () -> b.download("v/index", tmp.resolve("v")));
    }
  }

  /** A read of the bucket, run on another thread by {@link #assertReplacingFailsTheRead}. */
  @FunctionalInterface
  interface Read {
    Object run() throws IOException;
  }

  /**
   * Starts {@code read}, waits until one of its requests asking for a version ({@code If-Match}) is held at the
   * proxy's gate, replaces {@code key} through {@code direct} (not through the proxy) with {@code replacement},
   * lets the request through and asserts that the read fails, saying the object was replaced, for good.
   */
  static void assertReplacingFailsTheRead(S3FaultProxy proxy, S3Bucket direct, String key, byte[] replacement,
      Read read) throws Exception {
    proxy.gate("If-Match:", 99, Duration.ofSeconds(30));
    java.util.concurrent.CompletableFuture<Object> running = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return read.run();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertTrue(proxy.awaitGated(1, Duration.ofSeconds(30)), "a request asking for the version reached the gate");
    direct.upload(key, replacement);
    proxy.openGate();
    java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> running.get(60, java.util.concurrent.TimeUnit.SECONDS));
    BucketException cause = (BucketException) e.getCause().getCause();
    assertTrue(cause.getMessage().contains(key) && cause.getMessage().contains("replaced"), cause.getMessage());
    assertFalse(cause.isRetryable());
  }

  /** This process's open file descriptors on {@code file} (Linux's /proc; none elsewhere). */
  static List<String> openDescriptorsOf(Path file) throws IOException {
    Path fds = Path.of("/proc/self/fd");
    List<String> open = new ArrayList<>();
    if (!Files.isDirectory(fds)) {
      return open;
    }
    Path real = file.toRealPath();
    try (var s = Files.list(fds)) {
      for (Path fd : (Iterable<Path>) s::iterator) {
        try {
          if (Files.readSymbolicLink(fd).equals(real)) {
            open.add(fd.getFileName().toString());
          }
        } catch (IOException e) {
          // closed while listed
        }
      }
    }
    return open;
  }

  @Test
  void aDownloadCutOffResumesFromTheByteItReached(@TempDir Path tmp) throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket b = bucket(proxy)) {
      byte[] data = bytes(3 * 1024 * 1024, 4);
      b.upload("r/x", data);
      proxy.script(Fault.CUT, Fault.CUT, Fault.CUT);
      long before = proxy.requests();
      assertEquals(data.length, b.download("r/x", tmp.resolve("x")));
      assertArrayEquals(data, Files.readAllBytes(tmp.resolve("x")));
      // Each cut delivers half of what was asked, so the resumed reads ask for less and less: 1.5 MiB, 0.75 ...
      assertEquals(4, proxy.requests() - before);
      assertEquals(3L, b.retryCounts().get("get (resume)"));
    }
  }

  @Test
  void twentyPercentFaultsLoseNothing() throws Exception {
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0.2, 42).stall(Duration.ofMillis(500),
        Duration.ofMillis(1500)); S3Bucket b = bucket(proxy)) {
      b.listMaxKeys = 10;
      for (int i = 0; i < 40; i++) {
        b.upload("t/" + i, bytes(1000 + i * 500, i));
      }
      assertEquals(40, b.list("t", true).size());
      for (int i = 0; i < 40; i++) {
        assertArrayEquals(bytes(1000 + i * 500, i), b.getBytes("t/" + i));
      }
      for (int i = 0; i < 40; i += 2) {
        b.delete("t/" + i);
      }
      assertEquals(20, b.list("t", true).size());
      System.out.println("S3FaultProxyTest: " + proxy.requests() + " requests, faults injected: "
          + proxy.injectedSummary() + "; retries: " + b.retryCounts());
      assertTrue(proxy.injectedTotal() > 10, proxy.injectedSummary());
      for (Fault f : Fault.values()) {
        assertTrue(proxy.injected(f) > 0, "every kind was injected: " + proxy.injectedSummary());
      }
    }
  }

  @Test
  void anUnreachableEndpointFailsAtOnceNamingIt() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    S3Config c = server.config("probe");
    c.endpoint = "127.0.0.1:" + closedPort;
    c.maxRetries = 10;
    try (S3Bucket b = new S3Bucket(c)) {
      BucketException e = assertThrows(BucketException.class, b::probe);
      assertTrue(e.getMessage().contains("http://127.0.0.1:" + closedPort) && e.getMessage().contains("connection refused"),
          e.getMessage());
      assertEquals(Map.of("list", 1L), b.retryCounts(), "one quick second try, not ten");
    }
    c.endpoint = "no-such-host.invalid:9000";
    try (S3Bucket b = new S3Bucket(c)) {
      BucketException e = assertThrows(BucketException.class, b::probe);
      assertTrue(e.getMessage().contains("http://no-such-host.invalid:9000") && e.getMessage().contains("unknown host"),
          e.getMessage());
    }
  }

  @Test
  void wrongCredentialsAndAMissingBucketNameTheS3ErrorCode() throws Exception {
    S3Config c = server.config("no-such-bucket-here");
    try (S3Bucket b = new S3Bucket(c)) {
      BucketException e = assertThrows(BucketException.class, b::probe);
      assertTrue(e.getMessage().contains("NoSuchBucket") && e.getMessage().contains(server.endpoint()), e.getMessage());
      assertEquals(Map.of(), b.retryCounts());
    }
    try (S3FaultProxy proxy = new S3FaultProxy(upstreamPort(), 0, 1); S3Bucket good = bucket(proxy)) {
      S3Config wrong = server.config(good.name());
      wrong.secretKey = "not-the-secret";
      try (S3Bucket b = new S3Bucket(wrong)) {
        BucketException e = assertThrows(BucketException.class, b::probe);
        assertTrue(e.getMessage().contains("403") && e.getMessage().contains("SignatureDoesNotMatch"), e.getMessage());
        assertFalse(e.getMessage().contains("not-the-secret"));
      }
      good.probe();
    }
  }
}
