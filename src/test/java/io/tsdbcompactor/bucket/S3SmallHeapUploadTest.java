package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block file bigger than the heap goes up to S3 in parts bigger than the heap: the parts of a local file are read
 * from the disk as they are sent, never held in memory. Proven in a child JVM with a 24 MiB heap uploading a 48 MiB
 * file in 32 MiB parts to S3Proxy; read from a stream, the first part alone would not fit.
 */
class S3SmallHeapUploadTest {

  /** The child: uploads one file with {@code Bucket.upload(key, Path)} through the objstore YAML given. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      try (Bucket bucket = ObjstoreConfig.parse(Files.readString(Path.of(args[0]))).open()) {
        bucket.upload(args[1], Path.of(args[2]));
      }
    }
  }

  @Test
  void aFileLargerThanTheHeapUploadsInPartsLargerThanTheHeap(@TempDir Path tmp) throws Exception {
    int partSize = 32 * 1024 * 1024;
    byte[] data = new byte[48 * 1024 * 1024]; // two parts: 32 MiB and 16 MiB
    new Random(7).nextBytes(data);
    Path file = Files.write(tmp.resolve("000001"), data);
    try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")))) {
      S3TestBuckets.create(server.config("smallheap"));
      Path yaml = Files.writeString(tmp.resolve("objstore.yaml"), server.yaml("smallheap", partSize));
      Path log = tmp.resolve("child.log");
      String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx24m",
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp, Child.class.getName(), yaml.toString(),
          "01SMALLHEAP/chunks/000001", file.toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the upload finished");
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), "the child failed:\n" + output);

      try (S3Bucket bucket = new S3Bucket(server.config("smallheap"))) {
        assertEquals(data.length, bucket.attributes("01SMALLHEAP/chunks/000001").size());
        MessageDigest uploaded = MessageDigest.getInstance("SHA-256");
        try (InputStream in = bucket.get("01SMALLHEAP/chunks/000001")) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) > 0; ) {
            uploaded.update(buf, 0, n);
          }
        }
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), uploaded.digest());
      }
    }
  }
}
