package io.tsdbcompactor.cli;

import java.net.InetSocketAddress;
import java.time.Clock;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What an in-process caller gives the command line in place of the process's own (no flag sets it): the clock
 * every command reads its time from, and a listener told what the caller would otherwise have to poll for (the
 * bound HTTP port, the end of each run; the tests wait on these).
 * {@link Main#main} uses {@link #SYSTEM}; tests call {@link Main#run(CliEnvironment, String...)}.
 */
public record CliEnvironment(Clock clock, Listener listener) {
  /** The system clock; nobody listening. */
  public static final CliEnvironment SYSTEM = new CliEnvironment(Clock.systemUTC(), new Listener() {});

  /** Events of {@code compact}; called from the thread running the command. */
  public interface Listener {
    /** The HTTP endpoints listen on {@code address} (the bound port when {@code --http-address} gave port 0). */
    default void serving(InetSocketAddress address) {}

    /** A compaction run ended (each run of {@code --wait}); {@code success} as its exit code would say. */
    default void runEnded(boolean success) {}
  }

  /** The environment of the command line {@code spec} belongs to ({@link #SYSTEM} outside {@link Main}). */
  static CliEnvironment of(CommandSpec spec) {
    return spec != null && spec.root().userObject() instanceof Main m ? m.environment() : SYSTEM;
  }
}
