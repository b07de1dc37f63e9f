package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemBucketTest extends BucketContractTest {
  /** The bucket's clock: it dates objects and judges temporary files' age by it. */
  static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

  @TempDir
  Path dir;

  @Override
  protected Bucket newBucket() throws IOException {
    return new FilesystemBucket(dir.resolve("bkt"), Clock.fixed(NOW, ZoneOffset.UTC));
  }

  /** Objects carry the bucket clock's time, as an S3 server dates objects by its own. */
  @Test
  void objectsAreDatedByTheBucketsClock() throws Exception {
    bucket.upload("01X/index", random(10, 1));
    bucket.upload("01X/meta.json", new ByteArrayInputStream(random(10, 2)), 10);
    assertEquals(NOW, bucket.attributes("01X/index").lastModified());
    assertEquals(List.of(NOW, NOW), bucket.list("01X/", true).stream().map(ListEntry::lastModified).toList());
  }

  /**
   * A file the caller is done with is linked into the bucket on its file system, not copied: the same file,
   * dated by the bucket's clock, and the object keeps its bytes when the caller deletes the file.
   */
  @Test
  void aDisposableFileOnTheBucketsFileSystemIsLinkedAndOutlivesTheFile() throws Exception {
    bucket.upload("01X/index", random(10, 1));
    Path local = Files.write(dir.resolve("work-index"), random(5000, 3));
    bucket.uploadDisposable("01X/index", local);
    Path object = dir.resolve("bkt/01X/index");
    assertTrue(Files.isSameFile(local, object), "linked, not copied");
    assertEquals(NOW, bucket.attributes("01X/index").lastModified());
    Files.delete(local);
    assertArrayEquals(random(5000, 3), bucket.getBytes("01X/index"));
    assertEquals(1, Files.getAttribute(object, "unix:nlink"));
    try (Stream<Path> files = Files.walk(dir)) {
      assertEquals(List.of(object), files.filter(Files::isRegularFile).toList(), "no temporary file left");
    }
  }

  /** A plain upload of a file copies it: the caller may go on changing its file. */
  @Test
  void aFileUploadedPlainlyIsCopied() throws Exception {
    Path local = Files.write(dir.resolve("mine"), random(300, 4));
    bucket.upload("01X/index", local);
    assertFalse(Files.isSameFile(local, dir.resolve("bkt/01X/index")));
    Files.write(local, random(300, 5));
    assertArrayEquals(random(300, 4), bucket.getBytes("01X/index"));
  }

  /** On another file system (here the tmpfs at /dev/shm, where there is one) a disposable file is copied. */
  @Test
  void aDisposableFileOnAnotherFileSystemIsCopied() throws Exception {
    Path shm = Path.of("/dev/shm");
    assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
        && !Files.getFileStore(shm).equals(Files.getFileStore(dir)), "no second file system at /dev/shm");
    Path local = Files.createTempFile(shm, "tsdbc-test-", "");
    try {
      Files.write(local, random(3000, 6));
      bucket.uploadDisposable("01X/chunks/000001", local);
      assertFalse(Files.isSameFile(local, dir.resolve("bkt/01X/chunks/000001")));
      assertArrayEquals(random(3000, 6), bucket.getBytes("01X/chunks/000001"));
    } finally {
      Files.deleteIfExists(local);
    }
  }

  @Test
  void interruptedUploadLeavesOldObjectAndNoTemporaryFile() throws Exception {
    byte[] old = random(300, 7);
    bucket.upload("01X/index", old);
    FaultInjectingBucket faulty = new FaultInjectingBucket(bucket).breakUploadsAfter(100, 1);
    assertThrows(IOException.class, () -> faulty.upload("01X/index", new ByteArrayInputStream(random(5000, 8)), 5000));
    assertArrayEquals(old, bucket.getBytes("01X/index"));
    try (Stream<Path> files = Files.walk(dir)) {
      assertEquals(List.of(dir.resolve("bkt/01X/index")), files.filter(Files::isRegularFile).toList());
    }
    // a new object that fails half way does not appear at all
    FaultInjectingBucket faulty2 = new FaultInjectingBucket(bucket).breakUploadsAfter(10, 1);
    assertThrows(IOException.class, () -> faulty2.upload("01X/chunks/000001", random(5000, 9)));
    assertFalse(bucket.exists("01X/chunks/000001"));
    assertEquals(List.of("01X/index"), bucket.list("", true).stream().map(ListEntry::key).toList());
  }

  /**
   * A symbolic link is listed as what a read of its key sees: a link to a file as that file (its size), a link to
   * a folder not as an object (the walk does not follow it), a link to nothing not at all.
   */
  @Test
  void recursiveListingSeesSymbolicLinksAsTheirTargets() throws Exception {
    bucket.upload("01X/index", random(10, 1));
    Path root = dir.resolve("bkt");
    Path outside = Files.write(dir.resolve("outside-meta.json"), random(33, 2));
    Files.createDirectories(dir.resolve("outside-folder"));
    Files.write(dir.resolve("outside-folder/x"), random(5, 3));
    Files.createSymbolicLink(root.resolve("01X/meta.json"), outside);
    Files.createSymbolicLink(root.resolve("01X/chunks"), dir.resolve("outside-folder"));
    Files.createSymbolicLink(root.resolve("01X/gone"), dir.resolve("no-such-file"));
    List<ListEntry> listed = bucket.list("", true);
    assertEquals(List.of("01X/index", "01X/meta.json"), listed.stream().map(ListEntry::key).toList());
    assertEquals(33, listed.get(1).size());
    assertArrayEquals(random(33, 2), bucket.getBytes("01X/meta.json"));
  }

  @Test
  void deletingLastObjectRemovesEmptyFolders() throws Exception {
    bucket.upload("01Y/chunks/000001", new byte[] {1});
    bucket.delete("01Y/chunks/000001");
    assertEquals(List.of(), bucket.list("", false));
    assertFalse(Files.exists(dir.resolve("bkt/01Y")));
  }

  @Test
  void keysCannotEscapeTheDirectory() {
    assertThrows(IllegalArgumentException.class, () -> bucket.upload("../evil", new byte[] {1}));
    assertThrows(IllegalArgumentException.class, () -> bucket.upload("/abs", new byte[] {1}));
  }

  /** Uploads killed with the process leave hidden temporary files; deleting the block's folder removes them. */
  @Test
  void deletingAFolderRemovesTemporaryFilesOfDeadUploads() throws Exception {
    bucket.upload("01X/index", random(10, 1));
    bucket.upload("01Y/index", random(10, 2));
    Path block = dir.resolve("bkt/01X");
    Files.createDirectories(block.resolve("chunks"));
    Files.write(block.resolve("chunks/" + FilesystemBucket.TEMP_PREFIX + "000001-1a2b"), random(10, 3));
    Files.write(block.resolve(FilesystemBucket.TEMP_PREFIX + "meta.json-3c4d"), random(10, 4));
    bucket.delete("01X/");
    assertTrue(Files.exists(block.resolve("index")), "real objects are not touched by a folder delete");
    bucket.delete("01X/index");
    bucket.delete("01X/chunks/");
    bucket.delete("01X/");
    assertFalse(Files.exists(block), "the block's folder is gone");
    assertEquals(List.of("01Y/index"), bucket.list("", true).stream().map(ListEntry::key).toList());
  }

  /** A folder holding only the temporary file of an upload that died 48 h ago is removed by a listing. */
  @Test
  void listingRemovesTemporaryFilesOfUploadsDeadFor48Hours() throws Exception {
    bucket.upload("01Y/index", random(10, 2));
    Path dead = dir.resolve("bkt/01X/chunks/" + FilesystemBucket.TEMP_PREFIX + "000001-1a2b");
    Path young = dir.resolve("bkt/01Z/" + FilesystemBucket.TEMP_PREFIX + "index-5e6f");
    Files.createDirectories(dead.getParent());
    Files.createDirectories(young.getParent());
    Files.write(dead, random(10, 3));
    Files.write(young, random(10, 4));
    Files.setLastModifiedTime(dead, FileTime.from(NOW.minus(Duration.ofHours(49))));
    Files.setLastModifiedTime(young, FileTime.from(NOW.minus(Duration.ofHours(47))));
    assertEquals(List.of("01Y/index"), bucket.list("", true).stream().map(ListEntry::key).toList());
    assertFalse(Files.exists(dir.resolve("bkt/01X")), "the dead upload's folder is gone");
    assertTrue(Files.exists(young), "an upload that may still run is left alone");
  }
}
