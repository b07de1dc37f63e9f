package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreeTest {
  @TempDir Path tmp;

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writeAtomicallyReplacesTheTargetWithTheTimeAndLeavesNoTemporary() throws IOException {
    Path target = tmp.resolve("meta.json");
    Files.write(target, new byte[] {1});
    FileTime time = FileTime.from(Instant.parse("2026-01-02T03:04:05Z"));
    for (boolean durable : new boolean[] {false, true}) {
      FileTree.writeAtomically(tmp.resolve(".part"), target, t -> Files.write(t, new byte[] {2, 3}), time, durable);
      assertArrayEquals(new byte[] {2, 3}, Files.readAllBytes(target));
      assertEquals(time, Files.getLastModifiedTime(target));
      assertEquals(List.of("meta.json"), names());
    }
  }

  @Test
  void aFailedWriteLeavesTheTargetAsItWasAndRemovesTheTemporary() throws IOException {
    Path target = tmp.resolve("report.json");
    Files.write(target, new byte[] {1});
    IOException e = assertThrows(IOException.class, () -> FileTree.writeAtomically(tmp.resolve("report.json.tmp"),
        target, t -> {
          Files.write(t, new byte[] {9, 9});
          throw new IOException("stream ended early");
        }, null, true));
    assertEquals("stream ended early", e.getMessage());
    assertArrayEquals(new byte[] {1}, Files.readAllBytes(target));
    assertEquals(List.of("report.json"), names());
  }

  @Test
  void moveIntoPlacePublishesADirectoryAndBytesGoThroughTheSuffixedName() throws IOException {
    Path part = tmp.resolve("01ABC.tmp-for-creation");
    Files.createDirectories(part.resolve("chunks"));
    FileTree.writeAtomically(part.resolve("index"), ".download", new byte[] {7});
    FileTree.moveIntoPlace(part, tmp.resolve("01ABC"));
    assertEquals(List.of("01ABC"), names());
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(tmp.resolve("01ABC/index")));
    assertFalse(Files.exists(tmp.resolve("01ABC/index.download")));
  }
}
