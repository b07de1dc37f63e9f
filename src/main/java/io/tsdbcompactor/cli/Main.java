package io.tsdbcompactor.cli;

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

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"tsdb-compactor " + (v == null ? "dev" : v)};
    }
  }
}
