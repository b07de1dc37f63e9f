package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link Bucket} must do; each implementation runs it through a subclass. */
abstract class BucketContractTest {
  protected Bucket bucket;

  /** A fresh, empty bucket. */
  protected abstract Bucket newBucket() throws Exception;

  @BeforeEach
  void open() throws Exception {
    bucket = newBucket();
  }

  @AfterEach
  void closeBucket() throws Exception {
    bucket.close();
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static List<String> keys(List<ListEntry> entries) {
    List<String> out = new ArrayList<>();
    entries.forEach(e -> out.add(e.key()));
    return out;
  }

  @Test
  void uploadGetAttributesDelete() throws Exception {
    byte[] data = random(1000, 1);
    bucket.upload("01ABC/chunks/000001", data);
    assertArrayEquals(data, bucket.getBytes("01ABC/chunks/000001"));
    assertTrue(bucket.exists("01ABC/chunks/000001"));
    assertFalse(bucket.exists("01ABC/chunks/000002"));
    ObjectAttributes a = bucket.attributes("01ABC/chunks/000001");
    assertEquals(1000, a.size());
    assertTrue(a.lastModified() != null);
    bucket.delete("01ABC/chunks/000001");
    assertFalse(bucket.exists("01ABC/chunks/000001"));
    bucket.delete("01ABC/chunks/000001"); // deleting a missing object is fine
    assertEquals(List.of(), bucket.list("", true));
  }

  @Test
  void uploadFromFileAndDownloadToFile() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("bucket-files");
    try {
      byte[] data = random(70_000, 9);
      java.nio.file.Path local = dir.resolve("index");
      java.nio.file.Files.write(local, data);
      bucket.upload("01F/index", local);
      // The object is a copy: changing the local file afterwards leaves it alone.
      java.nio.file.Files.write(local, new byte[] {1, 2, 3});
      assertArrayEquals(data, bucket.getBytes("01F/index"));

      java.nio.file.Path target = dir.resolve("downloaded");
      java.nio.file.Files.write(target, new byte[] {9});
      assertEquals(data.length, bucket.download("01F/index", target));
      assertArrayEquals(data, java.nio.file.Files.readAllBytes(target));
      assertThrows(ObjectNotFoundException.class, () -> bucket.download("01F/nope", dir.resolve("x")));
    } finally {
      try (var s = java.nio.file.Files.walk(dir)) {
        for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
          java.nio.file.Files.delete(p);
        }
      }
    }
  }

  /**
   * A file written while it goes up: the object is the whole file, and appears only once it is whole; a file thrown
   * away leaves no object. (Whether parts went up before the end is each store's own test.)
   */
  /** That an upload of a file while it is written has made no object at {@code key} (yet, or at all). */
  protected void assertNoObject(String key, String message) throws Exception {
    assertFalse(bucket.exists(key), message);
  }

  @Test
  void aFileStillBeingWrittenIsStoredOnceWholeAndNotAtAllIfThrownAway() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("bucket-growing");
    byte[] data = random(700_000, 12);
    for (boolean thrownAway : new boolean[] {false, true}) {
      String key = "01G/chunks/00000" + (thrownAway ? 2 : 1);
      java.nio.file.Path temp = dir.resolve(thrownAway + ".tmp");
      java.nio.file.Path whole = dir.resolve(thrownAway + "-whole");
      java.nio.file.Files.write(temp, java.util.Arrays.copyOf(data, 300_000));
      try (GrowingFile file = new GrowingFile(whole, java.nio.channels.FileChannel.open(temp))) {
        file.grew(300_000);
        java.util.concurrent.CompletableFuture<Void> upload = java.util.concurrent.CompletableFuture.runAsync(() -> {
          try {
            bucket.uploadWhileWritten(key, file);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        assertNoObject(key, "no object before the file is whole");
        if (thrownAway) {
          file.abandoned();
          java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
              () -> upload.get(60, java.util.concurrent.TimeUnit.SECONDS));
          assertTrue(e.getCause().getMessage().contains("thrown away"), e.getCause().getMessage());
          assertNoObject(key, "no object for a file thrown away");
        } else {
          java.nio.file.Files.write(temp, java.util.Arrays.copyOfRange(data, 300_000, data.length),
              java.nio.file.StandardOpenOption.APPEND);
          file.grew(600_000);
          java.nio.file.Files.move(temp, whole); // as a finished output is moved into place
          file.whole(data.length);
          upload.get(60, java.util.concurrent.TimeUnit.SECONDS);
          assertArrayEquals(data, bucket.getBytes(key));
        }
      }
    }
    try (var s = java.nio.file.Files.walk(dir)) {
      for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
        java.nio.file.Files.delete(p);
      }
    }
  }

  @Test
  void missingObjectIsObjectNotFound() {
    assertThrows(ObjectNotFoundException.class, () -> bucket.getBytes("nope/meta.json"));
    assertThrows(ObjectNotFoundException.class, () -> bucket.attributes("nope/meta.json"));
    assertThrows(ObjectNotFoundException.class, () -> bucket.getRange("nope/meta.json", 1, 2).close());
  }

  @Test
  void overwriteReplacesWholeObject() throws Exception {
    bucket.upload("a/b", random(500, 2));
    byte[] second = random(10, 3);
    bucket.upload("a/b", second);
    assertArrayEquals(second, bucket.getBytes("a/b"));
  }

  @Test
  void rangedReads() throws Exception {
    byte[] data = random(4096, 4);
    bucket.upload("x/index", data);
    try (InputStream in = bucket.getRange("x/index", 1, 3)) {
      assertArrayEquals(new byte[] {data[1], data[2], data[3]}, in.readAllBytes());
    }
    try (InputStream in = bucket.getRange("x/index", 4000, -1)) {
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 4000, 4096), in.readAllBytes());
    }
    try (InputStream in = bucket.getRange("x/index", 4090, 100)) {
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 4090, 4096), in.readAllBytes());
    }
    try (InputStream in = bucket.getRange("x/index", 0, 0)) {
      assertEquals(0, in.readAllBytes().length);
    }
  }

  @Test
  void listingNonRecursiveShowsDirectoriesOnce() throws Exception {
    bucket.upload("B/meta.json", new byte[] {1});
    bucket.upload("B/chunks/000001", new byte[] {2});
    bucket.upload("B/chunks/000002", new byte[] {3});
    bucket.upload("A/index", new byte[] {4});
    bucket.upload("top", new byte[] {5});
    assertEquals(List.of("A/", "B/", "top"), keys(bucket.list("", false)));
    assertEquals(List.of("B/chunks/", "B/meta.json"), keys(bucket.list("B", false)));
    assertEquals(List.of("B/chunks/", "B/meta.json"), keys(bucket.list("B/", false)));
    assertEquals(List.of("B/chunks/000001", "B/chunks/000002", "B/meta.json"), keys(bucket.list("B/", true)));
    assertEquals(List.of("A/index", "B/chunks/000001", "B/chunks/000002", "B/meta.json", "top"),
        keys(bucket.list("", true)));
    List<ListEntry> rec = bucket.list("B", true);
    assertEquals(1, rec.get(0).size());
    assertTrue(rec.get(0).lastModified() != null);
    assertEquals(List.of(), bucket.list("C", true));
    // early stop
    List<String> seen = new ArrayList<>();
    bucket.list("", true, e -> {
      seen.add(e.key());
      return seen.size() < 2;
    });
    assertEquals(2, seen.size());
  }

  @Test
  void streamingUploadOfUnknownLength() throws Exception {
    byte[] data = random(70_000, 5);
    bucket.upload("s/unknown", new ByteArrayInputStream(data), -1);
    assertArrayEquals(data, bucket.getBytes("s/unknown"));
  }

  @Test
  void shortStreamIsRejectedAndLeavesNothing() throws Exception {
    byte[] data = random(100, 6);
    assertThrows(java.io.IOException.class, () -> bucket.upload("s/short", new ByteArrayInputStream(data), 200));
    assertFalse(bucket.exists("s/short"));
  }
}
