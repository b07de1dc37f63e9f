package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tsdbcompactor.store.ChildJvm;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
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
      String output = ChildJvm.run(tmp, ChildJvm.smallHeap("24m"), Child.class, yaml.toString(),
          "01SMALLHEAP/chunks/000001", file.toString());

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
