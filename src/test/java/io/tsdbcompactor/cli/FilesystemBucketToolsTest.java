package io.tsdbcompactor.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

class FilesystemBucketToolsTest extends BucketToolsCommandTest {
  Path root;

  @Override
  String newBucketYaml() throws Exception {
    root = Files.createDirectories(tmp.resolve("bucket"));
    return "type: FILESYSTEM\nconfig:\n  directory: " + root + "\n";
  }

  @Override
  boolean age(String key, Duration age) throws Exception {
    Files.setLastModifiedTime(root.resolve(key), FileTime.from(Instant.now().minus(age)));
    return true;
  }
}
