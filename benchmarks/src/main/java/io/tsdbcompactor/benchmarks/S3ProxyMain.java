package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.bucket.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real S3 server for {@code scale.sh BUCKET=s3}: S3Proxy on 127.0.0.1 serving the directory given (jclouds'
 * filesystem provider: a bucket is a sub-directory, an object a file under it), with the tests' credentials
 * ({@link S3ProxyServer#ACCESS_KEY}). Writes the port it bound to {@code portFile} once it serves, then serves
 * until killed. {@code --in-memory=BUCKET} in place of the directory holds the objects in memory instead
 * (jclouds' transient provider), in one empty bucket of that name: for buckets of many small objects
 * ({@code BigBucketHarness --objstore-config}).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdbcompactor.benchmarks.S3ProxyMain DIR|--in-memory=BUCKET PORT_FILE
 * </pre>
 */
public final class S3ProxyMain {
  private S3ProxyMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: S3ProxyMain DIR|--in-memory=BUCKET PORT_FILE");
      System.exit(2);
    }
    S3ProxyServer server =
        args[0].startsWith("--in-memory=") ? S3ProxyServer.inMemory(args[0].substring("--in-memory=".length()))
            : new S3ProxyServer(Path.of(args[0]));
    Path tmp = Path.of(args[1] + ".tmp");
    Files.writeString(tmp, Integer.toString(server.port()));
    Files.move(tmp, Path.of(args[1]), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Thread.currentThread().join();
  }
}
