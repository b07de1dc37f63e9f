package io.tsdbcompactor.web;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The blocks API on a FILESYSTEM bucket. */
class FilesystemBlocksApiTest extends BlocksApiTest {
  @TempDir
  Path dir;

  @Override
  Bucket newBucket() throws Exception {
    return ObjstoreConfig.filesystem(dir).open();
  }
}
