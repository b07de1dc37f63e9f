package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The bucket contract, S3 specifics and real blocks against a real S3 server: S3Proxy on 127.0.0.1 always, MinIO
 * in Docker where an engine exists.
 */
abstract class AbstractS3BucketTest extends BucketContractTest {
  static final AtomicInteger BUCKETS = new AtomicInteger();

  /** Client settings for a (not yet created) bucket of this name. */
  protected abstract S3Config config(String bucket);

  static String yaml(S3Config c) {
    return "type: S3\nconfig:\n  bucket: " + c.bucket + "\n  endpoint: " + c.endpoint + "\n  region: " + c.region
        + "\n  access_key: " + c.accessKey + "\n  secret_key: " + c.secretKey + "\n  insecure: " + c.insecure
        + "\n  part_size: " + c.partSize + "\n";
  }

  @Override
  protected Bucket newBucket() throws IOException {
    S3Config c = config("contract-" + BUCKETS.incrementAndGet());
    c.partSize = 5L * 1024 * 1024;
    S3Bucket b = new S3Bucket(c);
    S3TestBuckets.create(c);
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
  void multipartUploadFromAFileSendsEachRangeOfItAndReadsBackIdentical(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path tmp) throws Exception {
    S3Config withMd5 = ((S3Bucket) bucket).config();
    withMd5.sendContentMd5 = true;
    try (S3Bucket md5Bucket = new S3Bucket(withMd5)) {
      // 5 MiB parts: three parts with a short last one, two whole parts, one PUT, an empty object.
      for (int size : new int[] {12 * 1024 * 1024 + 123, 10 * 1024 * 1024, 70_000, 0}) {
        byte[] data = random(size, size);
        java.nio.file.Path file = java.nio.file.Files.write(tmp.resolve("f" + size), data);
        bucket.upload("01MPF/chunks/" + size, file);
        assertArrayEquals(data, bucket.getBytes("01MPF/chunks/" + size), size + " bytes");
        md5Bucket.upload("01MPF/md5/" + size, file);
        assertArrayEquals(data, bucket.getBytes("01MPF/md5/" + size), size + " bytes with Content-MD5");
      }
    }
  }

  @Test
  void downloadsInRangesReadBackIdentical(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    ((S3Bucket) bucket).downloadRange = 1024 * 1024;
    // Ranges of 1 MiB: three and a half, four whole, exactly one, less than one, an empty object.
    for (int size : new int[] {3 * 1024 * 1024 + 512 * 1024 + 1, 4 * 1024 * 1024, 1024 * 1024, 1000, 0}) {
      byte[] data = random(size, size + 1);
      bucket.upload("01DL/chunks/" + size, data);
      java.nio.file.Path target = java.nio.file.Files.write(tmp.resolve("f" + size), new byte[] {9, 9});
      assertEquals(size, bucket.download("01DL/chunks/" + size, target));
      assertArrayEquals(data, java.nio.file.Files.readAllBytes(target), size + " bytes");
    }
    assertThrows(ObjectNotFoundException.class, () -> bucket.download("01DL/nope", tmp.resolve("nope")));
  }

  @Test
  void failedMultipartUploadLeavesNoObject() throws Exception {
    byte[] data = random(11 * 1024 * 1024, 12);
    FaultInjectingBucket faulty = new FaultInjectingBucket(bucket).breakUploadsAfter(7L * 1024 * 1024, 1);
    assertThrows(IOException.class, () -> faulty.upload("01MP/index", new ByteArrayInputStream(data), data.length));
    assertFalse(bucket.exists("01MP/index"));
  }

  @Test
  void paginatedListingOfManyKeysInSmallPages() throws Exception {
    // S3Proxy honours max-keys, so small pages exercise paging without thousands of slow PUTs.
    ((S3Bucket) bucket).listMaxKeys = 50;
    int n = 400;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      java.util.List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        fs.add(pool.submit(() -> {
          bucket.upload(String.format("p/%04d", k), new byte[] {(byte) k});
          if (k % 10 == 0) {
            bucket.upload(String.format("p/%04d-dir/x", k), new byte[] {1});
          }
          return null;
        }));
      }
      for (var f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    var all = bucket.list("p", true);
    assertEquals(n + n / 10, all.size());
    var top = bucket.list("p", false);
    assertEquals(n + n / 10, top.size());
    for (int i = 1; i < top.size(); i++) {
      assertTrue(top.get(i - 1).key().compareTo(top.get(i).key()) < 0, "sorted and unique");
    }
    assertEquals(n / 10, top.stream().filter(ListEntry::isDirectory).count());
    ((S3Bucket) bucket).listMaxKeys = 7; // small pages; common prefixes cross page borders
    assertEquals(top.subList(0, 110), bucket.list("p", false).subList(0, 110));
  }

  @Test
  void listObjectsV1AlsoPages() throws Exception {
    S3Config c = config("v1-" + BUCKETS.incrementAndGet());
    c.listObjectsVersion = "v1";
    try (S3Bucket b = new S3Bucket(c)) {
      S3TestBuckets.create(c);
      b.listMaxKeys = 3;
      for (int i = 0; i < 10; i++) {
        b.upload("d" + i + "/meta.json", new byte[] {1});
      }
      assertEquals(10, b.list("", false).size());
      assertEquals(10, b.list("", true).size());
    }
  }

  @Test
  void wrongSecretGivesErrorWithoutTheSecret() throws Exception {
    S3Config c = config(((S3Bucket) bucket).name());
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
    Bucket retrying = new RetryingBucket(faulty, RetryPolicies.immediate(5));
    assertArrayEquals(data, retrying.getBytes("r/chunks/000001"));
    assertEquals(2, faulty.calls(FaultInjectingBucket.Op.GET_RANGE));
  }

  @Test
  void objstoreYamlOpensTheSameBucket() throws Exception {
    String name = ((S3Bucket) bucket).name();
    bucket.upload("y/meta.json", new byte[] {42});
    S3Config c = config(name);
    c.partSize = 5 * 1024 * 1024;
    try (Bucket b = ObjstoreConfig.parse(yaml(c)).open()) {
      assertArrayEquals(new byte[] {42}, b.getBytes("y/meta.json"));
    }
  }

  @Test
  void realBlocksUploadAndDownloadByteIdentical(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    Bucket b = new RetryingBucket(bucket, RetryPolicies.immediate(3));
    io.tsdbcompactor.sync.BlockTransfer.Options o = new io.tsdbcompactor.sync.BlockTransfer.Options();
    o.filesConcurrency = 3;
    io.tsdbcompactor.sync.BlockTransfer t = new io.tsdbcompactor.sync.BlockTransfer(b, o);
    java.util.List<String> ulids = io.tsdbcompactor.sync.TestBlocks.basicUlids();
    for (String u : ulids) {
      t.upload(io.tsdbcompactor.sync.TestBlocks.copyWithLabels(u, tmp.resolve("up"), java.util.Map.of("cluster", "s3")));
    }
    io.tsdbcompactor.sync.SyncResult r = new io.tsdbcompactor.sync.BlockSyncer(b, tmp.resolve("data")).sync();
    assertEquals(ulids, r.allMetas().keySet().stream().toList());
    assertTrue(r.partial().isEmpty());
    for (String u : ulids) {
      java.nio.file.Path down = tmp.resolve("down").resolve(u);
      t.download(u, down);
      java.nio.file.Path src = io.tsdbcompactor.sync.TestBlocks.BASIC.resolve(u);
      assertArrayEquals(java.nio.file.Files.readAllBytes(src.resolve("index")), java.nio.file.Files.readAllBytes(down.resolve("index")));
      assertArrayEquals(java.nio.file.Files.readAllBytes(src.resolve("chunks/000001")),
          java.nio.file.Files.readAllBytes(down.resolve("chunks/000001")));
      assertArrayEquals(bucket.getBytes(u + "/meta.json"), java.nio.file.Files.readAllBytes(down.resolve("meta.json")));
    }
    io.tsdbcompactor.sync.BlocksCleaner.deleteBlock(b, ulids.get(0));
    assertEquals(java.util.List.of(), bucket.list(ulids.get(0), true));
  }
}
