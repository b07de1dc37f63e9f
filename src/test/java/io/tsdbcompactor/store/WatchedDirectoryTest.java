package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedDirectoryTest {
  @TempDir
  Path tmp;

  /** Records what it hears, and for each report of growth reads the file as far as it was said to be written. */
  private static final class Recorder implements WatchedDirectory.Watcher {
    final List<String> events = new ArrayList<>();
    final Map<String, FileChannel> readers = new HashMap<>();
    final Map<String, byte[]> readAtGrowth = new HashMap<>();
    final boolean watchGrowth;

    Recorder(boolean watchGrowth) {
      this.watchGrowth = watchGrowth;
    }

    @Override
    public boolean opened(String name, IndexOutput out) throws IOException {
      events.add("opened " + name);
      if (!watchGrowth) {
        return false;
      }
      readers.put(name, out.openReader());
      return true;
    }

    @Override
    public void grew(String name, long length) {
      events.add("grew " + name + " " + length);
      try {
        readAtGrowth.put(name + " " + length, read(readers.get(name), length));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void closed(String name, long length) {
      events.add("closed " + name + " " + length);
    }

    @Override
    public void aborted(String name) {
      events.add("aborted " + name);
    }
  }

  static byte[] read(FileChannel ch, long length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) length);
    while (b.hasRemaining()) {
      if (ch.read(b, b.position()) < 0) {
        break;
      }
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  @Test
  void growthIsReportedEveryStepWithTheBytesReadableAndTheEndOnceWhole() throws IOException {
    byte[] data = new byte[10_000];
    new Random(3).nextBytes(data);
    Recorder r = new Recorder(true);
    Directory dir = new WatchedDirectory(new FsDirectory(tmp), 4096, r);
    IndexOutput out = dir.createOutput("chunks/000001");
    out.writeBytes(data, 0, 3000); // short of a step: nothing reported
    out.writeBytes(data, 3000, 2000); // past 4096
    for (int i = 5000; i < 9000; i++) {
      out.writeByte(data[i]); // byte by byte, short of the next step at 5000 + 4096
    }
    out.writeBytes(data, 9000, 1000); // past it
    out.close();

    assertEquals(List.of("opened chunks/000001", "grew chunks/000001 5000", "grew chunks/000001 10000",
        "closed chunks/000001 10000"), r.events);
    // Each report came with its bytes readable from the file being written, though the writer buffers 1 MiB.
    assertArrayEquals(Arrays.copyOf(data, 5000), r.readAtGrowth.get("chunks/000001 5000"));
    assertArrayEquals(data, r.readAtGrowth.get("chunks/000001 10000"));
    // Moved into place on close, the file is still read through the reader opened while it was written.
    assertArrayEquals(data, Files.readAllBytes(tmp.resolve("chunks/000001")));
    assertArrayEquals(data, read(r.readers.get("chunks/000001"), data.length));
    r.readers.get("chunks/000001").close();
  }

  @Test
  void aFileWhoseGrowthNobodyReadsIsReportedOnlyWhenOpenedAndClosed() throws IOException {
    Recorder r = new Recorder(false);
    Directory dir = new WatchedDirectory(new FsDirectory(tmp), 16, r);
    try (IndexOutput out = dir.createOutput("index")) {
      out.writeBytes(new byte[100]);
    }
    assertEquals(List.of("opened index", "closed index 100"), r.events);
  }

  @Test
  void anAbortedFileIsReportedAsSuchOnceAndNeverAsWhole() throws IOException {
    Recorder r = new Recorder(true);
    Directory dir = new WatchedDirectory(new FsDirectory(tmp), 1 << 20, r);
    IndexOutput out = dir.createOutput("index");
    out.writeBytes(new byte[100]);
    out.abort();
    out.abort();
    out.close();
    assertEquals(List.of("opened index", "aborted index"), r.events);
    assertFalse(Files.exists(tmp.resolve("index")));
    r.readers.get("index").close();
  }

  @Test
  void anOutputWithoutAFileHasNoReader() throws IOException {
    IndexOutput out = new MemoryDirectory().createOutput("index");
    assertNull(out.openReader());
    out.flush(); // nothing to hand on, and no failure either
    out.abort();
  }
}
