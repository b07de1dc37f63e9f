package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The relabel rewrite tests on S3Proxy on 127.0.0.1. */
class S3BucketRewriteRelabelTest extends BucketRewriteRelabelTest {
  @TempDir
  static Path serverDir;
  static S3ProxyServer server;
  static final AtomicInteger N = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    server = new S3ProxyServer(serverDir);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Override
  String newBucketYaml() throws Exception {
    String name = "rewrite-" + N.incrementAndGet();
    S3TestBuckets.create(server.config(name));
    return server.yaml(name, 5L * 1024 * 1024);
  }
}
