package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ConfigException;
import io.tsdbcompactor.bucket.GoDuration;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.metrics.Pushgateway;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tools bucket}: look at and act on the blocks of a bucket, with the flags of {@code thanos tools bucket}
 * where they mean the same. Exit codes: 0 success, 1 a failure or (verify) problems found, 2 bad usage or
 * configuration.
 */
@Command(name = "bucket", mixinStandardHelpOptions = true, description = "Tools for buckets of blocks.",
    subcommands = {BucketLsCommand.class, BucketInspectCommand.class, BucketVerifyCommand.class,
        BucketMarkCommand.class, BucketCleanupCommand.class, BucketWebCommand.class,
        BucketReplicateCommand.class, BucketUploadBlocksCommand.class, BucketRewriteCommand.class,
        BucketRetentionCommand.class, BucketDownsampleCommand.class})
public final class BucketToolsCommand implements Runnable {
  /** Thanos takes the objstore flags on {@code tools bucket} itself, so they may come before the subcommand. */
  @Mixin
  ObjstoreOptions objstore;

  /** Job name of the metrics the commands push. */
  static final String TOOLS_JOB = "tsdb-compactor-tools";

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Runs a sync with progress on a terminal. */
  static SyncResult sync(Bucket bucket, Path dataDir, BlockSyncer.Options options) throws IOException {
    BlockSyncer.Progress p = ConsoleProgress.forTerminal();
    options.progress = p;
    try {
      return new BlockSyncer(bucket, dataDir, options).sync();
    } finally {
      if (p instanceof ConsoleProgress c) {
        c.finish();
      }
    }
  }

  /**
   * {@link #sync} bounded by {@code timeout}, as Thanos's {@code --timeout} bounds the metadata fetch of {@code ls}
   * and {@code inspect}: past it the sync is interrupted and the command fails. A zero timeout has passed before
   * anything is read, as a Go context with a zero timeout has.
   */
  static SyncResult sync(Bucket bucket, Path dataDir, BlockSyncer.Options options, Duration timeout)
      throws IOException {
    String limit = "reading the bucket's block metadata took longer than --timeout=" + GoDuration.format(timeout);
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IOException(limit);
    }
    java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "tools-bucket-sync");
      t.setDaemon(true);
      return t;
    });
    java.util.concurrent.Future<SyncResult> f = ex.submit(() -> sync(bucket, dataDir, options));
    try {
      return f.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      f.cancel(true);
      throw new IOException(limit);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading the bucket", e);
    } finally {
      ex.shutdownNow();
    }
  }

  static int fail(String command, Exception e) {
    System.err.println("tools bucket " + command + ": " + ErrorText.of(e));
    return e instanceof ConfigException || e instanceof IllegalArgumentException ? 2 : 1;
  }

  /** Shared flags of the commands that sync. */
  abstract static class SyncingCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin
    ObjstoreOptions objstore;

    @CommandLine.ParentCommand
    BucketToolsCommand parent;
    @Mixin
    PushOptions push;

    @Option(names = "--block-meta-fetch-concurrency", defaultValue = "32", paramLabel = "<n>",
        description = "Number of threads fetching block metadata and markers from object storage (default ${DEFAULT-VALUE}).")
    int metaConcurrency;

    @Option(names = "--data-dir", paramLabel = "<dir>",
        description = "Optional local directory for the meta.json cache (meta-syncer/), so a re-run does not fetch metas again.")
    Path dataDir;

    BlockSyncer.Options syncOptions() {
      BlockSyncer.Options o = new BlockSyncer.Options();
      o.concurrency = metaConcurrency;
      o.consistencyDelay = Duration.ZERO; // tools show every block, fresh or not
      o.deleteDelay = Duration.ZERO;
      o.clock = CliEnvironment.of(spec).clock();
      return o;
    }

    abstract String name();

    abstract int run(Bucket bucket) throws IOException;

    @Override
    public Integer call() {
      CompactorMetrics metrics = new CompactorMetrics(false);
      try (Bucket bucket = objstore.orElse(parent.objstore).open(metrics, CliEnvironment.of(spec).clock())) {
        return run(bucket);
      } catch (IOException | RuntimeException e) {
        return fail(name(), e);
      } finally {
        push.push(name(), metrics);
      }
    }
  }

  /**
   * Where a command run as a Job (cleanup, mark) pushes its objstore metrics at its end, as job
   * {@code tsdb-compactor-tools} grouped by command, so the bucket alerts see its failures too; the same
   * environment variable as {@code compact}'s. A failed push is a warning, never the command's failure.
   */
  static final class PushOptions {
    @Option(names = "--metrics.pushgateway-url", paramLabel = "<url>",
        defaultValue = "${env:TSDB_COMPACTOR_PUSHGATEWAY_URL:-}",
        description = "Push the objstore metrics to this Pushgateway at the end (job " + TOOLS_JOB + ").")
    String url;

    void push(String command, CompactorMetrics metrics) {
      if (url == null || url.isBlank()) {
        return;
      }
      try {
        new Pushgateway(url).push(TOOLS_JOB, Map.of("command", command), metrics.scrape());
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("tools bucket " + command + ": warning: pushing metrics failed: " + ErrorText.of(e));
      }
    }
  }

  /** Left-aligned columns. */
  static final class Table {
    static void print(PrintStream out, List<String[]> rows, String sep) {
      int cols = rows.get(0).length;
      int[] width = new int[cols];
      for (String[] r : rows) {
        for (int i = 0; i < cols; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      }
      for (String[] r : rows) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cols; i++) {
          if (i > 0) {
            sb.append(sep);
          }
          sb.append(r[i]);
          if (i < cols - 1) {
            sb.append(" ".repeat(width[i] - r[i].length()));
          }
        }
        out.println(sb.toString().stripTrailing());
      }
    }
  }
}
