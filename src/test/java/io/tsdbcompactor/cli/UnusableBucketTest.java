package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compact} on a bucket it cannot use stops at once with one line naming the endpoint and the cause, instead
 * of retrying for a minute and a half.
 */
class UnusableBucketTest {
  private record Result(int code, String err) {}

  private static synchronized Result compact(String yaml, Path dataDir) {
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(new String[] {"compact", "--objstore.config=" + yaml, "--data-dir=" + dataDir});
      return new Result(code, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(oldErr);
    }
  }

  private static String yaml(String bucket, String endpoint, String secret) {
    return "type: S3\nconfig:\n  bucket: " + bucket + "\n  endpoint: " + endpoint + "\n  access_key: "
        + S3ProxyServer.ACCESS_KEY + "\n  secret_key: " + secret + "\n  insecure: true\n";
  }

  @Test
  void refusedConnectionNamesTheEndpoint(@TempDir Path tmp) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Result r = compact(yaml("tsdb", "127.0.0.1:" + port, "x"), tmp);
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("bucket tsdb at http://127.0.0.1:" + port) && r.err().contains("connection refused"),
        r.err());
  }

  @Test
  void wrongSecretNamesTheS3ErrorCodeAndNotTheSecret(@TempDir Path tmp) throws Exception {
    try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")))) {
      S3TestBuckets.create(server.config("tsdb"));
      Result r = compact(yaml("tsdb", server.endpoint(), "Wrong-Secret-4711"), tmp.resolve("data"));
      assertNotEquals(0, r.code());
      assertTrue(r.err().contains("403") && r.err().contains("SignatureDoesNotMatch")
          && r.err().contains(server.endpoint()), r.err());
      assertTrue(!r.err().contains("Wrong-Secret-4711"), r.err());
    }
  }
}
