package io.tsdbcompactor.bucket;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * {@link S3FaultProxy} as a process of its own, for {@code benchmarks/scale.sh FAULTS=rate}: a compaction at scale
 * through the faults the test suite injects. Its port goes to a file once it listens (written whole, by rename);
 * on SIGTERM it prints how many faults of each kind it injected, and how many requests it saw.
 *
 * <pre>java -cp target/test-classes io.tsdbcompactor.bucket.S3FaultProxyMain UPSTREAM_PORT_FILE PORT_FILE RATE SEED</pre>
 */
public final class S3FaultProxyMain {
  private S3FaultProxyMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: S3FaultProxyMain UPSTREAM_PORT_FILE PORT_FILE RATE SEED");
      System.exit(2);
    }
    int upstream = Integer.parseInt(Files.readString(Path.of(args[0])).trim());
    // Stalls around the 5 s response_header_timeout scale.sh sets: some are waited out, some time out and retry.
    S3FaultProxy proxy = new S3FaultProxy(upstream, Double.parseDouble(args[2]), Long.parseLong(args[3]))
        .stall(Duration.ofSeconds(1), Duration.ofSeconds(8));
    Path portFile = Path.of(args[1]);
    Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
    Files.writeString(tmp, Integer.toString(proxy.port()));
    Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      StringBuilder line = new StringBuilder("faults injected:");
      for (S3FaultProxy.Fault f : S3FaultProxy.Fault.values()) {
        line.append(' ').append(f.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(proxy.injected(f));
      }
      System.out.println(line.append(" of ").append(proxy.requests()).append(" requests"));
      stopped.countDown();
    }));
    stopped.await();
  }
}
