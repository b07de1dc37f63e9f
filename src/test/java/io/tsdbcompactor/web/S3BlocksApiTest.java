package io.tsdbcompactor.web;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The blocks API on an S3 bucket served by S3Proxy on 127.0.0.1. */
class S3BlocksApiTest extends BlocksApiTest {
  @TempDir
  static Path serverDir;
  static S3ProxyServer s3;
  static final AtomicInteger N = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    s3 = new S3ProxyServer(serverDir);
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
  }

  @Override
  Bucket newBucket() throws Exception {
    String name = "viewer-" + N.incrementAndGet();
    S3TestBuckets.create(s3.config(name));
    return ObjstoreConfig.parse(s3.yaml(name, 5L * 1024 * 1024)).open();
  }
}
