package io.tsdbcompactor.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tools bucket upload-blocks} into a FILESYSTEM bucket. */
class FilesystemUploadBlocksTest {
  @TempDir
  Path tmp;

  private String yaml() throws Exception {
    return "type: FILESYSTEM\nconfig:\n  directory: " + Files.createDirectories(tmp.resolve("bucket")) + "\n";
  }

  @Test
  void uploadsADataDirectoryWhoseDumpEqualsTheBlocksOnce() throws Exception {
    UploadBlocksScenario.uploadsDumpEqualBlocksOnce(tmp, yaml());
  }

  @Test
  void refusesMissingLabelsAndSkipsACorruptBlock() throws Exception {
    UploadBlocksScenario.refusesBadInput(tmp, yaml());
  }
}
