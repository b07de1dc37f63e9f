package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;

class FilesystemBucketToolsTest extends BucketToolsCommandTest {
  Path root;

  @Override
  String newBucketYaml() throws Exception {
    root = Files.createDirectories(tmp.resolve("bucket"));
    return "type: FILESYSTEM\nconfig:\n  directory: " + root + "\n";
  }

  /** Dated by the commands' clock, as the commands' own bucket dates what it writes by theirs. */
  @Override
  Bucket openBucket() throws Exception {
    return new FilesystemBucket(root, CLOCK);
  }

  @Override
  boolean age(String key, Duration age) throws Exception {
    Files.setLastModifiedTime(root.resolve(key), FileTime.from(NOW.minus(age)));
    return true;
  }
}
