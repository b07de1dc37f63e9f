package io.tsdbcompactor.cli;

import java.nio.file.Files;

/** The relabel rewrite tests on a FILESYSTEM bucket. */
class FilesystemBucketRewriteRelabelTest extends BucketRewriteRelabelTest {
  @Override
  String newBucketYaml() throws Exception {
    return "type: FILESYSTEM\nconfig:\n  directory: " + Files.createDirectories(tmp.resolve("bucket")) + "\n";
  }
}
