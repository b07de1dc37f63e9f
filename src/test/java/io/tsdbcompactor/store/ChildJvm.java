package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A class's {@code main} run in a JVM of its own: for the tests that prove a memory bound (the test's own JVM has a
 * large heap, so only a child started with small limits can fail when the bound is broken), and for those that kill
 * a run.
 */
public final class ChildJvm {
  /** The flags of a small-heap child: the heap given, the serial collector, C1 only (quick to start). */
  public static List<String> smallHeap(String xmx) {
    return List.of("-Xmx" + xmx, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  }

  /**
   * Runs {@code main} with {@code options} and {@code args} on the tests' class path, its output going to a log in
   * {@code dir}; fails the test unless it exits 0 within three minutes, showing the log. Returns the output.
   */
  public static String run(Path dir, List<String> options, Class<?> main, String... args)
      throws IOException, InterruptedException {
    Path log = dir.resolve(main.getSimpleName() + ".log");
    Process p = start(log, options, main, args);
    boolean finished = p.waitFor(3, TimeUnit.MINUTES);
    if (!finished) {
      p.destroyForcibly().waitFor(1, TimeUnit.MINUTES);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(finished, "the child " + main.getSimpleName() + " did not finish in 3 minutes:\n" + output);
    assertEquals(0, p.exitValue(), "the child " + main.getSimpleName() + " failed:\n" + output);
    return output;
  }

  /**
   * Starts {@code main} with {@code options} and {@code args} on the tests' class path, its output going to
   * {@code log}.
   */
  public static Process start(Path log, List<String> options, Class<?> main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(options);
    cmd.add("-cp");
    cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private ChildJvm() {}
}
