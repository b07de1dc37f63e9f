package io.tsdbcompactor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tsdb-compactor} command tree: {@code compact} and {@code tools block|bucket ...}. */
@Command(
    name = "tsdb-compactor",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Compacts and downsamples Prometheus TSDB blocks in object storage; a drop-in for thanos compact.",
    subcommands = {CompactCommand.class, ToolsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  private final CliEnvironment environment;

  private Main(CliEnvironment environment) {
    this.environment = environment;
  }

  /** How long SIGTERM (or Ctrl-C) waits for the interrupted command to finish what its workers started. */
  static final Duration SHUTDOWN_GRACE = Duration.ofMinutes(2);

  public static void main(String[] args) {
    // SIGTERM (a Kubernetes pod stopping, Ctrl-C) runs the shutdown hooks and then halts the JVM, daemon worker
    // threads and all. The hook interrupts the command instead and waits for it to return, so a run or a --wait
    // loop stops as an interrupted one does: its fan-outs wait for the uploads and marks their workers started.
    Thread command = Thread.currentThread();
    CountDownLatch returned = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (returned.getCount() == 0) {
        return; // the command ended and called System.exit
      }
      command.interrupt();
      try {
        returned.await(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "shutdown"));
    int code = run(args);
    returned.countDown();
    System.exit(code);
  }

  /** Runs the command line and returns the exit code (tests call this instead of main). */
  public static int run(String... args) {
    return run(CliEnvironment.SYSTEM, args);
  }

  /** As {@link #run(String...)} with the given clock and listener (tests that fix "now" or wait for events). */
  public static int run(CliEnvironment environment, String... args) {
    if (!JsonLineStream.requested(args)) {
      return commandLine(environment).execute(args);
    }
    PrintStream out = System.out;
    PrintStream err = System.err;
    Clock clock = environment.clock();
    PrintStream jsonOut = new PrintStream(new JsonLineStream(out, "info", clock), true, StandardCharsets.UTF_8);
    PrintStream jsonErr = new PrintStream(new JsonLineStream(err, "error", clock), true, StandardCharsets.UTF_8);
    System.setOut(jsonOut);
    System.setErr(jsonErr);
    try {
      return commandLine(environment).execute(args);
    } finally {
      jsonOut.close();
      jsonErr.close();
      System.setOut(out);
      System.setErr(err);
    }
  }

  /**
   * The command tree. Boolean flags also take kingpin's {@code --no-<flag>} form (Thanos's flags are kingpin
   * flags, so {@code --no-wait} or {@code --no-debug.halt-on-error} may be in an operator's arguments).
   */
  static CommandLine commandLine(CliEnvironment environment) {
    CommandLine cl = new CommandLine(new Main(environment)).setCaseInsensitiveEnumValuesAllowed(true);
    // picocli's default negation skips names with dots (--debug.halt-on-error); kingpin negates every long flag.
    cl.setNegatableOptionTransformer(new CommandLine.RegexTransformer.Builder()
        .addPattern("^--no-(.+)$", "--$1", "--[no-]$1")
        .addPattern("^--(.+)$", "--no-$1", "--[no-]$1")
        .build());
    // A wrong flag gets its error and a pointer to --help, not the whole usage (which would bury the error in a
    // CronJob's log).
    cl.setParameterExceptionHandler((ex, args) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println(ex.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
      err.println("See '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the flags.");
      err.flush();
      return ex.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
    });
    return cl;
  }

  CliEnvironment environment() {
    return environment;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /**
   * {@code --version}: the POM's version and the git commit, which the build writes into
   * {@code io/tsdbcompactor/version.properties}. A build without git (a source tarball) has commit "unknown".
   */
  static final class Version implements CommandLine.IVersionProvider {
    static final String RESOURCE = "/io/tsdbcompactor/version.properties";

    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream(RESOURCE)) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"tsdb-compactor " + value(p, "version") + " (commit " + value(p, "commit") + ")"};
    }

    /** A missing or unfiltered value (still "${...}") is "unknown". */
    private static String value(Properties p, String key) {
      String v = p.getProperty(key, "").trim();
      return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    }
  }
}
