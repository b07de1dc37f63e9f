package io.tsdbcompactor.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.GrowingFile;
import io.tsdbcompactor.bucket.ForwardingBucket;
import io.tsdbcompactor.bucket.MemoryBucket;
import io.tsdbcompactor.bucket.RetryPolicies;
import io.tsdbcompactor.bucket.RetryingBucket;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.store.ArrivingBytes;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.IndexOutput;
import io.tsdbcompactor.store.RandomAccessInput;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockTransferTest {
  @TempDir
  Path tmp;

  static final Clock T = Clock.fixed(Instant.parse("2026-11-25T10:11:12.123456789Z"), ZoneOffset.UTC);

  static BlockTransfer.Options opts() {
    BlockTransfer.Options o = new BlockTransfer.Options();
    o.clock = T;
    return o;
  }

  @Test
  void uploadOrderAndUploadedMeta() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp.resolve("local"), Map.of("cluster", "eu1", "replica", "a"));
    FaultInjectingBucket b = new FaultInjectingBucket(new MemoryBucket());
    BlockMeta up = new BlockTransfer(b, opts()).upload(dir);

    List<String> uploads = b.journal().stream().filter(s -> s.startsWith("UPLOAD")).toList();
    assertEquals(List.of("UPLOAD " + ulid + "/chunks/000001", "UPLOAD " + ulid + "/index", "UPLOAD " + ulid + "/meta.json"),
        uploads);
    assertFalse(b.exists(ulid + "/tombstones"));
    BlockMeta remote = BlockMeta.parse("remote", b.getBytes(ulid + "/meta.json"));
    assertEquals("2026-11-25T10:11:12.123456789Z", remote.thanos.uploadTime);
    assertEquals(3, remote.thanos.files.size());
    assertEquals("chunks/000001", remote.thanos.files.get(0).relPath);
    assertEquals(Files.size(dir.resolve("chunks/000001")), remote.thanos.files.get(0).sizeBytes);
    assertEquals("index", remote.thanos.files.get(1).relPath);
    assertEquals(Files.size(dir.resolve("index")), remote.thanos.files.get(1).sizeBytes);
    assertEquals("meta.json", remote.thanos.files.get(2).relPath);
    assertEquals(0, remote.thanos.files.get(2).sizeBytes);
    assertArrayEquals(up.toJsonBytes(), b.getBytes(ulid + "/meta.json"));
    String text = new String(b.getBytes(ulid + "/meta.json"), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(text.contains("\t\t\t{\n\t\t\t\t\"rel_path\": \"meta.json\"\n\t\t\t}"), text);
    // the local meta.json is left as it was
    assertEquals(BlockMeta.ZERO_TIME, BlockMeta.parse("local", Files.readAllBytes(dir.resolve("meta.json"))).thanos.uploadTime);
  }

  @Test
  void sha256HashesWhenAsked() throws Exception {
    String ulid = TestBlocks.basicUlids().get(1);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("a", "b"));
    BlockTransfer.Options o = opts();
    o.hashFunc = "SHA256";
    BlockMeta up = new BlockTransfer(new MemoryBucket(), o).upload(dir);
    assertEquals("SHA256", up.thanos.files.get(0).hashFunc);
    assertEquals(64, up.thanos.files.get(0).hashValue.length());
    assertEquals(null, up.thanos.files.get(2).hashFunc);
  }

  @Test
  void refusesBlocksWithoutExternalLabels() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BlockTransfer.upload(new MemoryBucket(), dir));
    assertTrue(e.getMessage().contains("empty external labels"));
  }

  @Test
  void failedUploadLeavesNoMetaJson() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("a", "b"));
    MemoryBucket mem = new MemoryBucket();
    FaultInjectingBucket faulty = new FaultInjectingBucket(mem).retryable(false);
    faulty.failNext(FaultInjectingBucket.Op.UPLOAD, 2).breakUploadsAfter(0, 0);
    // chunks upload fails, then index: the caller gives up; without meta.json the block is partial
    assertThrows(java.io.IOException.class, () -> BlockTransfer.upload(faulty, dir));
    assertFalse(mem.exists(ulid + "/meta.json"));
    faulty.failNext(FaultInjectingBucket.Op.UPLOAD, 0).breakUploadsAfter(100, 2);
    assertThrows(java.io.IOException.class, () -> BlockTransfer.upload(faulty, dir));
    assertFalse(mem.exists(ulid + "/meta.json"));
  }

  @Test
  void uploadThenDownloadIsByteIdenticalDespiteFaults() throws Exception {
    MemoryBucket mem = new MemoryBucket();
    FaultInjectingBucket faulty = new FaultInjectingBucket(mem);
    Bucket b = new RetryingBucket(faulty, RetryPolicies.immediate(6));
    BlockTransfer.Options o = opts();
    o.filesConcurrency = 4;
    BlockTransfer t = new BlockTransfer(b, o);
    for (String ulid : TestBlocks.basicUlids()) {
      Path dir = TestBlocks.copyWithLabels(ulid, tmp.resolve("up"), Map.of("cluster", "eu1"));
      faulty.failNext(FaultInjectingBucket.Op.UPLOAD, 2);
      t.upload(dir);
    }
    for (String ulid : TestBlocks.basicUlids()) {
      faulty.breakReadsAfter(1000, 3).shortReads(333);
      Path out = tmp.resolve("down").resolve(ulid);
      BlockMeta m = t.download(ulid, out);
      assertEquals(ulid, m.ulid);
      Path src = TestBlocks.BASIC.resolve(ulid);
      assertArrayEquals(Files.readAllBytes(src.resolve("index")), Files.readAllBytes(out.resolve("index")));
      assertArrayEquals(Files.readAllBytes(src.resolve("chunks/000001")), Files.readAllBytes(out.resolve("chunks/000001")));
      assertArrayEquals(mem.getBytes(ulid + "/meta.json"), Files.readAllBytes(out.resolve("meta.json")));
      assertFalse(Files.exists(out.resolve("tombstones")));
      try (var s = Files.walk(out)) {
        assertTrue(s.noneMatch(p -> p.toString().endsWith(".download")));
      }
    }
  }

  @Test
  void downloadChecksSizesAgainstThanosFiles() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    MemoryBucket mem = new MemoryBucket();
    BlockTransfer.upload(mem, TestBlocks.copyWithLabels(ulid, tmp.resolve("up"), Map.of("a", "b")));
    mem.upload(ulid + "/index", new byte[] {1, 2, 3}); // truncated index
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> BlockTransfer.download(mem, ulid, tmp.resolve("down")));
    assertTrue(e.getMessage().contains(ulid + "/index"), e.getMessage());
    mem.delete(ulid + "/meta.json");
    assertThrows(BlockGoneException.class, () -> BlockTransfer.download(mem, ulid, tmp.resolve("d2")));
  }

  /** A tombstones object (a Prometheus block copied into the bucket as it was) comes down with the block. */
  @Test
  void downloadFetchesTombstonesButNotMarkers() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    MemoryBucket mem = new MemoryBucket();
    BlockTransfer.upload(mem, TestBlocks.copyWithLabels(ulid, tmp.resolve("up"), Map.of("a", "b")));
    byte[] tombstones = {0x01, 0x30, (byte) 0xBA, 0x30, 0x01, 0x00, 0x00, 0x00, 0x00}; // any bytes: copied as is
    mem.upload(ulid + "/tombstones", tombstones);
    mem.upload(ulid + "/no-compact-mark.json", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Path out = tmp.resolve("down");
    BlockTransfer.download(mem, ulid, out);
    assertArrayEquals(tombstones, Files.readAllBytes(out.resolve("tombstones")));
    assertFalse(Files.exists(out.resolve("no-compact-mark.json")));
  }

  // ------------------------------------------------------------------ early upload

  /**
   * Uploads of the keys in {@code held} wait, interruptibly, until {@link #release}; {@code arrived} counts the
   * uploads that started, {@code landed} those that reached the bucket.
   */
  static final class GatedBucket extends ForwardingBucket {
    final Set<String> held = ConcurrentHashMap.newKeySet();
    final Semaphore arrived = new Semaphore(0);
    final Semaphore landed = new Semaphore(0);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger interrupted = new AtomicInteger();

    GatedBucket(Bucket delegate) {
      super(delegate);
    }

    @Override
    public void upload(String key, Path file) throws IOException {
      arrived.release();
      if (held.contains(key)) {
        try {
          if (!release.await(30, TimeUnit.SECONDS)) {
            throw new IOException("held upload of " + key + " never released");
          }
        } catch (InterruptedException e) {
          interrupted.incrementAndGet();
          throw new InterruptedIOException("upload of " + key + " interrupted");
        }
      }
      delegate.upload(key, file);
      landed.release();
    }
  }

  static void await(Semaphore s, int permits) throws InterruptedException {
    assertTrue(s.tryAcquire(permits, 30, TimeUnit.SECONDS), "waited 30 s for " + permits + " uploads");
  }

  @Test
  void earlyUploadSendsEachWrittenFileAtOnceAndMetaJsonOnlyOnFinish() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("cluster", "eu1"));
    FaultInjectingBucket journal = new FaultInjectingBucket(new MemoryBucket());
    GatedBucket b = new GatedBucket(journal);
    BlockTransfer.EarlyUpload up = new BlockTransfer(b, opts()).uploadEarly(dir);

    up.written("chunks/000001");
    up.written("meta.json"); // not a data file: goes up last, on finish
    up.written("tombstones"); // never uploaded
    await(b.landed, 1);
    assertTrue(journal.exists(ulid + "/chunks/000001"));
    assertFalse(journal.exists(ulid + "/meta.json"));
    assertFalse(journal.exists(ulid + "/index"));

    BlockMeta meta = up.finish();
    assertEquals(List.of("UPLOAD " + ulid + "/chunks/000001", "UPLOAD " + ulid + "/index", "UPLOAD " + ulid + "/meta.json"),
        journal.journal().stream().filter(e -> e.startsWith("UPLOAD")).toList());
    assertEquals(List.of("chunks/000001", "index", "meta.json"), meta.thanos.files.stream().map(f -> f.relPath).toList());
    assertEquals(Files.size(dir.resolve("chunks/000001")), meta.thanos.files.get(0).sizeBytes);
    assertArrayEquals(meta.toJsonBytes(), journal.getBytes(ulid + "/meta.json"));
    assertFalse(journal.exists(ulid + "/tombstones"));
    up.abandon(); // after finish: keeps the block
    assertTrue(journal.exists(ulid + "/chunks/000001"));
    assertTrue(journal.exists(ulid + "/meta.json"));
  }

  @Test
  void aFileWrittenAgainAfterItWentUpIsSentAgainOnFinish() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("cluster", "eu1"));
    MemoryBucket mem = new MemoryBucket();
    GatedBucket b = new GatedBucket(mem);
    BlockTransfer.EarlyUpload up = new BlockTransfer(b, opts()).uploadEarly(dir);
    up.written("index");
    await(b.landed, 1);
    byte[] second = Files.readAllBytes(dir.resolve("index"));
    second[second.length - 1] ^= 1; // any change will do: the bucket must end with these bytes
    Files.write(dir.resolve("index"), second);
    up.written("index");
    BlockMeta meta = up.finish();
    assertArrayEquals(second, mem.getBytes(ulid + "/index"));
    assertEquals(second.length, meta.thanos.files.get(1).sizeBytes);
  }

  /**
   * Until meta.json is on its way a finished block can still be taken back: one that fails finish's last checks,
   * or whose last data file fails to go up, leaves none of its objects in the bucket once closed.
   */
  @Test
  void aFinishThatFailsBeforeMetaJsonLeavesNothingOnceClosed() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp.resolve("a"), Map.of("cluster", "eu1"));
    MemoryBucket mem = new MemoryBucket();
    GatedBucket b = new GatedBucket(mem);
    try (BlockTransfer.EarlyUpload up = new BlockTransfer(b, opts()).uploadEarly(dir)) {
      up.written("index");
      await(b.landed, 1);
      io.tsdbcompactor.store.FileTree.delete(dir.resolve("chunks")); // the check before anything else goes up fails
      assertThrows(java.nio.file.NoSuchFileException.class, up::finish);
    }
    assertEquals(List.of(), mem.list(ulid, true));

    // Finish sends the chunk segment, then the index fails: the segment it sent is taken back too.
    Path dir2 = TestBlocks.copyWithLabels(ulid, tmp.resolve("b"), Map.of("cluster", "eu1"));
    FaultInjectingBucket failing = new FaultInjectingBucket(mem).failUploadsOf(ulid + "/index");
    BlockTransfer.Options sequential = opts();
    sequential.filesConcurrency = 1;
    try (BlockTransfer.EarlyUpload up = new BlockTransfer(failing, sequential).uploadEarly(dir2)) {
      assertThrows(IOException.class, up::finish);
      assertTrue(failing.journal().contains("UPLOAD " + ulid + "/chunks/000001"), failing.journal().toString());
    }
    assertEquals(List.of(), mem.list(ulid, true));
  }

  @Test
  void abandonStopsAnUploadInFlightAndDeletesWhatWentUp() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("cluster", "eu1"));
    MemoryBucket mem = new MemoryBucket();
    GatedBucket b = new GatedBucket(mem);
    b.held.add(ulid + "/chunks/000001");
    BlockTransfer.EarlyUpload up = new BlockTransfer(b, opts()).uploadEarly(dir);

    up.written("index");
    await(b.landed, 1);
    up.written("chunks/000001");
    await(b.arrived, 2);
    assertTrue(mem.exists(ulid + "/index"));

    up.abandon(); // interrupts the held chunk upload, then deletes the index
    assertEquals(List.of(), mem.list(ulid, true));
    assertEquals(1, b.interrupted.get(), "the held upload was interrupted");
    assertThrows(IllegalStateException.class, up::finish);
  }

  @Test
  void closingAnUnfinishedEarlyUploadTakesBackWhatWentUpAndClosingAFinishedOneKeepsTheBlock() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("cluster", "eu1"));
    MemoryBucket mem = new MemoryBucket();
    GatedBucket b = new GatedBucket(mem);
    IOException failed = assertThrows(IOException.class, () -> {
      try (BlockTransfer.EarlyUpload up = new BlockTransfer(b, opts()).uploadEarly(dir)) {
        up.written("index");
        await(b.landed, 1);
        assertTrue(mem.exists(ulid + "/index"));
        throw new IOException("the block failed its verification (injected)");
      }
    });
    assertEquals("the block failed its verification (injected)", failed.getMessage());
    assertEquals(List.of(), mem.list(ulid, true), "the index that went up is taken back");

    try (BlockTransfer.EarlyUpload up = new BlockTransfer(b, opts()).uploadEarly(dir)) {
      up.written("index");
      up.finish();
    }
    assertTrue(mem.exists(ulid + "/index") && mem.exists(ulid + "/meta.json"), "a finished block stays");
  }

  @Test
  void aFailedEarlyUploadFailsFinishBeforeMetaJson() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("cluster", "eu1"));
    MemoryBucket mem = new MemoryBucket();
    GatedBucket b = new GatedBucket(
        new FaultInjectingBucket(mem).retryable(false).failNext(FaultInjectingBucket.Op.UPLOAD, 1));
    BlockTransfer.EarlyUpload up = new BlockTransfer(b, opts()).uploadEarly(dir);

    up.written("chunks/000001");
    await(b.arrived, 1); // the early attempt, which fails
    IOException e = assertThrows(IOException.class, up::finish);
    assertTrue(e.getMessage().contains(ulid + "/chunks/000001"), e.getMessage());
    assertFalse(mem.exists(ulid + "/meta.json"));
    assertFalse(mem.exists(ulid + "/index"), "nothing after the failure");
  }

  /**
   * A bucket that takes files while they are written (as S3 does): each upload notes how much of its file it saw
   * before the file was whole, then sends the whole file.
   */
  /**
   * A bucket that takes files while they are written (as S3 and Azure do): {@link #read} goes through the file as
   * it grows; the whole file is then stored, unless reading it failed (noted in {@link #failed}).
   */
  abstract static class WhileWrittenBucket extends ForwardingBucket {
    final Set<String> failed = ConcurrentHashMap.newKeySet();

    WhileWrittenBucket(Bucket delegate) {
      super(delegate);
    }

    @Override
    public boolean uploadsWhileWritten() {
      return true;
    }

    @Override
    public void uploadWhileWritten(String key, GrowingFile file) throws IOException {
      try {
        read(key, file);
      } catch (IOException e) {
        failed.add(key);
        throw e;
      }
      delegate.uploadDisposable(key, file.path());
    }

    /** Reads {@code file} as the upload of {@code key} would, until it is whole. */
    abstract void read(String key, GrowingFile file) throws IOException;
  }

  /** Each upload notes how much of its file it saw before the file was whole. */
  static final class GrowingBucket extends WhileWrittenBucket {
    final Map<String, Long> seenBeforeWhole = new ConcurrentHashMap<>();
    final Semaphore sawGrowth = new Semaphore(0);

    GrowingBucket(Bucket delegate) {
      super(delegate);
    }

    @Override
    void read(String key, GrowingFile file) throws IOException {
      long seen = file.await(1, () -> false);
      if (!file.isWhole()) {
        seenBeforeWhole.put(key, seen);
        sawGrowth.release();
      }
      file.await(Long.MAX_VALUE, () -> false);
    }
  }

  /** An early upload of a copy of the basic block to {@code bucket}, over a bucket in memory. */
  private record Growing<B extends WhileWrittenBucket>(String ulid, Path dir, MemoryBucket mem, B bucket,
      BlockTransfer.EarlyUpload up) {}

  private Growing<GrowingBucket> growingUpload() throws IOException {
    return growingUpload(GrowingBucket::new);
  }

  private <B extends WhileWrittenBucket> Growing<B> growingUpload(java.util.function.Function<Bucket, B> over)
      throws IOException {
    String ulid = TestBlocks.basicUlids().get(0);
    Path dir = TestBlocks.copyWithLabels(ulid, tmp, Map.of("cluster", "eu1"));
    MemoryBucket mem = new MemoryBucket();
    B bucket = over.apply(mem);
    return new Growing<>(ulid, dir, mem, bucket, new BlockTransfer(bucket, opts()).uploadEarly(dir));
  }

  @Test
  void aFileWrittenThroughTheWatchedDirectoryGoesUpWhileItIsWritten() throws Exception {
    Growing<GrowingBucket> g = growingUpload();
    Directory files = g.up().watch(new FsDirectory(g.dir()));

    byte[] data = new byte[(int) (2.5 * BlockTransfer.GROWTH_STEP)];
    new java.util.Random(4).nextBytes(data);
    int first = (int) BlockTransfer.GROWTH_STEP + 1;
    try (IndexOutput out = files.createOutput("chunks/000002")) {
      out.writeBytes(data, 0, first);
      // The writer goes on only once the upload has seen the first step: what it saw is then known.
      assertTrue(g.bucket().sawGrowth.tryAcquire(30, TimeUnit.SECONDS), "the upload saw the file before it was whole");
      out.writeBytes(data, first, data.length - first);
    }
    try (IndexOutput out = files.createOutput("tombstones")) { // not a data file: never uploaded
      out.writeBytes(new byte[] {1});
    }
    BlockMeta meta = g.up().finish();

    assertEquals(first, g.bucket().seenBeforeWhole.get(g.ulid() + "/chunks/000002"));
    assertArrayEquals(data, g.mem().getBytes(g.ulid() + "/chunks/000002"));
    assertEquals(List.of("chunks/000001", "chunks/000002", "index", "meta.json"),
        meta.thanos.files.stream().map(f -> f.relPath).toList());
    assertFalse(g.mem().exists(g.ulid() + "/tombstones"));
  }

  @Test
  void aWatchedFileThrownAwayIsNotUploadedAndTheBlockStillFinishes() throws Exception {
    Growing<GrowingBucket> g = growingUpload();
    Directory files = g.up().watch(new FsDirectory(g.dir()));

    IndexOutput out = files.createOutput("chunks/000002");
    out.writeBytes(new byte[(int) BlockTransfer.GROWTH_STEP + 1]);
    out.abort();
    g.up().finish();

    assertFalse(g.mem().exists(g.ulid() + "/chunks/000002"));
    assertTrue(g.mem().exists(g.ulid() + "/meta.json"));
    assertTrue(g.bucket().failed.contains(g.ulid() + "/chunks/000002"), "its upload stopped: " + g.bucket().failed);
  }

  @Test
  void aWatchedFileNeverClosedFailsFinishInsteadOfHangingIt() throws Exception {
    Growing<GrowingBucket> g = growingUpload();
    IndexOutput out = g.up().watch(new FsDirectory(g.dir())).createOutput("index");
    out.writeBytes(new byte[10]);

    IOException e = assertThrows(IOException.class, g.up()::finish);
    assertTrue(e.getMessage().contains("thrown away"), e.getMessage());
    assertFalse(g.mem().exists(g.ulid() + "/meta.json"));
    out.abort();
  }

  @Test
  void abandonStopsAnUploadWaitingForItsFile() throws Exception {
    Growing<GrowingBucket> g = growingUpload();
    IndexOutput out = g.up().watch(new FsDirectory(g.dir())).createOutput("chunks/000002");
    out.writeBytes(new byte[(int) BlockTransfer.GROWTH_STEP]);

    g.up().abandon();
    assertTrue(g.bucket().failed.contains(g.ulid() + "/chunks/000002"),
        "the waiting upload gave up: " + g.bucket().failed);
    assertEquals(List.of(), g.mem().list(g.ulid(), true));
    out.abort();
  }

  /**
   * Each upload goes through its file in parts of {@link #PART} bytes, asking the file for each; the first part
   * stays in flight until {@link #reply} opens, whatever interrupts its thread (as a socket write would).
   */
  static final class PartByPartBucket extends WhileWrittenBucket {
    static final long PART = 1 << 20;
    final AtomicInteger partsSent = new AtomicInteger();
    final Semaphore firstPartInFlight = new Semaphore(0);
    final CountDownLatch reply = new CountDownLatch(1);

    PartByPartBucket(Bucket delegate) {
      super(delegate);
    }

    @Override
    void read(String key, GrowingFile file) throws IOException {
      for (long end = PART; ; end += PART) {
        long readable = file.await(end, () -> false);
        if (partsSent.incrementAndGet() == 1) {
          firstPartInFlight.release();
          for (boolean replied = false; !replied; ) {
            try {
              replied = reply.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
              // a request on its way goes on
            }
          }
        }
        if (file.isWhole() && end >= readable) {
          return;
        }
      }
    }
  }

  @Test
  void abandonStopsTheUploadOfAWholeFileAfterThePartInFlight() throws Exception {
    Growing<PartByPartBucket> g = growingUpload(PartByPartBucket::new);
    PartByPartBucket bucket = g.bucket();
    BlockTransfer.EarlyUpload up = g.up();
    try (IndexOutput out = up.watch(new FsDirectory(g.dir())).createOutput("chunks/000002")) {
      out.writeBytes(new byte[(int) (4 * PartByPartBucket.PART)]);
    }
    await(bucket.firstPartInFlight, 1); // the file is whole: three more parts to go

    Thread abandoning = new Thread(up::abandon);
    abandoning.start();
    // Until the block is given up: abandon() then waits for the part in flight.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (abandoning.isAlive() && abandoning.getState() != Thread.State.TIMED_WAITING
        && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    bucket.reply.countDown();
    abandoning.join(30_000);
    assertFalse(abandoning.isAlive());

    assertEquals(1, bucket.partsSent.get(), "parts sent after the block was given up");
    assertTrue(bucket.failed.contains(g.ulid() + "/chunks/000002"), "the upload stopped: " + bucket.failed);
    assertEquals(List.of(), g.mem().list(g.ulid(), true));
  }

  // ------------------------------------------------------------------ download while read

  /**
   * A bucket whose chunk segment reads stop after {@code limit} bytes: until {@code release} opens (held), or for
   * good with {@code failure} (broken), or at a clean end of stream (cut short).
   */
  static final class SegmentStopBucket extends ForwardingBucket {
    final long limit;
    final CountDownLatch release;
    final IOException failure;

    SegmentStopBucket(Bucket delegate, long limit, CountDownLatch release, IOException failure) {
      super(delegate);
      this.limit = limit;
      this.release = release;
      this.failure = failure;
    }

    @Override
    public InputStream get(String key) throws IOException {
      InputStream in = super.get(key);
      if (!key.endsWith("/chunks/000001")) {
        return in;
      }
      return new FilterInputStream(in) {
        long delivered;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (delivered == limit) {
            if (failure != null) {
              throw failure;
            }
            if (release == null) {
              return -1;
            }
            try {
              assertTrue(release.await(30, TimeUnit.SECONDS), "released within 30 s");
            } catch (InterruptedException e) {
              throw new InterruptedIOException();
            }
          }
          int n = super.read(b, off, delivered < limit ? (int) Math.min(len, limit - delivered) : len);
          if (n > 0) {
            delivered += n;
          }
          return n;
        }
      };
    }
  }

  private record Uploaded(String ulid, Path local, MemoryBucket bucket, byte[] segment) {}

  private Uploaded uploadedBlock() throws IOException {
    String ulid = TestBlocks.basicUlids().get(0);
    Path local = TestBlocks.copyWithLabels(ulid, tmp.resolve("local"), Map.of("cluster", "eu1"));
    MemoryBucket mem = new MemoryBucket();
    new BlockTransfer(mem, opts()).upload(local);
    return new Uploaded(ulid, local, mem, Files.readAllBytes(local.resolve("chunks/000001")));
  }

  @Test
  void aBlockIsReadWhileItsChunkSegmentStillComesDown() throws Exception {
    Uploaded u = uploadedBlock();
    int half = u.segment().length / 2;
    CountDownLatch release = new CountDownLatch(1);
    Path dir = tmp.resolve("down");
    try (BlockTransfer.ArrivingBlock b = new BlockTransfer(new SegmentStopBucket(u.bucket(), half, release, null),
        opts()).downloadWhileRead(u.ulid(), dir)) {
      assertEquals(u.ulid(), b.meta().ulid);
      assertArrayEquals(Files.readAllBytes(u.local().resolve("index")), Files.readAllBytes(dir.resolve("index")),
          "the index is whole before anything is read");
      RandomAccessInput in = b.directory().openInput("chunks/000001");
      assertArrayEquals(Arrays.copyOf(u.segment(), half), in.readBytes(0, half),
          "the first half is read while the second is held back");

      CompletableFuture<byte[]> tail = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try {
          tail.complete(in.readBytes(half, u.segment().length - half));
        } catch (Throwable t) {
          tail.completeExceptionally(t);
        }
      });
      reader.start();
      // Bounded wait for the signal that the reader blocked (or, were it not to wait, finished early).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (reader.getState() != Thread.State.WAITING && !tail.isDone() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertFalse(tail.isDone(), "a read past what has arrived waits for it");
      assertFalse(Files.exists(dir.resolve("meta.json")), "no meta.json while the block is not whole");

      release.countDown();
      assertArrayEquals(Arrays.copyOfRange(u.segment(), half, u.segment().length), tail.get(30, TimeUnit.SECONDS));
      b.finish();
      assertArrayEquals(u.segment(), Files.readAllBytes(dir.resolve("chunks/000001")));
      assertArrayEquals(u.bucket().getBytes(u.ulid() + "/meta.json"), Files.readAllBytes(dir.resolve("meta.json")));
    }
  }

  @Test
  void aSegmentDownloadThatBreaksFailsTheReadsPastTheBreakAndTheFinish() throws Exception {
    Uploaded u = uploadedBlock();
    int half = u.segment().length / 2;
    Path dir = tmp.resolve("down");
    IOException reset = new IOException("connection reset (injected)");
    try (BlockTransfer.ArrivingBlock b = new BlockTransfer(new SegmentStopBucket(u.bucket(), half, null, reset),
        opts()).downloadWhileRead(u.ulid(), dir)) {
      RandomAccessInput in = b.directory().openInput("chunks/000001");
      assertArrayEquals(Arrays.copyOf(u.segment(), half), in.readBytes(0, half), "what came before the break");
      ArrivingBytes.DownloadFailedException e = assertThrows(ArrivingBytes.DownloadFailedException.class,
          () -> in.readBytes(half, 8));
      assertTrue(e.getMessage().contains(u.ulid() + "/chunks/000001") && e.getMessage().contains("connection reset"),
          e.getMessage());
      IOException f = assertThrows(IOException.class, b::finish);
      assertTrue(f.getMessage().contains("connection reset"), f.getMessage());
      assertFalse(f instanceof CorruptDataException, "a broken connection is no fault of the block");
      assertFalse(Files.exists(dir.resolve("meta.json")));
    }
  }

  @Test
  void readingAnArrivingBlockWaitsForTheRestAndReportsTheDownloadsFailureBeforeTheReadersOwn() throws Exception {
    Uploaded u = uploadedBlock();
    int half = u.segment().length / 2;
    Path whole = tmp.resolve("whole");
    try (BlockTransfer.ArrivingBlock b = new BlockTransfer(u.bucket(), opts()).downloadWhileRead(u.ulid(), whole)) {
      assertEquals(u.ulid(), b.read((meta, files) -> meta.ulid));
      assertArrayEquals(u.bucket().getBytes(u.ulid() + "/meta.json"), Files.readAllBytes(whole.resolve("meta.json")),
          "read waited for the block to be whole");
    }

    // The connection breaks at half: the reader's failure to read past it is the download's consequence.
    IOException reset = new IOException("connection reset (injected)");
    try (BlockTransfer.ArrivingBlock b = new BlockTransfer(new SegmentStopBucket(u.bucket(), half, null, reset),
        opts()).downloadWhileRead(u.ulid(), tmp.resolve("broken"))) {
      IOException e = assertThrows(IOException.class, () -> b.read((meta, files) ->
          files.openInput("chunks/000001").readBytes(half, 8)));
      assertTrue(e.getMessage().contains(u.ulid() + "/chunks/000001") && e.getMessage().contains("connection reset"),
          e.getMessage());
      assertFalse(e instanceof CorruptDataException, "a broken connection is no fault of the block");
    }

    // The reader fails on its own while the segment is held back (until the test ends): its error is reported at once.
    CountDownLatch release = new CountDownLatch(1);
    try (BlockTransfer.ArrivingBlock b = new BlockTransfer(new SegmentStopBucket(u.bucket(), half, release, null),
        opts()).downloadWhileRead(u.ulid(), tmp.resolve("held"))) {
      IOException e = assertThrows(IOException.class, () -> b.read((meta, files) -> {
        throw new IOException("the merge found a bad chunk (injected)");
      }));
      assertEquals("the merge found a bad chunk (injected)", e.getMessage());
      assertFalse(Files.exists(tmp.resolve("held").resolve("meta.json")));
    }
  }

  @Test
  void aSegmentShorterThanItsListingIsCorruptData() throws Exception {
    Uploaded u = uploadedBlock();
    int half = u.segment().length / 2;
    Path dir = tmp.resolve("down");
    try (BlockTransfer.ArrivingBlock b = new BlockTransfer(new SegmentStopBucket(u.bucket(), half, null, null),
        opts()).downloadWhileRead(u.ulid(), dir)) {
      CorruptDataException e = assertThrows(CorruptDataException.class, b::finish);
      assertTrue(e.getMessage().contains(u.ulid() + "/chunks/000001") && e.getMessage().contains("listing says "
          + u.segment().length), e.getMessage());
      assertFalse(Files.exists(dir.resolve("meta.json")));
    }
  }

  @Test
  void everySegmentHeaderComesFirstSoABlockOfSeveralSegmentsOpensWhileTheFirstStillComesDown() throws Exception {
    String ulid = TestBlocks.basicUlids().get(0);
    Path local = TestBlocks.copyWithLabels(ulid, tmp.resolve("local"), Map.of("cluster", "eu1"));
    // A second segment: the reader opens every segment and checks its header (its records are not read here).
    Files.copy(local.resolve("chunks/000001"), local.resolve("chunks/000002"));
    MemoryBucket mem = new MemoryBucket();
    new BlockTransfer(mem, opts()).upload(local);
    CountDownLatch release = new CountDownLatch(1);
    int half = (int) Files.size(local.resolve("chunks/000001")) / 2;
    try (BlockTransfer.ArrivingBlock b = new BlockTransfer(new SegmentStopBucket(mem, half, release, null), opts())
        .downloadWhileRead(ulid, tmp.resolve("down"))) {
      CompletableFuture<Integer> opened = CompletableFuture.supplyAsync(() -> {
        try (ChunkSegmentReader r = new ChunkSegmentReader(b.directory())) {
          return r.segmentCount();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      assertEquals(2, opened.get(30, TimeUnit.SECONDS), "opened while the first segment is held at half");
      release.countDown();
      b.finish();
      assertArrayEquals(Files.readAllBytes(local.resolve("chunks/000002")),
          Files.readAllBytes(tmp.resolve("down").resolve("chunks/000002")));
    }
  }

  @Test
  void anAbandonedDownloadWakesItsReadersAndIsNoFailureOfTheBlock() throws Exception {
    Uploaded u = uploadedBlock();
    int half = u.segment().length / 2;
    CountDownLatch release = new CountDownLatch(1);
    BlockTransfer.ArrivingBlock b = new BlockTransfer(new SegmentStopBucket(u.bucket(), half, release, null), opts())
        .downloadWhileRead(u.ulid(), tmp.resolve("down"));
    RandomAccessInput in = b.directory().openInput("chunks/000001");
    CompletableFuture<byte[]> tail = CompletableFuture.supplyAsync(() -> {
      try {
        return in.readBytes(half, 8);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    b.close(); // the merge failed: what is still coming down is abandoned
    ExecutionException e = assertThrows(ExecutionException.class, () -> tail.get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof ArrivingBytes.DownloadFailedException
        && e.getCause().getMessage().contains("abandoned"), String.valueOf(e.getCause()));
    assertEquals(1, release.getCount(), "the held transfer was stopped, not let through");
    assertEquals(null, b.failure(), "abandoning is not the download failing");
    IOException f = assertThrows(IOException.class, b::finish);
    assertTrue(f.getMessage().contains("abandoned"), f.getMessage());
    assertFalse(Files.exists(tmp.resolve("down").resolve("meta.json")));
  }
}
