package io.tsdbcompactor.compact;

import static io.tsdbcompactor.compact.GroupCompactorTest.importBlocks;
import static io.tsdbcompactor.compact.GroupCompactorTest.openMetrics;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.ForwardingBucket;
import io.tsdbcompactor.store.ForwardingDirectory;
import io.tsdbcompactor.store.ForwardingIndexOutput;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.IndexOutput;
import io.tsdbcompactor.sync.BlockGoneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group compaction when the world changes under it: a planned block another run deletes, a data directory too
 * small for the next compaction, a disk that fills up while the new block is written. None of them marks or
 * uploads anything it should not, and the work directory is left empty.
 */
class GroupCompactorFaultTest {
  @TempDir Path tmp;
  Path bucketRoot;
  DirCompactionBucket bucket;
  List<BlockMeta> metas;

  @BeforeEach
  void tenTwoHourBlocks() throws Exception {
    bucketRoot = tmp.resolve("bucket");
    openMetrics(tmp.resolve("e.om"), 4, 0, 20, 0);
    importBlocks(tmp.resolve("e.om"), bucketRoot, Map.of("cluster", "e"));
    bucket = new DirCompactionBucket(bucketRoot);
    metas = bucket.liveMetas();
    metas.sort(Group.BY_MIN_TIME);
    assertEquals(10, metas.size());
  }

  private void assertNothingMarkedOrUploaded() throws IOException {
    for (BlockMeta m : metas) {
      assertFalse(Files.exists(bucketRoot.resolve(m.ulid).resolve("deletion-mark.json")), m.ulid);
      assertFalse(Files.exists(bucketRoot.resolve(m.ulid).resolve("no-compact-mark.json")), m.ulid);
    }
    assertEquals(List.of(), bucket.uploads);
  }

  private void assertWorkDirEmpty() throws IOException {
    assertWorkDirEmpty(tmp.resolve("data"));
  }

  /** No file is left under the compactions' work directory in {@code dataDir}. */
  static void assertWorkDirEmpty(Path dataDir) throws IOException {
    Path work = dataDir.resolve("compact");
    if (Files.exists(work)) {
      try (Stream<Path> s = Files.walk(work)) {
        assertEquals(List.of(), s.filter(Files::isRegularFile).toList(), "left in the work directory");
      }
    }
  }

  @Test
  void aBlockDeletedAfterPlanningDropsOutOfThePlan() throws Exception {
    String gone = metas.get(1).ulid;
    DirCompactionBucket deleting = new DirCompactionBucket(bucketRoot) {
      @Override
      public void download(String ulid, Path dir) throws IOException {
        if (ulid.equals(gone)) {
          throw new BlockGoneException(ulid, "block " + ulid + " has no meta.json (being deleted)", null);
        }
        super.download(ulid, dir);
      }
    };
    GroupCompactorTest.CountingMetrics metrics = new GroupCompactorTest.CountingMetrics();
    List<GroupCompactor.Result> results = GroupCompactorTest.compactEach(new GroupCompactor(deleting, tmp.resolve("data"), CompactorOptions.defaults(),
        metrics), new Grouper(List.of()).group(metas), new HashSet<>());
    GroupCompactor.Result r = results.get(0);
    assertFalse(r.created().isEmpty(), "the rest of the group was compacted");
    assertFalse(r.markedForDeletion().contains(gone));
    assertEquals(List.of(), r.markedNoCompact(), "a vanished block is no bad block");
    assertFalse(Files.exists(bucketRoot.resolve(gone).resolve("no-compact-mark.json")));
    for (String u : deleting.uploads) {
      BlockMeta m = BlockMeta.parse("meta.json", Files.readAllBytes(bucketRoot.resolve(u).resolve("meta.json")));
      assertFalse(m.compaction.sources.contains(gone), "no new block holds the vanished one");
    }
    assertEquals(0, metrics.failures);
    assertWorkDirEmpty();
  }

