package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrivingBytesTest {

  @Test
  void rangesArrivingOutOfOrderJoinThePrefixOnlyOnceTheGapBeforeThemIsFilled() {
    ArrivingBytes a = new ArrivingBytes("b/chunks/000001", 100);
    a.arrived(60, 20);
    a.arrived(30, 10);
    assertEquals(0, a.prefix());
    a.arrived(0, 30);
    assertEquals(40, a.prefix(), "0-30 and the touching 30-40; 60-80 is still apart");
    a.arrived(35, 30); // overlaps both what is there and 60-80
    assertEquals(80, a.prefix());
    assertFalse(a.complete());
    a.arrived(80, 20);
    assertEquals(100, a.prefix());
    assertTrue(a.complete());
  }

  @Test
  void aReaderWaitsForItsBytesAndAFailureWakesItWithTheDownloadsError() throws Exception {
    ArrivingBytes a = new ArrivingBytes("b/chunks/000001", 100);
    a.arrived(0, 10);
    assertEquals(10, a.await(10), "there already: no wait");
    CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
      try {
        return a.await(50);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    a.arrived(20, 40);
    a.arrived(10, 10);
    assertEquals(60, reader.get(30, TimeUnit.SECONDS));

    CompletableFuture<Long> late = CompletableFuture.supplyAsync(() -> {
      try {
        return a.await(90);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    a.fail(new IOException("connection reset"));
    ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(30, TimeUnit.SECONDS));
    String m = e.getCause().getCause().getMessage();
    assertTrue(m.contains("b/chunks/000001") && m.contains("connection reset"), m);
    assertEquals(60, a.await(60), "what arrived before the failure is still readable");
  }

  @Test
  void aFileStillArrivingReadsWhatHasArrivedAndFailsPastItOnceTheDownloadFailed(@TempDir Path tmp) throws Exception {
    byte[] data = new byte[64];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    Files.createDirectories(tmp.resolve("chunks"));
    Files.write(tmp.resolve("chunks/000001"), data);
    ArrivingBytes a = new ArrivingBytes("b/chunks/000001", data.length);
    a.arrived(0, 16);
    RandomAccessInput in = new ArrivingDirectory(new FsDirectory(tmp), Map.of("chunks/000001", a))
        .openInput("chunks/000001");
    assertArrayEquals(Arrays.copyOf(data, 16), in.readBytes(0, 16));
    assertEquals(0x00010203, in.readIntBE(0));
    a.fail(new IOException("connection reset"));
    ArrivingBytes.DownloadFailedException e = assertThrows(ArrivingBytes.DownloadFailedException.class,
        () -> in.readByte(16));
    assertTrue(e.getMessage().contains("connection reset"), e.getMessage());
    assertThrows(ArrivingBytes.DownloadFailedException.class, () -> in.readIntBE(14), "a read that crosses the prefix");
    assertThrows(ArrivingBytes.DownloadFailedException.class, () -> in.crc32c(0, 17));
    // A position outside the file is the file's own error, not a wait.
    assertThrows(CorruptDataException.class, () -> in.readByte(64));
  }
}
