package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.downsample.DownsampleConfig;
import io.tsdbcompactor.job.CompactionRun;
import io.tsdbcompactor.job.RunOptions;
import io.tsdbcompactor.job.RunProgress;
import io.tsdbcompactor.job.ReportFile;
import io.tsdbcompactor.job.RunReport;
import io.tsdbcompactor.job.SampleBlocks;
import io.tsdbcompactor.job.Workers;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.metrics.MetricsServer;
import io.tsdbcompactor.metrics.Pushgateway;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.sync.MetaMemo;
import io.tsdbcompactor.web.BlockViewer;
import io.tsdbcompactor.web.BlocksApi;
import io.tsdbcompactor.web.WebConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import io.tsdbcompactor.tracing.Tracer;
import io.tsdbcompactor.tracing.Tracing;
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
    String tracingYaml;
    WebConfig web;
    try {
      web = WebConfig.load(c.httpConfig).checked();
      options = c.runOptions();
      DownsampleConfig.checkRetention(options.retention().raw().toMillis(),
          options.retention().fiveMinutes().toMillis(), options.downsampling());
      tracingYaml = c.tracingYaml();
    } catch (IllegalArgumentException | IOException e) {
      err.println("compact: " + ErrorText.of(e));
      return 2;
    }
    if (!c.demo && !c.objstoreGiven()) {
      // A CronJob that lost its Secret must fail, not compact a demo bucket and report success.
      err.println("compact: no bucket configured: pass --objstore.config-file=<bucket.yml> or --objstore.config=<yaml>"
          + " (Thanos's objstore YAML), or --demo to run on a generated demo bucket");
      return 2;
    }
    if (c.demo && c.objstoreGiven()) {
      err.println("compact: --demo and --objstore.config(-file) exclude each other");
      return 2;
    }
    logIgnoredFlags(c);
    Tracer tracer;
    try {
      tracer = tracingYaml == null ? Tracer.NOOP : OtlpTracer.fromYaml(tracingYaml);
    } catch (RuntimeException e) {
      err.println("compact: " + ErrorText.withCauses(e));
      return 2;
    }
    Tracer previous = Tracing.install(tracer);
    try {
      return openAndLaunch(c, options, web, env, out, err);
    } finally {
      tracer.shutdown();
      Tracing.install(previous);
    }
  }

  private static int openAndLaunch(CompactCommand c, RunOptions options, WebConfig web, CliEnvironment env,
      PrintStream out, PrintStream err) {
    Clock clock = env.clock();
    CompactorMetrics metrics = new CompactorMetrics(true);
    Bucket bucket;
    String bucketName;
    try {
      if (c.demo) {
        Path demoDir = options.dataDir().resolve("demo-bucket");
        ensureDemoBucket(demoDir, c.demoDays, clock.millis(), out);
        bucket = ObjstoreOptions.open(ObjstoreConfig.filesystem(demoDir), metrics, clock);
        bucketName = ObjstoreConfig.filesystem(demoDir).describe() + " (demo)";
      } else {
        ObjstoreConfig cfg = c.objstore.config();
        bucket = ObjstoreOptions.open(cfg, metrics, clock);
        bucketName = cfg.describe();
      }
    } catch (IOException | RuntimeException e) {
      err.println("compact: cannot open the bucket: " + ErrorText.withCauses(e));
      return 2;
    }
    return launch(c, options, web, bucket, bucketName, metrics, env, out, err);
  }

  private static int launch(CompactCommand c, RunOptions options, WebConfig web, Bucket bucket, String bucketName,
      CompactorMetrics metrics, CliEnvironment env, PrintStream out, PrintStream err) {
    Clock clock = env.clock();
    metrics.setConfig(options.deleteDelay(), options.consistencyDelay());
    boolean terminal = c.interactive();
    // One set of worker pools for the process, closed (awaiting what still runs) before the bucket is.
    try (bucket; Workers workers = Workers.forOptions(options)) {
      if (c.wait) {
        return waitLoop(c, options, web, bucket, metrics, env, err, workers);
      }
      RunProgress progress = terminal ? new TerminalProgress(err) : new LogProgress();
      CompactionRun run = new CompactionRun(bucket, options, metrics, clock, progress, workers);
      RunReport r;
      // A one-off run serves the endpoints only when --http-address is given (as the CronJob does), so a laptop
      // run does not take port 10902 by surprise.
      boolean serve = c.spec.commandLine().getParseResult().hasMatchedOption("--http-address");
      try (MetricsServer server = serve ? MetricsServer.start(c.httpAddress, web, metrics::scrape) : null) {
        if (server != null) {
          server.gracePeriod(c.httpGracePeriod).setReady(true);
          env.listener().serving(server.address());
        }
        r = run.run();
      } catch (IOException | RuntimeException e) {
        err.println("compact: run failed on " + bucketName + ": " + ErrorText.withCauses(e));
        metrics.runFinished(false, 1, clock.millis());
        push(c, options, metrics);
        env.listener().runEnded(false);
        return 1;
      }
      if (c.reportFile != null) {
        try {
          ReportFile.write(c.reportFile, r);
        } catch (IOException e) {
          r.fail("writing --report-file " + c.reportFile + " failed: " + ErrorText.of(e));
          if (options.dryRun()) {
            err.println("compact: writing --report-file " + c.reportFile + " failed: " + ErrorText.of(e));
            return 1;
          }
        }
      }
      if (options.dryRun()) {
        Summary.printPlan(out, bucketName, r);
        // What the run would report as failures (blocks it would set aside, first of all), and its exit code.
        Summary.printFailures(err, r.failures);
        env.listener().runEnded(r.success());
        return r.exitCode();
      }
      Summary.printReport(out, bucketName, r);
      Summary.printFailures(err, r.failures);
      finished(r, metrics);
      push(c, options, metrics);
      env.listener().runEnded(r.success());
      return r.exitCode();
    } catch (IOException e) {
      err.println("compact: closing the bucket failed: " + ErrorText.of(e));
      return 1;
    }
  }

  /** Metrics and the one warning line of a finished run. */
  private static void finished(RunReport r, CompactorMetrics metrics) {
    RunReport.HeldBack h = r.heldBack;
    metrics.setHeldBack("no-compact", h.noCompact());
    metrics.setHeldBack("no-downsample", h.noDownsample());
    metrics.setHeldBack("retention", h.retention());
    metrics.setHeldBack("unreadable-meta", h.unreadableMeta());
    if (h.total() > 0) {
      LOG.atWarn().addKeyValue("no_compact", h.noCompact()).addKeyValue("no_downsample", h.noDownsample())
          .addKeyValue("retention", h.retention()).addKeyValue("unreadable_meta", h.unreadableMeta())
          .log(h.describe());
    }
    if (r.success()) {
      metrics.iterations().increment();
    }
    metrics.runFinished(r.success(), r.failures.size(), r.endMillis);
  }

  /** Flags of Thanos's that change nothing here: said once, so nobody wonders. */
  private static void logIgnoredFlags(CompactCommand c) {
    var parsed = c.spec.commandLine().getParseResult();
    for (String flag : List.of("--enable-auto-gomemlimit", "--auto-gomemlimit.ratio", "--block-discovery-strategy",
        "--debug.halt-on-error", "--debug.accept-malformed-index", "--compact.skip-block-with-out-of-order-chunks",
        "--compact.enable-vertical-compaction")) {
      if (parsed.hasMatchedOption(flag)) {
        LOG.atInfo().addKeyValue("flag", flag).log("flag accepted for Thanos compatibility; it has no effect here"
            + " (see the README's differences from Thanos)");
      }
    }
  }

  /**
   * {@code --wait}: run, then again every {@code --wait-interval} (start to start), serving the endpoints and,
   * unless {@code --web.disable}, the block viewer; in between, clean up every {@code --compact.cleanup-interval}
   * and refresh the todo gauges every {@code --compact.progress-interval}, as Thanos's compactor does.
   */
  private static int waitLoop(CompactCommand c, RunOptions options, WebConfig web, Bucket bucket,
      CompactorMetrics metrics, CliEnvironment env, PrintStream err, Workers workers) {
    Clock clock = env.clock();
    // The runs, the background passes and the block viewer share what their syncs parsed: each block's meta.json
    // is read once, and held once.
    MetaMemo memo = new MetaMemo();
    ScheduledExecutorService background = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "compact-background");
      t.setDaemon(true);
      return t;
    });
    try (MetricsServer server = MetricsServer.start(c.httpAddress, web, metrics::scrape);
        BlockViewer viewer = c.webDisable ? null : blockViewer(c, options, bucket, clock, memo)) {
      if (viewer != null) {
        BlocksApi.mount(server.server(), viewer, new BlocksApi.Options(c.webRoutePrefix, c.webExternalPrefix,
            c.webPrefixHeader, c.webDisableCors));
        viewer.refreshEvery(c.viewerSyncInterval, c.viewerSyncTimeout);
      }
      server.gracePeriod(c.httpGracePeriod).setReady(true);
      LOG.atInfo().addKeyValue("address", server.server().scheme() + "://" + server.address().getHostString() + ":"
          + server.port()).log(viewer == null ? "serving /metrics, /-/healthy and /-/ready"
              : "serving /metrics, /-/healthy, /-/ready and the block viewer");
      env.listener().serving(server.address());
      scheduleBackground(background, c.cleanupInterval, "clean up", () -> {
        RunReport r = new CompactionRun(bucket, options, metrics, clock, new RunProgress() {}, workers, memo)
            .cleanUpOnly();
        for (String f : r.failures) {
          LOG.atWarn().addKeyValue("failure", f).log("background clean-up finished with a failure");
        }
      });
      scheduleBackground(background, c.progressInterval, "progress",
          () -> new CompactionRun(bucket, options.withDryRun(true), metrics, clock, new RunProgress() {}, workers, memo)
              .refreshProgress());
      long interval = c.waitInterval.toMillis();
      while (!Thread.currentThread().isInterrupted()) {
        long start = clock.millis();
        boolean success = false;
        try {
          RunReport r = new CompactionRun(bucket, options, metrics, clock, new LogProgress(), workers, memo).run();
          if (c.reportFile != null) {
            try {
              ReportFile.write(c.reportFile, r); // the latest run's actions
            } catch (IOException e) {
              r.fail("writing --report-file " + c.reportFile + " failed: " + ErrorText.of(e));
            }
          }
          for (String f : r.failures) {
            LOG.atWarn().addKeyValue("failure", f).log("run finished with a failure");
          }
          // What a one-off run prints as its summary, as one line per pass: a long-running process's log shows
          // each pass end and what it did.
          LOG.atInfo().addKeyValue("success", r.success())
              .addKeyValue("duration", Summary.duration(Duration.ofMillis(r.endMillis - r.startMillis)))
              .addKeyValue("compactions", r.compactions.get())
              .addKeyValue("compacted_blocks", r.compactedInputBlocks.get())
              .addKeyValue("downsampled_5m", r.downsampled5m.get())
              .addKeyValue("downsampled_1h", r.downsampled1h.get())
              .addKeyValue("retention_marked", r.retentionMarked.get())
              .addKeyValue("deleted", r.deletedBlocks.get())
              .addKeyValue("partial_deleted", r.deletedPartialBlocks.get())
              .log("run finished");
          if (!r.success()) {
            metrics.retries().increment();
          }
          finished(r, metrics);
          success = r.success();
        } catch (IOException | RuntimeException e) {
          if (Thread.currentThread().isInterrupted()) {
            // Stopping: the run's fan-outs waited for their workers before this was thrown, so nothing writes on.
            LOG.atInfo().addKeyValue("err", ErrorText.withCauses(e)).log("run interrupted; stopping");
            env.listener().runEnded(false);
            return 0;
          }
          metrics.retries().increment();
          metrics.runFinished(false, 1, clock.millis());
          LOG.atError().addKeyValue("err", ErrorText.withCauses(e)).log("run failed; retrying at the next interval");
        }
        push(c, options, metrics);
        env.listener().runEnded(success);
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
      err.println("compact: cannot serve on --http-address " + c.httpAddress + ": " + ErrorText.of(e));
      return 2;
    } finally {
      stop(background);
    }
  }

  /** Stops the background loops and waits for a running one to finish, so nothing writes after we return. */
  private static void stop(ScheduledExecutorService background) {
    background.shutdownNow();
    boolean interrupted = Thread.interrupted(); // we are stopping because of an interrupt: wait all the same
    try {
      background.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private interface BackgroundTask {
    void run() throws IOException;
  }

  /** Runs {@code task} every {@code every} after a first wait of the same length; 0 disables it. */
  private static void scheduleBackground(ScheduledExecutorService pool, Duration every, String name, BackgroundTask task) {
    if (every.isZero()) {
      return;
    }
    pool.scheduleWithFixedDelay(() -> {
      try {
        task.run();
      } catch (IOException | RuntimeException e) {
        LOG.atWarn().addKeyValue("err", ErrorText.withCauses(e)).log("background " + name + " failed");
      }
    }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The viewer of the run's bucket, planning with the run's own options. */
  private static BlockViewer blockViewer(CompactCommand c, RunOptions options, Bucket bucket, Clock clock,
      MetaMemo memo) {
    BlockViewer.Settings settings = new BlockViewer.Settings(c.bucketWebLabel, options.replicaLabels(),
        options.consistencyDelay(), options.deleteDelay(), options.tuning().metaFetchConcurrency(),
        options.dataDir().resolve("block-viewer"), c.disableAdminOperations);
    RunPlanSource plan = new RunPlanSource(options.tuning().maxCompactionLevel(), options.replicaLabels(),
        options.retention(), options.downsampling(), options.sharding())
        .withPartitionLimits(options.tuning().maxBlockSeries(), options.tuning().blockMaxIndexSizeBytes());
    return new BlockViewer(bucket, settings, plan, clock, memo);
  }

  /**
   * Pushes the metrics when a Pushgateway is configured. A failed push is a warning and
   * {@code tsdb_compactor_pushgateway_push_failures_total}, never the run's outcome: the run's work is done, and
   * a Pushgateway that is down must not make a CronJob retry it.
   */
  private static void push(CompactCommand c, RunOptions options, CompactorMetrics metrics) {
    if (c.pushgatewayUrl == null || c.pushgatewayUrl.isBlank()) {
      return;
    }
    Map<String, String> grouping = new LinkedHashMap<>();
    if (options.sharding().enabled()) {
      grouping.put("shard", Integer.toString(options.sharding().index()));
    }
    try {
      new Pushgateway(c.pushgatewayUrl).push(c.pushgatewayJob, grouping, metrics.scrape());
    } catch (IOException | IllegalArgumentException e) {
      metrics.pushgatewayFailures().increment();
      LOG.atWarn().addKeyValue("url", c.pushgatewayUrl).addKeyValue("err", ErrorText.withCauses(e))
          .log("pushing metrics to the Pushgateway failed; the run's result stands");
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
}