  @Test
  void aGroupThatCannotFitIsSkippedWithTheDirectoryAndTheBytes() throws Exception {
    long[] asked = {0};
    int[] skipped = {0};
    GroupCompactorTest.CountingMetrics metrics = new GroupCompactorTest.CountingMetrics() {
      @Override
      public void groupSkippedForDiskSpace(long resolution) {
        skipped[0]++;
      }
    };
    Path data = tmp.resolve("data");
    GroupCompactor.InsufficientSpaceException e = assertThrows(GroupCompactor.InsufficientSpaceException.class,
        () -> GroupCompactorTest.compactEach(new GroupCompactor(bucket, data, CompactorOptions.defaults(), metrics).withUsableSpace(dir -> {
          asked[0]++;
          assertEquals(data, dir);
          return 1_000_000;
        }), new Grouper(List.of()).group(metas), new HashSet<>()));
    assertTrue(e.getMessage().contains(data.toAbsolutePath().toString()) && e.getMessage().contains("1000000 bytes free")
        && e.getMessage().contains("bytes needed"), e.getMessage());
    assertEquals(1, skipped[0]);
    assertEquals(1, asked[0]);
    assertEquals(1, metrics.failures);
    assertNothingMarkedOrUploaded();
    assertWorkDirEmpty();
  }

  @Test
  void aNewBlockThatFailsVerificationIsTakenBackFromTheBucket() throws Exception {
    // The real bucket and port: chunk segments and the index go up while the block is merged and verified.
    BucketPort port = new BucketPort(new FilesystemBucket(bucketRoot));
    GroupCompactorTest.CountingMetrics metrics = new GroupCompactorTest.CountingMetrics();
    IOException e = assertThrows(IOException.class, () -> GroupCompactorTest.compactEach(new GroupCompactor(port,
        tmp.resolve("data"), CompactorOptions.defaults(), metrics)
        .withOutputDirectory(dir -> new BitFlippingDirectory(FsDirectory.scratch(dir), "chunks/000001", 100)),
        new Grouper(List.of()).group(metas), new HashSet<>()));
    assertTrue(e.getMessage().contains("failed verification, not uploaded"), e.getMessage());
    assertEquals(1, metrics.failures);
    for (BlockMeta m : metas) {
      assertFalse(Files.exists(bucketRoot.resolve(m.ulid).resolve("deletion-mark.json")), m.ulid);
    }
    Set<String> sources = metas.stream().map(m -> m.ulid).collect(Collectors.toSet());
    try (Stream<Path> s = Files.walk(bucketRoot)) {
      assertEquals(List.of(), s.filter(Files::isRegularFile)
          .filter(f -> !sources.contains(bucketRoot.relativize(f).getName(0).toString())).toList(),
          "objects of the failed block left in the bucket");
    }
    assertWorkDirEmpty();
  }

