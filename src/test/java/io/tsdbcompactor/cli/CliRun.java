package io.tsdbcompactor.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/** The CLI run in this JVM with its standard output and error captured: what the command tests call. */
final class CliRun {
  private CliRun() {}

  /** Makes a test's own result from an exit code and the captured output. */
  interface Maker<R> {
    R make(int code, String out, String err);
  }

  /**
   * Runs {@link Main} on {@code clock} (null: {@link CliEnvironment#SYSTEM}'s), capturing what it prints. One run at
   * a time in the JVM: {@code System.out} and {@code System.err} are the process's.
   */
  static synchronized <R> R run(Clock clock, Maker<R> make, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = clock == null ? Main.run(args)
          : Main.run(new CliEnvironment(clock, CliEnvironment.SYSTEM.listener()), args);
      return make.make(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
