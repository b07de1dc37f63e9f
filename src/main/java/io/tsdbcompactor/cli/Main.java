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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tsdb-compactor} command tree: {@code compact} and {@code tools block|bucket ...}. */
@Command(
    name = "tsdb-compactor",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Compacts and downsamples Prometheus TSDB blocks in object storage; a drop-in for thanos compact.")
public final class Main implements Runnable {
  private final CliEnvironment environment;

  private Main(CliEnvironment environment) {
    this.environment = environment;
  }

  /**
   * How long a SIGTERM or Ctrl-C waits for the command to stop: the run stops at its next step and the HTTP
   * server has its {@code --http-grace-period} (2m by default). Kubernetes kills the pod after its own
   * {@code terminationGracePeriodSeconds} whatever this says; the bound is for a run that does not stop.
   */
  static final Duration SHUTDOWN_BOUND = Duration.ofMinutes(3);

  public static void main(String[] args) {
    CountDownLatch finished = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(gracefulShutdown(Thread.currentThread(), finished));
    System.exit(runThenRelease(args, finished, Main::run));
  }

  /**
   * Runs the command and then releases the shutdown hook, also when the command throws: an error escaping it (an
   * OutOfMemoryError, say) ends the JVM through its shutdown hooks, and a hook still waiting for the command
   * would hold the process for {@link #SHUTDOWN_BOUND} before it could exit.
   */
  static int runThenRelease(String[] args, CountDownLatch finished, java.util.function.ToIntFunction<String[]> command) {
    try {
      return command.applyAsInt(args);
    } finally {
      finished.countDown();
    }
  }

  /**
   * The shutdown hook: interrupts the command's thread, as Thanos cancels its run on SIGTERM, and holds the JVM
   * until the command has unwound (servers closed after their grace period, the run's threads stopped), so a
   * signal ends the process as cleanly as the end of a run. Without it the JVM would halt at once, mid-request.
   */
  static Thread gracefulShutdown(Thread command, CountDownLatch finished) {
    return new Thread(() -> {
      if (finished.getCount() == 0) {
        return; // System.exit after the command returned: nothing to stop
      }
      Logger log = LoggerFactory.getLogger(Main.class);
      log.info("received a termination signal; stopping");
      command.interrupt();
      try {
        if (finished.await(SHUTDOWN_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
          log.info("stopped after the termination signal");
        } else {
          log.warn("the command did not stop within {}; exiting anyway", SHUTDOWN_BOUND);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "graceful-shutdown");
  }

  /** Runs the command line and returns the exit code (tests call this instead of main). */
  public static int run(String... args) {
    return run(CliEnvironment.SYSTEM, args);
  }

  /** As {@link #run(String...)} with the given clock and listener (tests that fix "now" or wait for events). */
  public static int run(CliEnvironment environment, String... args) {
    if (!JsonLineStream.requested(args)) {
      return commandLine(environment, args).execute(args);
    }
    PrintStream out = System.out;
    PrintStream err = System.err;
    Clock clock = environment.clock();
    PrintStream jsonOut = new PrintStream(new JsonLineStream(out, "info", clock), true, StandardCharsets.UTF_8);
    PrintStream jsonErr = new PrintStream(new JsonLineStream(err, "error", clock), true, StandardCharsets.UTF_8);
    System.setOut(jsonOut);
    System.setErr(jsonErr);
    try {
      return commandLine(environment, args).execute(args);
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
    return commandLine(environment, null);
  }

  /**
   * The command tree for {@code args}: for a {@code compact} command line, the {@code compact} subcommand alone.
   * Picocli builds the model of every command it is given, and building the {@code tools} tree (its 20-odd
   * subcommands) cost about 0.1 s of each CronJob run's start, in the interpreter.
   */
  static CommandLine commandLine(CliEnvironment environment, String[] args) {
    CommandLine cl = new CommandLine(new Main(environment));
    cl.addSubcommand(CompactCommand.class);
    if (args == null || args.length == 0 || !args[0].equals("compact")) {
      cl.addSubcommand(ToolsCommand.class);
      cl.addSubcommand(CommandLine.HelpCommand.class);
    }
    // The settings below reach the subcommands added so far, so they come after them.
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // picocli's default negation skips names with dots (--debug.halt-on-error); kingpin negates every long flag.
    cl.setNegatableOptionTransformer(new CommandLine.RegexTransformer.Builder()
        .addPattern("^--no-(.+)$", "--$1", "--[no-]$1")
        .addPattern("^--(.+)$", "--no-$1", "--[no-]$1")
        .build());
    // A wrong flag gets its error and a pointer to --help, not the whole usage (which would bury the error in a
    // CronJob's log).
    cl.setParameterExceptionHandler((ex, given) -> {
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
    commandLine(environment).usage(System.out);
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
