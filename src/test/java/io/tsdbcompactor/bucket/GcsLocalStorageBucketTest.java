package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The bucket contract for {@link GcsBucket} over Google's in-process fake of the storage service
 * ({@code google-cloud-nio}'s LocalStorageHelper): our code and the client library's request building, without
 * HTTP. The same suite runs against fake-gcs-server over HTTP in {@link FakeGcsServerBucketTest} where Docker
 * exists.
 */
class GcsLocalStorageBucketTest extends BucketContractTest {
  static final AtomicInteger BUCKETS = new AtomicInteger();

  static GcsConfig config(String bucket) {
    GcsConfig c = new GcsConfig();
    c.bucket = bucket;
    return c;
  }

  private CountingGcsStorage store;

  @Override
  protected Bucket newBucket() throws IOException {
    store = new CountingGcsStorage(); // a fresh, empty store each time
    GcsBucket b = new GcsBucket(config("contract-" + BUCKETS.incrementAndGet()), store.storage());
    b.chunkSize = 256 * 1024; // the contract's 70 KB objects stay single requests; see the resumable test
    return b;
  }

  /**
   * The fake keeps the chunks a resumable upload has flushed as the object's content before the upload is finalized;
   * GCS creates the object only then. So here: no upload to {@code key} was finalized.
   */
  @Override
  protected void assertNoObject(String key, String message) throws Exception {
    if (store == null) { // a subclass's bucket over a real server
      super.assertNoObject(key, message);
      return;
    }
    assertTrue(!store.finalized(key), message + ": an upload was finalized");
  }

  private GcsBucket gcs() {
    return (GcsBucket) bucket;
  }

  @Test
  void resumableUploadOfSeveralChunksReadsBackIdentical() throws Exception {
    byte[] data = random(3 * 256 * 1024 + 123, 11);
    bucket.upload("01MP/chunks/000001", new ByteArrayInputStream(data), data.length);
    assertArrayEquals(data, bucket.getBytes("01MP/chunks/000001"));
    bucket.upload("01MP/chunks/000002", new ByteArrayInputStream(data), -1);
    assertArrayEquals(data, bucket.getBytes("01MP/chunks/000002"));
    assertEquals(data.length, bucket.attributes("01MP/chunks/000002").size());
    try (var in = bucket.getRange("01MP/chunks/000002", 300_000, 5000)) {
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 300_000, 305_000), in.readAllBytes());
    }
  }

  @Test
  void aStreamShorterThanItsDeclaredChunksFailsAndFinalizesNothing() throws Exception {
    byte[] data = random(3 * 256 * 1024 + 123, 12);
    byte[] delivered = java.util.Arrays.copyOf(data, 2 * 256 * 1024 + 77);
    BucketException e = org.junit.jupiter.api.Assertions.assertThrows(BucketException.class,
        () -> bucket.upload("01MP/chunks/000003", new ByteArrayInputStream(delivered), data.length));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("01MP/chunks/000003")
        && e.getMessage().contains("stream ended after " + delivered.length + " of " + data.length), e.getMessage());
    org.junit.jupiter.api.Assertions.assertTrue(noPartialObject("01MP/chunks/000003", data));
  }

  /** Whether an object of this key is absent or at least not a partial copy of {@code data}. */
  protected boolean noPartialObject(String key, byte[] data) throws IOException {
    // Google's fake registers an object's metadata when a resumable upload starts (real GCS does not), so only
    // its content tells here; FakeGcsServerBucketTest checks absence over HTTP.
    return !bucket.exists(key) || bucket.getBytes(key).length == 0;
  }

  @Test
  void failedResumableUploadLeavesNoObject() throws Exception {
    byte[] data = random(3 * 256 * 1024, 12);
    FaultInjectingBucket faulty = new FaultInjectingBucket(bucket).breakUploadsAfter(600 * 1024, 1);
    assertThrows(IOException.class, () -> faulty.upload("01MP/index", new ByteArrayInputStream(data), data.length));
    assertTrue(noPartialObject("01MP/index", data));
    assertThrows(IOException.class, () -> bucket.upload("01MP/short", new ByteArrayInputStream(data), data.length + 10));
    assertTrue(noPartialObject("01MP/short", data));
  }

  /** Listing page size for {@link #listingStaysSortedAcrossPages}: Google's fake does not page correctly. */
  protected int smallListPage() {
    return 1000;
  }

  @Test
  void listingStaysSortedAcrossPages() throws Exception {
    for (int i = 0; i < 30; i++) {
      bucket.upload(String.format("p/%03d", i), new byte[] {(byte) i});
      if (i % 5 == 0) {
        bucket.upload(String.format("p/%03d-dir/x", i), new byte[] {1});
      }
    }
    gcs().listPageSize = smallListPage();
    List<ListEntry> top = bucket.list("p", false);
    assertEquals(36, top.size(), top.toString());
    for (int i = 1; i < top.size(); i++) {
      assertTrue(top.get(i - 1).key().compareTo(top.get(i).key()) < 0, "sorted and unique: " + top);
    }
    assertEquals(6, top.stream().filter(ListEntry::isDirectory).count());
    assertEquals(36, bucket.list("p", true).size());
  }

  @Test
  void retryingWrapperResumesBrokenDownload() throws Exception {
    byte[] data = random(300_000, 13);
    bucket.upload("r/chunks/000001", data);
    FaultInjectingBucket faulty = new FaultInjectingBucket(bucket).breakReadsAfter(100_000, 2).shortReads(777);
    Bucket retrying = new RetryingBucket(faulty, RetryPolicies.immediate(5));
    assertArrayEquals(data, retrying.getBytes("r/chunks/000001"));
    assertEquals(2, faulty.calls(FaultInjectingBucket.Op.GET_RANGE));
  }

  /**
   * A file still being written goes to the resumable upload a chunk at a time as the writer gets past each: two
   * chunks written reach the client's channel before the file is whole, and nothing past them; the object is the
   * whole file once the file is whole. (The client sends a chunk once its channel holds one.)
   */
  @Test
  void aGrowingFileIsHandedToTheResumableUploadChunkByChunkWhileWritten() throws Exception {
    int chunk = 256 * 1024;
    CountingGcsStorage counted = new CountingGcsStorage();
    GcsBucket b = new GcsBucket(config("growing"), counted.storage());
    b.chunkSize = chunk;
    assertTrue(b.uploadsWhileWritten());
    String key = "01GROW/chunks/000001";
    byte[] data = random(3 * chunk + 1000, 13);
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("gcs-growing");
    java.nio.file.Path temp = dir.resolve("000001.tmp");
    java.nio.file.Files.write(temp, java.util.Arrays.copyOf(data, 2 * chunk + 10));
    try (GrowingFile file = new GrowingFile(dir.resolve("000001"), java.nio.channels.FileChannel.open(temp))) {
      file.grew(2 * chunk + 10);
      java.util.concurrent.CompletableFuture<Void> upload = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          b.uploadWhileWritten(key, file);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (counted.handed() < 2L * chunk && System.nanoTime() < deadline && !upload.isDone()) {
        Thread.onSpinWait();
      }
      assertEquals(2L * chunk, counted.handed(), "the two chunks written, and nothing past them, handed over");
      // Not checked here: that no object shows before the upload is finalized. The fake stores each chunk the client
      // flushes as the object's content; GCS creates the object only when the upload is finalized.

      java.nio.file.Files.write(temp, java.util.Arrays.copyOfRange(data, 2 * chunk + 10, data.length),
          java.nio.file.StandardOpenOption.APPEND);
      java.nio.file.Files.move(temp, dir.resolve("000001"));
      file.whole(data.length);
      upload.get(60, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertArrayEquals(data, b.getBytes(key));
    assertEquals(data.length, counted.handed());
  }
}
