package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.job.Sharding;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.web.BlockViewer;
import io.tsdbcompactor.web.BlocksApi;
import io.tsdbcompactor.web.ViewerPage;
import io.tsdbcompactor.web.WebConfig;
import io.tsdbcompactor.web.WebServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tools bucket web}: the block viewer of a bucket, with {@code thanos tools bucket web}'s flags; or, with
 * {@code --export=FILE.html}, one self-contained HTML file of the same view. Serves until interrupted.
 */
@Command(name = "web", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Web interface for remote storage bucket: the blocks of each group on a timeline, their marks, "
        + "the next run's plan. --export writes the same view to one HTML file instead.")
final class BucketWebCommand extends BucketToolsCommand.SyncingCommand {
  @Option(names = "--http-address", defaultValue = "0.0.0.0:10902", paramLabel = "<host:port>",
      description = "Listen host:port for HTTP endpoints (default ${DEFAULT-VALUE}; port 0 picks a free port).")
  String httpAddress;

  @Option(names = "--http-grace-period", defaultValue = "2m", converter = PromDurationConverter.class,
      description = "Time to wait after an interrupt for received HTTP requests. Default: ${DEFAULT-VALUE}.")
  Duration httpGracePeriod;

  @Option(names = "--http.config", defaultValue = "", paramLabel = "<file>",
      description = "Prometheus web config file: TLS, client CA, basic auth (bcrypt), headers.")
  String httpConfig;

  @Option(names = "--web.route-prefix", defaultValue = "", paramLabel = "<path>",
      description = "Prefix for API and UI endpoints. Defaults to the path of --web.external-prefix.")
  String routePrefix;

  @Option(names = "--web.external-prefix", defaultValue = "", paramLabel = "<url>",
      description = "Static prefix for all HTML links and redirect URLs in the UI (behind a reverse proxy).")
  String externalPrefix;

  @Option(names = "--web.prefix-header", defaultValue = "", paramLabel = "<header>",
      description = "Name of the HTTP request header used for dynamic prefixing of UI links and redirects; "
          + "ignored with --web.external-prefix.")
  String prefixHeader;

  @Option(names = "--web.disable-cors", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Do not send CORS headers.")
  boolean disableCors;

  @Option(names = "--refresh", defaultValue = "30m", converter = PromDurationConverter.class,
      description = "Refresh interval to download metadata from remote storage (default ${DEFAULT-VALUE}).")
  Duration refresh;

  @Option(names = "--timeout", defaultValue = "5m", converter = PromDurationConverter.class,
      description = "Timeout to download metadata from remote storage (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = {"--label", "--bucket-web-label"}, defaultValue = "", paramLabel = "<label>",
      description = "External block label to use as group title.")
  String label;

  @Option(names = "--disable-admin-operations", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Disable UI/API admin operations like marking blocks for deletion and no compaction.")
  boolean disableAdmin;

  @Option(names = "--export", paramLabel = "<FILE.html>",
      description = "Write the view to this self-contained HTML file (works offline) and exit, instead of serving.")
  Path export;

  @Option(names = "--retention.resolution-raw", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "Draw where this raw retention cuts (0d: none). Ours: the compactor's retention flags.")
  Duration retentionRaw;

  @Option(names = "--retention.resolution-5m", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "Draw where this 5m retention cuts (0d: none).")
  Duration retention5m;

  @Option(names = "--retention.resolution-1h", defaultValue = "0d", converter = PromDurationConverter.class,
      description = "Draw where this 1h retention cuts (0d: none).")
  Duration retention1h;

  @Option(names = "--deduplication.replica-label", split = ",", paramLabel = "<label>",
      description = "Replica labels the compactor removes when grouping (as its flag), so lanes match its groups.")
  List<String> replicaLabels = new java.util.ArrayList<>();

  @Override
  String name() {
    return "web";
  }

  @Override
  int run(Bucket bucket) throws IOException {
    WebConfig web = WebConfig.load(httpConfig).checked();
    BlockViewer.Settings settings = new BlockViewer.Settings(label, replicaLabels, Duration.ZERO, Duration.ZERO,
        metaConcurrency, dataDir, disableAdmin);
    RunPlanSource plan = new RunPlanSource(4, replicaLabels, new RetentionPolicy(retentionRaw, retention5m,
        retention1h), true, Sharding.NONE);
    CliEnvironment env = CliEnvironment.of(spec);
    try (BlockViewer viewer = new BlockViewer(bucket, settings, plan, env.clock())) {
      if (export != null) {
        BlockViewer.Snapshot s = viewer.refresh(timeout);
        if (s.err() != null && s.blocks().isEmpty()) {
          throw new IOException("reading the bucket failed: " + s.err());
        }
        Files.writeString(export, ViewerPage.export(s, settings), StandardCharsets.UTF_8);
        System.out.println("wrote " + s.blocks().size() + " blocks to " + export);
        return 0;
      }
      try (WebServer server = WebServer.start(httpAddress, web).gracePeriod(httpGracePeriod)) {
        BlocksApi.Options o = new BlocksApi.Options(routePrefix, externalPrefix, prefixHeader, disableCors);
        BlocksApi.mount(server, viewer, o);
        server.route("/-/healthy", ex -> WebServer.respond(ex, 200, "text/plain", "OK\n"));
        server.route("/-/ready", ex -> WebServer.respond(ex, 200, "text/plain", "OK\n"));
        viewer.refreshEvery(refresh, timeout);
        System.out.println("serving the block viewer on " + server.scheme() + "://"
            + hostForUrl(server) + ":" + server.port() + o.routePrefix() + "/blocks");
        System.out.flush();
        env.listener().serving(server.address());
        new CountDownLatch(1).await(); // until interrupted
        return 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      }
    }
  }

  private static String hostForUrl(WebServer server) {
    var a = server.address().getAddress();
    if (a.isAnyLocalAddress()) {
      return "localhost";
    }
    String h = a.getHostAddress();
    return h.contains(":") ? "[" + h + "]" : h;
  }
}
