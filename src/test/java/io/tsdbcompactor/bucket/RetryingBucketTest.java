package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.FaultInjectingBucket.Op;
import io.tsdbcompactor.labels.Labels;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetryingBucketTest {
  final MemoryBucket mem = new MemoryBucket();
  final FaultInjectingBucket faulty = new FaultInjectingBucket(mem);
  final List<Duration> sleeps = new ArrayList<>();
  final RetryingBucket bucket = new RetryingBucket(faulty,
      new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(1), sleeps::add));

  @Test
  void transientFailuresAreRetriedWithGrowingBackoff() throws Exception {
    mem.upload("a/meta.json", new byte[] {1, 2});
    faulty.failNext(Op.GET, 3);
    assertArrayEquals(new byte[] {1, 2}, bucket.getBytes("a/meta.json"));
    assertEquals(4, faulty.calls(Op.GET));
    assertEquals(3, sleeps.size());
    assertTrue(sleeps.get(0).toMillis() >= 50 && sleeps.get(0).toMillis() <= 100, sleeps.toString());
    assertTrue(sleeps.get(2).toMillis() >= 200 && sleeps.get(2).toMillis() <= 400, sleeps.toString());
  }

  @Test
  void givesUpAfterMaxAttempts() throws Exception {
    mem.upload("a/meta.json", new byte[] {1});
    faulty.failNext(Op.EXISTS, 10);
    assertThrows(BucketException.class, () -> bucket.exists("a/meta.json"));
    assertEquals(4, faulty.calls(Op.EXISTS));
  }

  @Test
  void permanentErrorsAndMissingObjectsAreNotRetried() throws Exception {
    faulty.retryable(false).failNext(Op.ATTRIBUTES, 1);
    assertThrows(BucketException.class, () -> bucket.attributes("x/y"));
    assertEquals(1, faulty.calls(Op.ATTRIBUTES));
    assertThrows(ObjectNotFoundException.class, () -> bucket.getBytes("x/y"));
    assertEquals(1, faulty.calls(Op.GET));
    assertTrue(sleeps.isEmpty());
  }

  @Test
  void brokenReadsResumeAtTheRightByte() throws Exception {
    byte[] data = BucketContractTest.random(50_000, 21);
    mem.upload("b/chunks/000001", data);
    faulty.breakReadsAfter(7_000, 3).shortReads(999);
    assertArrayEquals(data, bucket.getBytes("b/chunks/000001"));
    assertEquals(1, faulty.calls(Op.GET));
    assertEquals(3, faulty.calls(Op.GET_RANGE));
    // ranged reads resume inside their range
    faulty.breakReadsAfter(10, 2);
    try (InputStream in = bucket.getRange("b/chunks/000001", 100, 1000)) {
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 1100), in.readAllBytes());
    }
  }

  @Test
  void downloadOfAStreamedStoreResumesAtTheRightByte(@TempDir Path dir) throws Exception {
    byte[] data = BucketContractTest.random(50_000, 24);
    mem.upload("b/chunks/000002", data);
    faulty.breakReadsAfter(7_000, 3).shortReads(999);
    Path target = dir.resolve("000002");
    assertEquals(data.length, bucket.download("b/chunks/000002", target));
    assertArrayEquals(data, Files.readAllBytes(target));
    assertEquals(1, faulty.calls(Op.GET), "one whole read, never started over");
    assertEquals(3, faulty.calls(Op.GET_RANGE), "each break resumed with a ranged read");
  }

  @Test
  void downloadOfALocalFileSystemIsAFileCopy(@TempDir Path dir) throws Exception {
    FilesystemBucket fs = new FilesystemBucket(dir.resolve("bucket"));
    byte[] data = BucketContractTest.random(30_000, 25);
    fs.upload("tenant/b/index", data);
    Bucket local = new RetryingBucket(new PrefixedBucket(fs, "tenant"), RetryPolicies.immediate(2));
    assertTrue(local.isLocalFileSystem());
    assertFalse(bucket.isLocalFileSystem(), "a store read as streams");
    Path target = dir.resolve("index");
    assertEquals(data.length, local.download("b/index", target));
    assertArrayEquals(data, Files.readAllBytes(target));
    assertThrows(ObjectNotFoundException.class, () -> local.download("b/missing", dir.resolve("missing")));
  }

  @Test
  void slowShortReadsStillDeliverEveryByte() throws Exception {
    byte[] data = BucketContractTest.random(10_000, 23);
    mem.upload("b/slow", data);
    List<Duration> waited = new ArrayList<>();
    faulty.slowReads(Duration.ofMillis(50), waited::add).shortReads(100);
    assertArrayEquals(data, bucket.getBytes("b/slow"));
    assertTrue(waited.size() >= 100, "one wait per short read: " + waited.size());
  }

  @Test
  void readThatKeepsBreakingFails() throws Exception {
    mem.upload("b/index", BucketContractTest.random(1000, 22));
    faulty.breakReadsAfter(0, 100);
    assertThrows(BucketException.class, () -> bucket.getBytes("b/index"));
  }

  @Test
  void replayableUploadsAreRetriedStreamsAreNot() throws Exception {
    faulty.failNext(Op.UPLOAD, 2);
    bucket.upload("c/index", new byte[] {9});
    assertArrayEquals(new byte[] {9}, mem.getBytes("c/index"));
    faulty.breakUploadsAfter(1, 1);
    bucket.upload("c/meta.json", new byte[] {1, 2, 3, 4});
    assertArrayEquals(new byte[] {1, 2, 3, 4}, mem.getBytes("c/meta.json"));
    faulty.failNext(Op.UPLOAD, 1);
    assertThrows(BucketException.class, () -> bucket.upload("c/x", new ByteArrayInputStream(new byte[] {1}), 1));
  }

  @Test
  void listingIsRetried() throws Exception {
    mem.upload("d/a", new byte[] {1});
    mem.upload("d/b", new byte[] {1});
    faulty.failNext(Op.LIST, 2);
    assertEquals(2, bucket.list("d", true).size());
    assertEquals(3, faulty.calls(Op.LIST));
  }

  /**
   * A store listing in S3's order (UTF-8 bytes: U+FF01 before U+1F600, the other way round in Java's order) whose
   * listing breaks once right after the U+FF01 key: every key is handed over once. The wrapper used to skip any
   * key not past the previous one in Java's order, on every attempt, so the U+1F600 key was lost.
   */
  @Test
  void aListingInTheStoresOwnOrderIsHandedOverWholeAndResumedInThatOrder() throws Exception {
    for (String k : List.of("a/1", "\uff01/d", "\ud83d\ude00/c", "z/1")) {
      mem.upload(k, new byte[] {1});
    }
    int[] attempts = {0};
    Bucket utf8Ordered = new ForwardingBucket(mem) {
      @Override
      public void list(String prefix, boolean recursive, ListVisitor visitor) throws java.io.IOException {
        List<ListEntry> all = new ArrayList<>(mem.list(prefix, recursive));
        all.sort((x, y) -> Labels.compareStrings(x.key(), y.key()));
        int handed = 0;
        for (ListEntry e : all) {
          if (attempts[0] == 0 && handed == 3) {
            attempts[0]++;
            throw new BucketException("connection reset", true);
          }
          handed++;
          if (!visitor.visit(e)) {
            return;
          }
        }
        attempts[0]++;
      }

      @Override
      public java.util.Comparator<String> keyOrder() {
        return Labels::compareStrings;
      }
    };
    RetryingBucket retrying = new RetryingBucket(utf8Ordered,
        new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(1), sleeps::add));
    List<String> listed = new ArrayList<>();
    for (ListEntry e : retrying.list("", true)) {
      listed.add(e.key());
    }
    assertEquals(List.of("a/1", "z/1", "\uff01/d", "\ud83d\ude00/c"), listed);
    assertEquals(2, attempts[0], "broken once, then resumed");
  }
}
