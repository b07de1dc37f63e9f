package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bucket contract and S3 specifics against a real S3 server (S3Proxy) on 127.0.0.1. */
class S3BucketTest extends BucketContractTest {
  @TempDir
  static Path serverDir;
  static S3ProxyServer server;
  static final AtomicInteger BUCKETS = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    server = new S3ProxyServer(serverDir);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Override
  protected Bucket newBucket() throws IOException {
    S3Config c = server.config("contract-" + BUCKETS.incrementAndGet());
    c.partSize = 5L * 1024 * 1024;
    S3Bucket b = new S3Bucket(c);
    b.createBucketIfMissing();
    return b;
  }

  @Test
  void multipartUploadOfThreePartsReadsBackIdentical() throws Exception {
    byte[] data = random(12 * 1024 * 1024 + 123, 11); // 5 MiB parts: 3 parts
    bucket.upload("01MP/chunks/000001", new ByteArrayInputStream(data), data.length);
    assertArrayEquals(data, bucket.getBytes("01MP/chunks/000001"));
    bucket.upload("01MP/chunks/000002", new ByteArrayInputStream(data), -1); // unknown length, streamed
    assertArrayEquals(data, bucket.getBytes("01MP/chunks/000002"));
    assertEquals(data.length, bucket.attributes("01MP/chunks/000002").size());
  }

  @Test
  void failedMultipartUploadLeavesNoObject() throws Exception {
    byte[] data = random(11 * 1024 * 1024, 12);
    FaultInjectingBucket faulty = new FaultInjectingBucket(bucket).breakUploadsAfter(7L * 1024 * 1024, 1);
    assertThrows(IOException.class, () -> faulty.upload("01MP/index", new ByteArrayInputStream(data), data.length));
    assertFalse(bucket.exists("01MP/index"));
  }

  @Test
  void paginatedListingOfManyKeys() throws Exception {
    ((S3Bucket) bucket).listMaxKeys = 7;
    int n = 150;
    for (int i = 0; i < n; i++) {
      bucket.upload(String.format("p/%04d", i), new byte[] {(byte) i});
      if (i % 10 == 0) {
        bucket.upload(String.format("p/%04d-dir/x", i), new byte[] {1});
      }
    }
    var all = bucket.list("p", true);
    assertEquals(n + 15, all.size());
    var top = bucket.list("p", false);
    assertEquals(n + 15, top.size());
    for (int i = 1; i < top.size(); i++) {
      assertTrue(top.get(i - 1).key().compareTo(top.get(i).key()) < 0, "sorted and unique");
    }
    assertEquals(15, top.stream().filter(ListEntry::isDirectory).count());
  }

  @Test
  void listObjectsV1AlsoPages() throws Exception {
    S3Config c = server.config("v1-" + BUCKETS.incrementAndGet());
    c.listObjectsVersion = "v1";
    try (S3Bucket b = new S3Bucket(c)) {
      b.createBucketIfMissing();
      b.listMaxKeys = 3;
      for (int i = 0; i < 10; i++) {
        b.upload("d" + i + "/meta.json", new byte[] {1});
      }
      assertEquals(10, b.list("", false).size());
      assertEquals(10, b.list("", true).size());
    }
  }

  @Test
  void sdkDefaultChecksumsAreRejectedByS3ProxyWhichIsWhyWeTurnThemOff() throws Exception {
    S3Config c = server.config(((S3Bucket) bucket).name());
    c.checksumMode = S3Config.ChecksumMode.WHEN_SUPPORTED;
    c.maxRetries = 0;
    try (S3Bucket b = new S3Bucket(c)) {
      BucketException e = assertThrows(BucketException.class, () -> b.upload("c/x", new byte[] {1, 2, 3}));
      assertFalse(e.isRetryable());
    }
    bucket.upload("c/x", new byte[] {1, 2, 3}); // AUTO mode: fine
  }

  @Test
  void wrongSecretGivesErrorWithoutTheSecret() throws Exception {
    S3Config c = server.config(((S3Bucket) bucket).name());
    c.secretKey = "wrong-secret-Hx7pq";
    try (S3Bucket b = new S3Bucket(c)) {
      BucketException e = assertThrows(BucketException.class, () -> b.upload("c/y", new byte[] {1}));
      assertFalse(e.getMessage().contains("wrong-secret-Hx7pq"));
      assertFalse(e.isRetryable());
      assertFalse(b.toString().contains("wrong-secret-Hx7pq"));
    }
  }

  @Test
  void retryingWrapperResumesBrokenDownloadFromS3() throws Exception {
    byte[] data = random(300_000, 13);
    bucket.upload("r/chunks/000001", data);
    FaultInjectingBucket faulty = new FaultInjectingBucket(bucket).breakReadsAfter(100_000, 2).shortReads(777);
    Bucket retrying = new RetryingBucket(faulty, RetryPolicy.immediate(5));
    assertArrayEquals(data, retrying.getBytes("r/chunks/000001"));
    assertEquals(2, faulty.calls(FaultInjectingBucket.Op.GET_RANGE));
  }

  @Test
  void objstoreYamlOpensTheSameBucket() throws Exception {
    String name = ((S3Bucket) bucket).name();
    bucket.upload("y/meta.json", new byte[] {42});
    try (Bucket b = ObjstoreConfig.parse(server.yaml(name, 5 * 1024 * 1024)).open()) {
      assertArrayEquals(new byte[] {42}, b.getBytes("y/meta.json"));
    }
  }
}
