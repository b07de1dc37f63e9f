package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The bucket contract and the Azure specifics against Azurite on 127.0.0.1, started here. Skipped when the
 * {@code azurite} npm package is not installed.
 */
class AzuriteBucketTest extends BucketContractTest {
  static final AtomicInteger CONTAINERS = new AtomicInteger();
  @TempDir
  static Path azuriteDir;
  static AzuriteServer server;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(AzuriteServer.executable() != null, "azurite is not installed (npm install -g azurite)");
    server = new AzuriteServer(azuriteDir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static String freshContainer() {
    return "contract-" + CONTAINERS.incrementAndGet();
  }

  @Override
  protected Bucket newBucket() throws IOException {
    AzureBucket b = new AzureBucket(server.config(freshContainer()));
    b.blockSize = 64 * 1024; // small blocks: the contract's 70 KB objects go up as staged blocks
    return b;
  }

  private AzureBucket azure() {
    return (AzureBucket) bucket;
  }

  @Test
  void aFileBeingWrittenHasItsBlocksStagedBeforeItIsWhole(@TempDir java.nio.file.Path tmp) throws Exception {
    byte[] data = random(5 * 64 * 1024 + 17, 12);
    java.nio.file.Path temp = tmp.resolve("000001.tmp");
    java.nio.file.Files.write(temp, java.util.Arrays.copyOf(data, 3 * 64 * 1024));
    try (GrowingFile file = new GrowingFile(tmp.resolve("000001"), java.nio.channels.FileChannel.open(temp))) {
      file.grew(3 * 64 * 1024);
      java.util.concurrent.CompletableFuture<Void> upload = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          bucket.uploadWhileWritten("01GROW/chunks/000001", file);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      // The three blocks written go up as uncommitted blocks while the writer has not finished (bounded wait).
      var blocks = azure().blob("01GROW/chunks/000001").getBlockBlobClient();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      int staged = 0;
      while (staged < 3 && System.nanoTime() < deadline) {
        try {
          staged = blocks.listBlocks(com.azure.storage.blob.models.BlockListType.UNCOMMITTED).getUncommittedBlocks()
              .size();
        } catch (com.azure.storage.blob.models.BlobStorageException e) {
          staged = 0; // no block yet: the blob does not exist at all
        }
        if (staged < 3) {
          Thread.onSpinWait();
        }
      }
      assertEquals(3, staged, "blocks staged before the file is whole");
      assertFalse(bucket.exists("01GROW/chunks/000001"));

      java.nio.file.Files.write(temp, java.util.Arrays.copyOfRange(data, 3 * 64 * 1024, data.length),
          java.nio.file.StandardOpenOption.APPEND);
      java.nio.file.Files.move(temp, tmp.resolve("000001"));
      file.whole(data.length);
      upload.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertArrayEquals(data, bucket.getBytes("01GROW/chunks/000001"));
    }
  }

  @Test
  void stagedUploadOfManyBlocksReadsBackIdentical() throws Exception {
    byte[] data = random(10 * 64 * 1024 + 123, 11);
    bucket.upload("01MP/chunks/000001", new ByteArrayInputStream(data), data.length);
    assertArrayEquals(data, bucket.getBytes("01MP/chunks/000001"));
    bucket.upload("01MP/chunks/000002", new ByteArrayInputStream(data), -1); // unknown length, streamed
    assertArrayEquals(data, bucket.getBytes("01MP/chunks/000002"));
    assertEquals(data.length, bucket.attributes("01MP/chunks/000002").size());
    // a ranged read across several read blocks
    azure().readBlockSize = 1000;
    try (var in = bucket.getRange("01MP/chunks/000002", 70_000, 5000)) {
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 70_000, 75_000), in.readAllBytes());
    }
  }

  @Test
  void failedStagedUploadLeavesNoObjectAndKeepsTheOldOne() throws Exception {
    byte[] old = random(100, 1);
    bucket.upload("01MP/index", old);
    byte[] data = random(5 * 64 * 1024, 12);
    FaultInjectingBucket faulty = new FaultInjectingBucket(bucket).breakUploadsAfter(3L * 64 * 1024, 1);
    assertThrows(IOException.class, () -> faulty.upload("01MP/index", new ByteArrayInputStream(data), data.length));
    assertArrayEquals(old, bucket.getBytes("01MP/index"));
    FaultInjectingBucket again = new FaultInjectingBucket(bucket).breakUploadsAfter(3L * 64 * 1024, 1);
    assertThrows(IOException.class, () -> again.upload("01MP/other", new ByteArrayInputStream(data), -1));
    assertFalse(bucket.exists("01MP/other"));
  }

  @Test
  void listingPagesAndStaysSorted() throws Exception {
    for (int i = 0; i < 40; i++) {
      bucket.upload(String.format("p/%03d", i), new byte[] {(byte) i});
      if (i % 5 == 0) {
        bucket.upload(String.format("p/%03d-dir/x", i), new byte[] {1});
      }
    }
    azure().listPageSize = 7;
    List<ListEntry> top = bucket.list("p", false);
    assertEquals(48, top.size());
    for (int i = 1; i < top.size(); i++) {
      assertTrue(top.get(i - 1).key().compareTo(top.get(i).key()) < 0, "sorted and unique: " + top);
    }
    assertEquals(8, top.stream().filter(ListEntry::isDirectory).count());
    assertEquals(48, bucket.list("p", true).size());
  }

  @Test
  void missingContainerIsCreatedOrNamedInTheError() throws Exception {
    String name = freshContainer();
    AzureConfig c = server.config(name);
    c.storageCreateContainer = false;
    try (AzureBucket b = new AzureBucket(c)) {
      BucketException e = assertThrows(BucketException.class, () -> b.upload("x/y", new byte[] {1}));
      assertTrue(e.getMessage().contains("container " + name) && e.getMessage().contains(AzuriteServer.ACCOUNT)
          && e.getMessage().contains("does not exist"), e.getMessage());
      assertFalse(e.isRetryable());
    }
    try (AzureBucket b = new AzureBucket(server.config(name))) { // created when missing, as Thanos does
      b.upload("x/y", new byte[] {1});
    }
    try (AzureBucket b = new AzureBucket(server.config(name))) { // and found when there
      assertArrayEquals(new byte[] {1}, b.getBytes("x/y"));
    }
  }

  @Test
  void wrongKeyGivesErrorNamingAccountAndContainerWithoutTheKey() throws Exception {
    AzureConfig c = server.config(azure().name());
    String wrong = java.util.Base64.getEncoder().encodeToString("wrong-key-Hx7pq-0123456789abcdef".getBytes());
    c.storageAccountKey = wrong;
    c.storageCreateContainer = false;
    try (AzureBucket b = new AzureBucket(c)) {
      BucketException e = assertThrows(BucketException.class, () -> b.upload("c/y", new byte[] {1}));
      assertTrue(e.getMessage().contains("HTTP 403") && e.getMessage().contains(azure().name())
          && e.getMessage().contains(AzuriteServer.ACCOUNT), e.getMessage());
      assertFalse(e.getMessage().contains(wrong));
      assertFalse(e.isRetryable());
      assertFalse(b.toString().contains(wrong));
    }
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

  @Test
  void objstoreYamlWithKeyOrConnectionStringOpensTheSameContainer() throws Exception {
    String name = azure().name();
    bucket.upload("y/meta.json", new byte[] {42});
    try (Bucket b = ObjstoreConfig.parse(server.yaml(name)).open()) {
      assertArrayEquals(new byte[] {42}, b.getBytes("y/meta.json"));
    }
    String cs = "type: AZURE\nconfig:\n  storage_account: " + AzuriteServer.ACCOUNT + "\n  container: " + name
        + "\n  storage_connection_string: \"" + server.connectionString() + "\"\nprefix: y\n";
    try (Bucket b = ObjstoreConfig.parse(cs).open()) {
      assertArrayEquals(new byte[] {42}, b.getBytes("meta.json"));
    }
  }

  @Test
  void secretsNeverReachTheLogs() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    List<ch.qos.logback.classic.Logger> loggers = List.of(ctx.getLogger("com.azure"), ctx.getLogger("io.tsdbcompactor"),
        ctx.getLogger("reactor"), ctx.getLogger("jdk.internal.httpclient"));
    List<Level> levels = new ArrayList<>();
    for (ch.qos.logback.classic.Logger l : loggers) {
      levels.add(l.getLevel());
      l.setLevel(Level.DEBUG);
      l.setAdditive(false);
      l.addAppender(appender);
    }
    String wrong = java.util.Base64.getEncoder().encodeToString("Log-Secret-Never-Printed-77-xyz".getBytes());
    try {
      AzureConfig c = server.config(azure().name());
      c.storageAccountKey = wrong;
      c.storageCreateContainer = false;
      try (Bucket b = new RetryingBucket(new AzureBucket(c), RetryPolicies.immediate(2))) {
        assertThrows(BucketException.class, () -> b.upload("l/x", new byte[] {1}));
        assertThrows(BucketException.class, () -> b.getBytes("l/x"));
        LoggerFactory.getLogger(getClass()).info("config in use: {}", c);
      }
      String cs = "type: AZURE\nconfig:\n  storage_account: " + AzuriteServer.ACCOUNT + "\n  container: log-"
          + CONTAINERS.incrementAndGet() + "\n  storage_connection_string: \"" + server.connectionString() + "\"\n";
      ObjstoreConfig parsed = ObjstoreConfig.parse(cs);
      LoggerFactory.getLogger(getClass()).info("config in use: {}", parsed);
      try (Bucket b = parsed.open()) {
        b.upload("l/y", new byte[] {1});
        b.getBytes("l/y");
        b.list("", true);
        b.delete("l/y");
      }
      try (Bucket b = ObjstoreConfig.parse(server.yaml(azure().name())).open()) {
        b.upload("l/z", random(200_000, 3));
        b.getBytes("l/z");
      }
    } finally {
      for (int i = 0; i < loggers.size(); i++) {
        loggers.get(i).detachAppender(appender);
        loggers.get(i).setAdditive(true);
        loggers.get(i).setLevel(levels.get(i));
      }
    }
    assertTrue(appender.list.size() > 3, "something was logged");
    for (ILoggingEvent e : appender.list) {
      String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy()));
      assertFalse(text.contains(wrong), text);
      assertFalse(text.contains(AzuriteServer.KEY), text);
      assertFalse(text.contains(AzuriteServer.KEY.substring(0, 20)), text);
    }
  }
}
