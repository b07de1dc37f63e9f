package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.S3FaultProxy.Fault;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link S3Bucket#uploadWhileWritten} against S3Proxy, through {@link S3FaultProxy} to see the requests: the parts of
 * a file go up while it is still being written, the object appears only once the file is whole, and a file the
 * writer throws away leaves neither an object nor an upload behind.
 */
class S3UploadWhileWrittenTest {
  private static final int MIB = 1024 * 1024;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  static S3ProxyServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new S3ProxyServer(Files.createDirectories(dir.resolve("s3")));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** A file being written: appended to under a temporary name, read through a channel opened on it at the start. */
  private static final class Writer {
    final Path temp;
    final Path whole;
    final GrowingFile file;
    long length;

    Writer(Path dir, String name) throws IOException {
      temp = dir.resolve(name + ".tmp");
      whole = dir.resolve(name);
      Files.write(temp, new byte[0]);
      file = new GrowingFile(whole, FileChannel.open(temp, StandardOpenOption.READ));
    }

    void append(byte[] data, int from, int to) throws IOException {
      Files.write(temp, Arrays.copyOfRange(data, from, to), StandardOpenOption.APPEND);
      length += to - from;
      file.grew(length);
    }

    /** Moved into place under its name as a finished output is, then reported whole. */
    void finish() throws IOException {
      Files.move(temp, whole);
      file.whole(length);
    }
  }

  private static S3Bucket bucket(S3FaultProxy proxy, String name) throws IOException {
    S3TestBuckets.create(server.config(name));
    S3Config c = server.config(name);
    c.endpoint = proxy.endpoint();
    c.maxRetries = 10;
    c.minRetryBackoff = Duration.ofMillis(5);
    c.maxRetryBackoff = Duration.ofMillis(50);
    c.partSize = 5L * MIB;
    return new S3Bucket(c);
  }

