package io.tsdbcompactor.benchmarks;

import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.S3Bucket;
import io.tsdbcompactor.bucket.S3Config;
import io.tsdbcompactor.bucket.S3FaultProxy;
import io.tsdbcompactor.bucket.S3ProxyServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.jclouds.blobstore.BlobStore;

/**
 * The recursive listing of a compactor's bucket through {@link S3Bucket}, page after page and in key ranges at once,
 * against S3Proxy (jclouds' in-memory store) behind {@link S3FaultProxy}, which holds every response back for a
 * round trip of the given length, as a distant store does. Prints the time, the requests and the keys of each.
 *
 * <p>The bucket: {@code --keys / 3.5} blocks of three or four objects (meta.json, index, one or two chunk files),
 * a third of them spread over 90 days and two thirds in the last three, as retention and the sidecars' uploads
 * leave them.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdbcompactor.benchmarks.S3ListingHarness \
 *     [--keys 20000] [--latency-ms 0,20,50,100] [--concurrency 1,8] [--reps 3]
 * </pre>
 */
public final class S3ListingHarness {
  private S3ListingHarness() {}

  public static void main(String[] args) throws Exception {
    int keys = 20_000;
    List<Integer> latencies = List.of(0, 20, 50, 100);
    List<Integer> concurrencies = List.of(1, 8);
    int reps = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--keys" -> keys = Integer.parseInt(args[++i]);
        case "--latency-ms" -> latencies = ints(args[++i]);
        case "--concurrency" -> concurrencies = ints(args[++i]);
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    try (S3ProxyServer s3proxy = S3ProxyServer.inMemory("listing")) {
      int written = fill(s3proxy.blobStore(), keys);
      System.out.printf(Locale.ROOT, "bucket: %d keys; S3Proxy (in memory) on port %d%n", written, s3proxy.port());
      for (int latency : latencies) {
        try (S3FaultProxy proxy = new S3FaultProxy(s3proxy.port(), 0, 1).latency(Duration.ofMillis(latency))) {
          for (int concurrency : concurrencies) {
            S3Config c = new S3Config();
            c.bucket = "listing";
            c.endpoint = proxy.endpoint();
            c.region = "us-east-1";
            c.accessKey = S3ProxyServer.ACCESS_KEY;
            c.secretKey = S3ProxyServer.SECRET_KEY;
            c.insecure = true;
            try (S3Bucket bucket = new S3Bucket(c).listConcurrency(concurrency)) {
              for (int rep = 0; rep < reps; rep++) {
                long requestsBefore = proxy.requests();
                long t0 = System.nanoTime();
                long[] listed = {0};
                bucket.list("", true, e -> ++listed[0] > 0);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (listed[0] != written) {
                  throw new IllegalStateException("listed " + listed[0] + " keys of " + written);
                }
                System.out.printf(Locale.ROOT, "latency %3d ms  requests at once %2d  %7.2f s  %4d requests  %d keys%n",
                    latency, concurrency, seconds, proxy.requests() - requestsBefore, listed[0]);
              }
            }
          }
        }
      }
    }
  }

  private static List<Integer> ints(String csv) {
    List<Integer> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      out.add(Integer.parseInt(s.trim()));
    }
    return out;
  }

  /** Writes about {@code keys} keys shaped like a compactor's bucket; returns how many. */
  private static int fill(BlobStore store, int keys) {
    Random random = new Random(42);
    long now = 1_795_000_000_000L;
    long day = 86_400_000L;
    int written = 0;
    while (written < keys) {
      boolean old = random.nextInt(3) == 0;
      long age = (long) (random.nextDouble() * (old ? 90 : 3) * day);
      String ulid = Ulid.generate(now - age, random).toString();
      List<String> files = new ArrayList<>(List.of("meta.json", "index", "chunks/000001"));
      if (random.nextBoolean()) {
        files.add("chunks/000002");
      }
      for (String f : files) {
        store.putBlob("listing", store.blobBuilder(ulid + "/" + f).payload(new byte[] {1}).build());
        written++;
      }
    }
    return written;
  }
}
