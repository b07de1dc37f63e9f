package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.downsample.DownsampleConfig;
import io.tsdbcompactor.job.CompactionRun;
import io.tsdbcompactor.job.RunOptions;
import io.tsdbcompactor.job.RunProgress;
import io.tsdbcompactor.job.RunReport;
import io.tsdbcompactor.job.SampleBlocks;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.metrics.MetricsServer;
import io.tsdbcompactor.metrics.Pushgateway;
import io.tsdbcompactor.web.BlockViewer;
import io.tsdbcompactor.web.BlocksApi;
import io.tsdbcompactor.web.WebConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code compact} does around a {@link CompactionRun}: open the bucket (or the demo bucket), one run or
 * the {@code --wait} loop with the HTTP endpoints, the summary, failure lines, the Pushgateway push and the exit
 * code (0: bucket in its target state; 1: something failed, one line each on stderr; 2: bad flags or config).
 */
final class CompactLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(CompactLauncher.class);

  private CompactLauncher() {}

  static int launch(CompactCommand c, CliEnvironment env) {
    Clock clock = env.clock();
    PrintStream out = System.out;
    PrintStream err = System.err;
    RunOptions options;
    WebConfig web;
    try {
      web = WebConfig.load(c.httpConfig).checked();
      options = c.runOptions();
      DownsampleConfig.checkRetention(options.retention().raw().toMillis(),
          options.retention().fiveMinutes().toMillis(), options.downsampling());
    } catch (IllegalArgumentException | IOException e) {
      err.println("compact: " + e.getMessage());
      return 2;
    }

    Bucket bucket;
    String bucketName;
    try {
      if (c.demo || !c.objstoreGiven()) {
        Path demoDir = options.dataDir().resolve("demo-bucket");
        if (!c.demo) {
          out.println("compact: no --objstore.config(-file) given: running on the demo bucket " + demoDir);
        }
        ensureDemoBucket(demoDir, c.demoDays, clock.millis(), out);
        bucket = ObjstoreConfig.filesystem(demoDir).open();
        bucketName = "demo " + demoDir;
      } else {
        ObjstoreConfig cfg = c.objstore.config();
        bucket = cfg.open();
        bucketName = cfg.toString();
      }
    } catch (IOException | RuntimeException e) {
      err.println("compact: cannot open the bucket: " + CompactionRunOneLine.of(e));
      return 2;
    }

    CompactorMetrics metrics = new CompactorMetrics(true);
    metrics.setConfig(options.deleteDelay(), options.consistencyDelay());
    boolean terminal = System.console() != null && !c.wait;
    try (bucket) {
      if (c.wait) {
        return waitLoop(c, options, web, bucket, metrics, env, err);
      }
      RunProgress progress = terminal ? new TerminalProgress(err) : new LogProgress();
      CompactionRun run = new CompactionRun(bucket, options, metrics, clock, progress);
      RunReport r;
      // A one-off run serves the endpoints only when --http-address is given (as the CronJob does), so a laptop
      // run does not take port 10902 by surprise.
      boolean serve = c.spec.commandLine().getParseResult().hasMatchedOption("--http-address");
      try (MetricsServer server = serve ? MetricsServer.start(c.httpAddress, web, metrics::scrape) : null) {
        if (server != null) {
          server.setReady(true);
          env.listener().serving(server.address());
        }
        r = run.run();
      } catch (IOException | RuntimeException e) {
        err.println("compact: run failed on bucket " + bucketName + ": " + CompactionRunOneLine.of(e));
        metrics.runFinished(false, 1, clock.millis());
        push(c, options, metrics, err);
        env.listener().runEnded(false);
        return 1;
      }
      if (options.dryRun()) {
        Summary.printPlan(out, bucketName, r.plan);
        env.listener().runEnded(true);
        return 0;
      }
      Summary.printReport(out, bucketName, r);
      Summary.printFailures(err, r.failures, r.holds);
      if (r.success()) {
        metrics.iterations().increment();
      }
      metrics.runFinished(r.success(), r.failures.size() + r.holds.size(), r.endMillis);
      boolean pushed = push(c, options, metrics, err);
      env.listener().runEnded(r.success() && pushed);
      return r.success() && pushed ? 0 : 1;
    } catch (IOException e) {
      err.println("compact: closing the bucket failed: " + e.getMessage());
      return 1;
    }
  }

  /**
   * {@code --wait}: run, then again every {@code --wait-interval} (start to start), serving the endpoints and,
   * unless {@code --web.disable}, the block viewer.
   */
  private static int waitLoop(CompactCommand c, RunOptions options, WebConfig web, Bucket bucket,
      CompactorMetrics metrics, CliEnvironment env, PrintStream err) {
    Clock clock = env.clock();
    try (MetricsServer server = MetricsServer.start(c.httpAddress, web, metrics::scrape);
        BlockViewer viewer = c.webDisable ? null : blockViewer(c, options, bucket, clock)) {
      if (viewer != null) {
        BlocksApi.mount(server.server(), viewer, new BlocksApi.Options(c.webRoutePrefix, c.webExternalPrefix,
            c.webPrefixHeader, c.webDisableCors));
        viewer.refreshEvery(c.viewerSyncInterval, c.viewerSyncTimeout);
      }
      server.setReady(true);
      LOG.atInfo().addKeyValue("address", server.server().scheme() + "://" + server.address().getHostString() + ":"
          + server.port()).log(viewer == null ? "serving /metrics, /-/healthy and /-/ready"
              : "serving /metrics, /-/healthy, /-/ready and the block viewer");
      env.listener().serving(server.address());
      long interval = c.waitInterval.toMillis();
      while (!Thread.currentThread().isInterrupted()) {
        long start = clock.millis();
        boolean success = false;
        try {
          RunReport r = new CompactionRun(bucket, options, metrics, clock, new LogProgress()).run();
          for (String f : r.failures) {
            LOG.atWarn().addKeyValue("failure", f).log("run finished with a failure");
          }
          if (r.success()) {
            metrics.iterations().increment();
          } else {
            metrics.retries().increment();
          }
          metrics.runFinished(r.success(), r.failures.size() + r.holds.size(), r.endMillis);
          success = r.success();
        } catch (IOException | RuntimeException e) {
          metrics.retries().increment();
          metrics.runFinished(false, 1, clock.millis());
          LOG.atError().addKeyValue("err", CompactionRunOneLine.of(e)).log("run failed; retrying at the next interval");
        }
        boolean pushed = push(c, options, metrics, err);
        env.listener().runEnded(success && pushed);
        long sleep = start + interval - clock.millis();
        if (sleep > 0) {
          Thread.sleep(sleep);
        }
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("compact: cannot serve on --http-address " + c.httpAddress + ": " + e.getMessage());
      return 2;
    }
  }

  /** The viewer of the run's bucket, planning with the run's own options. */
  private static BlockViewer blockViewer(CompactCommand c, RunOptions options, Bucket bucket, Clock clock) {
    BlockViewer.Settings settings = new BlockViewer.Settings(c.bucketWebLabel, options.replicaLabels(),
        options.consistencyDelay(), options.deleteDelay(), options.tuning().metaFetchConcurrency(),
        options.dataDir().resolve("block-viewer"), c.disableAdminOperations);
    RunPlanSource plan = new RunPlanSource(options.tuning().maxCompactionLevel(), options.replicaLabels(),
        options.retention(), options.downsampling(), options.sharding());
    return new BlockViewer(bucket, settings, plan, clock);
  }

  /** Pushes the metrics when a Pushgateway is configured; false (and one line) when the push fails. */
  private static boolean push(CompactCommand c, RunOptions options, CompactorMetrics metrics, PrintStream err) {
    if (c.pushgatewayUrl == null || c.pushgatewayUrl.isBlank()) {
      return true;
    }
    Map<String, String> grouping = new LinkedHashMap<>();
    if (options.sharding().enabled()) {
      grouping.put("shard", Integer.toString(options.sharding().index()));
    }
    try {
      new Pushgateway(c.pushgatewayUrl).push(c.pushgatewayJob, grouping, metrics.scrape());
      return true;
    } catch (IOException | IllegalArgumentException e) {
      err.println("compact: pushing metrics failed: " + e.getMessage());
      return false;
    }
  }

  /** Creates the demo bucket with generated blocks unless it already holds some. */
  static void ensureDemoBucket(Path dir, int days, long nowMillis, PrintStream out) throws IOException {
    Files.createDirectories(dir);
    try (Stream<Path> s = Files.list(dir)) {
      if (s.findAny().isPresent()) {
        return;
      }
    }
    long t0 = System.nanoTime();
    List<io.tsdbcompactor.block.BlockMeta> metas =
        new SampleBlocks(SampleBlocks.Spec.demo(days)).write(dir, nowMillis);
    long samples = metas.stream().mapToLong(m -> m.stats.numSamples).sum();
    out.printf("compact: generated demo bucket %s: %d raw blocks over %d days, %d samples (%.1fs)%n", dir, metas.size(),
        days, samples, (System.nanoTime() - t0) / 1e9);
  }

  /** One-line error text: the message chain, no stack. */
  static final class CompactionRunOneLine {
    static String of(Throwable e) {
      StringBuilder sb = new StringBuilder();
      for (Throwable t = e; t != null; t = t.getCause()) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (sb.indexOf(m) < 0) {
          if (sb.length() > 0) {
            sb.append(": ");
          }
          sb.append(m);
        }
      }
      return sb.toString().replace('\n', ' ');
    }
  }
}
