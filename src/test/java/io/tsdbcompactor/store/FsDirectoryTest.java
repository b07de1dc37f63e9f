package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsDirectoryTest {
  @TempDir Path tmp;

  @Test
  void durableAndScratchDirectoriesWriteTheSameFilesAndLeaveNoTemporaries() throws Exception {
    byte[] data = new byte[3 * (1 << 20) + 17]; // larger than the write buffer
    new java.util.Random(5).nextBytes(data);
    for (FsDirectory dir : List.of(new FsDirectory(tmp.resolve("durable")), FsDirectory.scratch(tmp.resolve("scratch")))) {
      Files.createDirectories(dir.root());
      IndexOutput out = dir.createOutput("chunks/000001");
      out.writeBytes(data, 0, data.length);
      out.close();
      dir.writeAll("meta.json", new byte[] {'{', '}'});
      assertEquals(List.of("chunks/000001", "meta.json"), dir.listAll().stream().sorted().toList());
      try (RandomAccessInput in = dir.openInput("chunks/000001")) {
        assertArrayEquals(data, in.readBytes(0, data.length));
        // The CRC read straight from the mapping equals the CRC of the bytes.
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data, 5, data.length - 9);
        assertEquals((int) crc.getValue(), in.crc32c(5, data.length - 9));
      }
      try (var files = Files.walk(dir.root())) {
        assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith(FsDirectory.TEMP_PREFIX)));
      }
    }
  }

  /** A block directory reached through a symbolic link (blocks linked into one directory) lists its files. */
  @Test
  void aDirectoryThatIsASymbolicLinkListsItsFiles() throws Exception {
    Path real = tmp.resolve("blocks/01REAL");
    Files.createDirectories(real.resolve("chunks"));
    Files.write(real.resolve("chunks/000001"), new byte[] {1});
    Files.write(real.resolve("index"), new byte[] {2});
    Path link = Files.createSymbolicLink(tmp.resolve("01LINK"), real);
    FsDirectory dir = new FsDirectory(link);
    assertEquals(List.of("chunks/000001", "index"), dir.listAll());
    assertEquals(1, dir.fileLength("chunks/000001"));
  }

  /** The child: writes {@code args[1]} bytes in one call to a file of a directory at {@code args[0]}. */
  public static final class BigWriteChild {
    public static void main(String[] args) throws Exception {
      byte[] data = new byte[Integer.parseInt(args[1])];
      java.util.Arrays.fill(data, (byte) 7);
      IndexOutput out = FsDirectory.scratch(Path.of(args[0])).createOutput("index");
      out.writeBytes(data, 0, data.length);
      out.close();
    }
  }

  /**
   * One write far larger than the JVM's direct memory (an index's symbol table of a million distinct label values
   * is 33 MB, against the CronJob's {@code -XX:MaxDirectMemorySize=16m}) goes to the file in slices: the JDK copies
   * a heap array through a temporary direct buffer of the size of each channel write.
   */
  @Test
  void aWriteBiggerThanTheDirectMemoryLimitGoesThrough() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("big"));
    ChildJvm.run(tmp, List.of("-XX:MaxDirectMemorySize=2m", "-Xmx64m"), BigWriteChild.class, dir.toString(),
        String.valueOf(12 << 20));
    assertEquals(12 << 20, Files.size(dir.resolve("index")));
  }
}