  private static CompletableFuture<Void> uploadInBackground(Bucket b, String key, GrowingFile file) {
    return CompletableFuture.runAsync(() -> {
      try {
        b.uploadWhileWritten(key, file);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @Test
  void partsGoUpWhileTheFileIsWrittenAndTheObjectAppearsOnlyWhenItIsWhole(@TempDir Path tmp) throws Exception {
    byte[] data = S3FaultProxyTest.bytes(13 * MIB, 5); // parts of 5, 5 and 3 MiB
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
         S3Bucket b = bucket(proxy, "growing1")) {
      Writer w = new Writer(tmp, "000001");
      long before = proxy.requests();
      CompletableFuture<Void> upload = uploadInBackground(b, "blk/chunks/000001", w.file);
      w.append(data, 0, 11 * MIB);

      // The multipart upload's creation and its first two parts, while the writer has not finished.
      assertTrue(proxy.awaitRequests(before + 3, WAIT), "parts sent before the file is whole: "
          + (proxy.requests() - before) + " requests");
      assertFalse(upload.isDone());
      assertFalse(b.exists("blk/chunks/000001"), "no object before the file is whole");

      w.append(data, 11 * MIB, data.length);
      w.finish();
      upload.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertArrayEquals(data, b.getBytes("blk/chunks/000001"));
      w.file.close();
    }
  }

  @Test
  void aFileWithinOnePartGoesUpInOneRequestOnceWhole(@TempDir Path tmp) throws Exception {
    byte[] data = S3FaultProxyTest.bytes(3 * MIB, 6);
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
         S3Bucket b = bucket(proxy, "growing2")) {
      Writer w = new Writer(tmp, "index");
      long before = proxy.requests();
      CompletableFuture<Void> upload = uploadInBackground(b, "blk/index", w.file);
      w.append(data, 0, data.length);
      w.finish();
      upload.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(before + 1, proxy.requests(), "one PUT");
      assertArrayEquals(data, b.getBytes("blk/index"));
      w.file.close();
    }
  }

  @Test
  void aPartThatFailsIsSentAgain(@TempDir Path tmp) throws Exception {
    byte[] data = S3FaultProxyTest.bytes(12 * MIB, 7);
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
         S3Bucket b = bucket(proxy, "growing3")) {
      Writer w = new Writer(tmp, "000002");
      proxy.script(null, Fault.INTERNAL_ERROR); // the creation passes, the first part fails once
      CompletableFuture<Void> upload = uploadInBackground(b, "blk/chunks/000002", w.file);
      w.append(data, 0, 7 * MIB);
      w.append(data, 7 * MIB, data.length);
      w.finish();
      upload.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(1, proxy.injected(Fault.INTERNAL_ERROR));
      assertArrayEquals(data, b.getBytes("blk/chunks/000002"));
      w.file.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void aGrowingFileRidesOutTheFaultOnEachOfItsRequests(Fault fault, @TempDir Path tmp) throws Exception {
    byte[] data = S3FaultProxyTest.bytes(17 * MIB, 10); // the creation, four parts, the completion
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1).stall(Duration.ofMillis(100),
        Duration.ofMillis(300)); S3Bucket s3 = bucket(proxy, "growing-" + fault.name().toLowerCase().replace('_', '-'))) {
      S3Config patient = s3.config();
      patient.responseHeaderTimeout = Duration.ofSeconds(10); // stalls slow it down; they do not time it out
      patient.maxRetries = 20;
      try (S3Bucket b = new S3Bucket(patient)) {
        // Every other request fails: each of the six, as it first arrives, when they come one after another.
        proxy.script(fault, null, fault, null, fault, null, fault, null, fault, null, fault, null);
        Writer w = new Writer(tmp, "000004");
        CompletableFuture<Void> upload = uploadInBackground(b, "blk/chunks/000004", w.file);
        for (int at = 0; at < data.length; at += MIB) {
          w.append(data, at, Math.min(data.length, at + MIB));
        }
        w.finish();
        upload.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertArrayEquals(data, b.getBytes("blk/chunks/000004"));
        if (fault == Fault.STALL) {
          // A stalled request still succeeds, so the script's passes go to the next requests: every other one.
          assertTrue(proxy.injected(fault) >= 3, proxy.injectedSummary());
        } else {
          assertEquals(6, proxy.injected(fault), "each request failed once: " + proxy.injectedSummary());
        }
        w.file.close();
      }
    }
  }

  @Test
  void aFileThrownAwayLeavesNoObjectAndItsUploadIsAborted(@TempDir Path tmp) throws Exception {
    byte[] data = S3FaultProxyTest.bytes(6 * MIB, 8);
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
         S3Bucket b = bucket(proxy, "growing4")) {
      Writer w = new Writer(tmp, "000003");
      long before = proxy.requests();
      CompletableFuture<Void> upload = uploadInBackground(b, "blk/chunks/000003", w.file);
      w.append(data, 0, data.length);
      assertTrue(proxy.awaitRequests(before + 2, WAIT), "the creation and the first part");

      w.file.abandoned();
      ExecutionException e = assertThrowsExecution(upload);
      assertInstanceOf(BucketException.class, e.getCause().getCause(), e.getCause().toString());
      assertTrue(e.getCause().getMessage().contains("000003"), e.getCause().getMessage());
      assertFalse(b.exists("blk/chunks/000003"));
      // The multipart upload was aborted: S3 is asked to (DELETE with the upload id), and nothing else deletes.
      assertTrue(proxy.payloadSignatures().stream().anyMatch(s -> s.startsWith("DELETE")),
          String.valueOf(proxy.payloadSignatures()));
      w.file.close();
    }
  }

  @Test
  void anUploadInterruptedWhileItWaitsForTheWriterStillAbortsItsMultipartUpload(@TempDir Path tmp) throws Exception {
    byte[] data = S3FaultProxyTest.bytes(6 * MIB, 9);
    try (S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1);
         S3Bucket b = bucket(proxy, "growing5")) {
      Writer w = new Writer(tmp, "index");
      long before = proxy.requests();
      java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicBoolean stillInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
      Thread t = new Thread(() -> {
        try {
          b.uploadWhileWritten("blk/index", w.file);
        } catch (Throwable e) {
          thrown.set(e);
        }
        stillInterrupted.set(Thread.currentThread().isInterrupted());
      });
      t.start();
      w.append(data, 0, data.length);
      assertTrue(proxy.awaitRequests(before + 2, WAIT), "the creation and the first part");
      t.interrupt(); // waiting for the second part: the writer has stopped, as a block abandoned mid-merge does
      t.join(WAIT.toMillis());
      assertFalse(t.isAlive());

      assertInstanceOf(java.io.InterruptedIOException.class, thrown.get());
      assertTrue(stillInterrupted.get(), "the interrupt is kept for the caller");
      assertTrue(proxy.payloadSignatures().stream().anyMatch(s -> s.startsWith("DELETE")),
          "the abort was sent: " + proxy.payloadSignatures());
      assertFalse(b.exists("blk/index"));
      w.file.close();
    }
  }

  private static ExecutionException assertThrowsExecution(CompletableFuture<Void> f) throws Exception {
    try {
      f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e;
    }
    throw new AssertionError("the upload did not fail");
  }
}