  @Test
  void aPartitionThatFailsVerificationTakesBackThePartitionsWrittenBeforeIt() throws Exception {
    Path root = tmp.resolve("partitioned");
    openMetrics(tmp.resolve("p.om"), 100, 0, 20, 0);
    importBlocks(tmp.resolve("p.om"), root, Map.of("cluster", "p"));
    Set<String> sources;
    try (Stream<Path> s = Files.list(root)) {
      sources = s.map(d -> d.getFileName().toString()).collect(Collectors.toSet());
    }
    List<String> uploaded = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    CountDownLatch indexUp = new CountDownLatch(1);
    Bucket watched = new ForwardingBucket(new FilesystemBucket(root)) {
      @Override
      public void upload(String key, java.io.InputStream in, long length) throws IOException {
        super.upload(key, in, length);
        uploaded.add(key);
        if (key.endsWith("/index")) {
          indexUp.countDown();
        }
      }
    };
    AtomicInteger outputs = new AtomicInteger();
    GroupCompactor compactor = new GroupCompactor(new BucketPort(watched), tmp.resolve("data"),
        CompactorOptions.defaults().withMaxBlockSeries(40), new GroupCompactorTest.CountingMetrics())
        .withOutputDirectory(dir -> {
          if (outputs.incrementAndGet() == 1) {
            return FsDirectory.scratch(dir);
          }
          // The second partition is merged once the first one's index is in the bucket, and comes out corrupt.
          try {
            assertTrue(indexUp.await(60, TimeUnit.SECONDS), "the first partition's index never went up");
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
          return new BitFlippingDirectory(FsDirectory.scratch(dir), "chunks/000001", 100);
        });
    List<BlockMeta> live = new DirCompactionBucket(root).liveMetas();
    IOException e = assertThrows(IOException.class,
        () -> GroupCompactorTest.compactEach(compactor, new Grouper(List.of()).group(live), new HashSet<>()));
    assertTrue(e.getMessage().contains("failed verification, not uploaded"), e.getMessage());
    assertTrue(outputs.get() >= 2, "partitions written: " + outputs.get());
    assertTrue(uploaded.stream().anyMatch(k -> !sources.contains(k.split("/")[0]) && k.endsWith("/index")),
        "uploaded: " + uploaded);
    try (Stream<Path> s = Files.walk(root)) {
      assertEquals(List.of(), s.filter(Files::isRegularFile)
          .filter(f -> !sources.contains(root.relativize(f).getName(0).toString())
              || f.getFileName().toString().equals("deletion-mark.json")).toList(),
          "objects of the unfinished set, or marks, left in the bucket");
    }
  }

  @Test
  void aRemoteBucketsBlocksAreMergedWhileTheyComeDownIntoTheSameBytes() throws Exception {
    Path copy = tmp.resolve("bucket-copy");
    Promtool.copyTree(bucketRoot, copy);
    List<GroupCompactor.Result> local = GroupCompactorTest.compactEach(new GroupCompactor(new BucketPort(
        new FilesystemBucket(bucketRoot)), tmp.resolve("data"), CompactorOptions.defaults(),
        new GroupCompactorTest.CountingMetrics()), new Grouper(List.of()).group(metas), new HashSet<>());
    List<GroupCompactor.Result> streamed = GroupCompactorTest.compactEach(new GroupCompactor(new BucketPort(
        new FaultInjectingBucket(new FilesystemBucket(copy))), tmp.resolve("data2"), CompactorOptions.defaults(),
        new GroupCompactorTest.CountingMetrics()), new Grouper(List.of()).group(metas), new HashSet<>());
    List<BlockMeta> a = local.get(0).created();
    List<BlockMeta> b = streamed.get(0).created();
    assertEquals(a.size(), b.size());
    assertFalse(a.isEmpty());
    for (int i = 0; i < a.size(); i++) {
      for (String f : List.of("index", "chunks/000001")) {
        assertArrayEquals(Files.readAllBytes(bucketRoot.resolve(a.get(i).ulid).resolve(f)),
            Files.readAllBytes(copy.resolve(b.get(i).ulid).resolve(f)), f + " of compaction " + i);
      }
    }
    assertEquals(local.get(0).markedForDeletion(), streamed.get(0).markedForDeletion());
  }

  @Test
  void aDownloadThatBreaksWhileTheMergeReadsFailsTheGroupAndMarksNothing() throws Exception {
    String broken = metas.get(2).ulid;
    // Seen as a remote store (the fault injector is no local file system), its reads of one segment breaking.
    BucketPort port = new BucketPort(new FaultInjectingBucket(new FilesystemBucket(bucketRoot)).retryable(false)
        .breakReadsOf(broken + "/chunks/000001", 100));
    GroupCompactorTest.CountingMetrics metrics = new GroupCompactorTest.CountingMetrics();
    IOException e = assertThrows(IOException.class, () -> GroupCompactorTest.compactEach(new GroupCompactor(port,
        tmp.resolve("data"), CompactorOptions.defaults(), metrics), new Grouper(List.of()).group(metas),
        new HashSet<>()));
    assertTrue(e.getMessage().contains(broken + "/chunks/000001") && e.getMessage().contains("connection reset"),
        e.getMessage());
    assertFalse(e instanceof BadBlockException, "a broken connection is no fault of the block");
    assertEquals(1, metrics.failures);
    for (BlockMeta m : metas) {
      assertFalse(Files.exists(bucketRoot.resolve(m.ulid).resolve("deletion-mark.json")), m.ulid);
      assertFalse(Files.exists(bucketRoot.resolve(m.ulid).resolve("no-compact-mark.json")), m.ulid);
    }
    Set<String> sources = metas.stream().map(m -> m.ulid).collect(Collectors.toSet());
    try (Stream<Path> s = Files.walk(bucketRoot)) {
      assertEquals(List.of(), s.filter(Files::isRegularFile)
          .filter(f -> !sources.contains(bucketRoot.relativize(f).getName(0).toString())).toList(),
          "objects of the unfinished block left in the bucket");
    }
    assertWorkDirEmpty();
  }

  /** A directory that flips the low bit of one byte of one file as it is written. */
  static final class BitFlippingDirectory extends ForwardingDirectory {
    private final String file;
    private final long at;

    BitFlippingDirectory(FsDirectory delegate, String file, long at) {
      super(delegate);
      this.file = file;
      this.at = at;
    }

    @Override
    public IndexOutput createOutput(String name) throws IOException {
      IndexOutput out = delegate.createOutput(name);
      if (!name.equals(file)) {
        return out;
      }
      return new ForwardingIndexOutput(out) {
        @Override
        public void writeByte(int b) throws IOException {
          super.writeByte(position() == at ? b ^ 1 : b);
        }

        @Override
        public void writeBytes(byte[] b, int off, int len) throws IOException {
          for (int i = 0; i < len; i++) {
            writeByte(b[off + i]);
          }
        }
      };
    }
  }

  /** A directory whose files fail with the JDK's own ENOSPC message once this many bytes were written. */
  static final class FillingDirectory extends ForwardingDirectory {
    private long room;

    FillingDirectory(FsDirectory delegate, long room) {
      super(delegate);
      this.room = room;
    }

    @Override
    public IndexOutput createOutput(String name) throws IOException {
      IndexOutput out = delegate.createOutput(name);
      return new ForwardingIndexOutput(out) {
        private void use(long n) throws IOException {
          room -= n;
          if (room < 0) {
            throw new IOException("No space left on device");
          }
        }

        @Override
        public void writeByte(int b) throws IOException {
          use(1);
          super.writeByte(b);
        }

        @Override
        public void writeBytes(byte[] b, int off, int len) throws IOException {
          use(len);
          super.writeBytes(b, off, len);
        }
      };
    }
  }

  @Test
  void aDiskThatFillsUpDuringTheMergeFailsTheGroupCleanly() throws Exception {
    GroupCompactorTest.CountingMetrics metrics = new GroupCompactorTest.CountingMetrics();
    IOException e = assertThrows(IOException.class, () -> GroupCompactorTest.compactEach(new GroupCompactor(bucket, tmp.resolve("data"),
        CompactorOptions.defaults(), metrics)
        .withOutputDirectory(dir -> new FillingDirectory(FsDirectory.scratch(dir), 2000)), new Grouper(List.of()).group(metas), new HashSet<>()));
    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
    assertEquals(1, metrics.failures);
    assertNothingMarkedOrUploaded();
    assertWorkDirEmpty();
  }

  @Test
  void aDiskThatFillsUpDuringTheDownloadFailsTheGroupCleanly() throws Exception {
    DirCompactionBucket full = new DirCompactionBucket(bucketRoot) {
      @Override
      public void download(String ulid, Path dir) throws IOException {
        super.download(ulid, dir);
        if (ulid.equals(metas.get(2).ulid)) {
          throw new IOException("No space left on device");
        }
      }
    };
    bucket = full;
    GroupCompactorTest.CountingMetrics metrics = new GroupCompactorTest.CountingMetrics();
    IOException e = assertThrows(IOException.class, () -> GroupCompactorTest.compactEach(new GroupCompactor(full, tmp.resolve("data"),
        CompactorOptions.defaults(), metrics), new Grouper(List.of()).group(metas), new HashSet<>()));
    assertEquals("No space left on device", e.getMessage());
    assertNothingMarkedOrUploaded();
    assertWorkDirEmpty();
  }
}
