package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class ErrorTextTest {
  @Test
  void fileSystemErrorsThatCarryOnlyAPathSayWhatWentWrongWithIt() {
    // What Files.createDirectories throws for a data dir the process may not write: the path and nothing else.
    assertEquals("/data/compact", new AccessDeniedException("/data/compact").getMessage());
    assertEquals("/data/compact: permission denied", ErrorText.of(new AccessDeniedException("/data/compact")));
    assertEquals("a/index -> b/index: no such file or directory",
        ErrorText.of(new NoSuchFileException("a/index", "b/index", null)));
    assertEquals("/data/x: file exists", ErrorText.of(new FileAlreadyExistsException("/data/x")));
  }

  @Test
  void aReasonTheSystemGaveIsKept() {
    assertEquals("/data/d/demo: Not a directory",
        ErrorText.of(new FileSystemException("/data/d/demo", null, "Not a directory")));
    assertEquals("/data: permission denied by policy",
        ErrorText.of(new AccessDeniedException("/data", null, "permission denied by policy")));
  }

  @Test
  void otherErrorsGiveTheirMessageOrTheirNameOnOneLine() {
    assertEquals("bad chunk at offset 7", ErrorText.of(new IOException("bad chunk\nat offset 7")));
    assertEquals("NullPointerException", ErrorText.of(new NullPointerException()));
  }

  @Test
  void withCausesJoinsEachMessageOnce() {
    IOException denied = new AccessDeniedException("/data/compact");
    assertEquals("compaction failed: /data/compact: permission denied",
        ErrorText.withCauses(new IOException("compaction failed", denied)));
    // A wrapper whose message is its cause's toString() repeats nothing.
    assertEquals("java.io.IOException: gone",
        ErrorText.withCauses(new UncheckedIOException(new IOException("gone"))));
  }
}
