package io.tsdbcompactor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
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

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (tests call this instead of main). */
  public static int run(String... args) {
    return run(CliEnvironment.SYSTEM, args);
  }

  /** As {@link #run(String...)} with the given clock and listener (tests that fix "now" or wait for events). */
  public static int run(CliEnvironment environment, String... args) {
    return new CommandLine(new Main(environment)).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
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
