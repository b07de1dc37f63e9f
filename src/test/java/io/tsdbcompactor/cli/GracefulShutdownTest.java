package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM (what Kubernetes sends a pod) stops {@code compact --wait} through its normal unwinding. */
class GracefulShutdownTest {
  @Test
  void sigtermStopsTheWaitLoopAndTheCommandUnwindsBeforeTheJvmExits(@TempDir Path tmp) throws Exception {
    Path bucket = Files.createDirectories(tmp.resolve("bucket"));
    String yaml = "type: FILESYSTEM\nconfig:\n  directory: " + bucket + "\n";
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp, "io.tsdbcompactor.cli.Main", "compact",
        "--objstore.config=" + yaml, "--data-dir=" + tmp.resolve("data"), "--wait", "--wait-interval=1h",
        "--http-address=127.0.0.1:0");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      // The log line naming the bound address is the signal that the loop is up and its server listening.
      while ((line = r.readLine()) != null) {
        out.append(line).append('\n');
        if (line.contains("serving /metrics")) {
          break;
        }
      }
      assertTrue(out.toString().contains("serving /metrics"), out.toString());
      // SIGTERM from outside: Process.destroy would also close our end of the child's output.
      Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).inheritIO().start();
      assertEquals(0, kill.waitFor(), "kill -TERM");
      while ((line = r.readLine()) != null) {
        out.append(line).append('\n');
      }
    } finally {
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
      }
    }
    assertEquals(143, p.exitValue(), "the exit status of a process ended by SIGTERM\n" + out);
    String log = out.toString();
    assertTrue(log.contains("received a termination signal"), log);
    assertTrue(log.contains("stopped after the termination signal"), "the command unwound first\n" + log);
  }

  /** An error escaping the command (an OutOfMemoryError while planning, say) does not hold the JVM's exit. */
  @Test
  void anErrorEscapingTheCommandReleasesTheShutdownHook() throws Exception {
    java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    OutOfMemoryError thrown = new OutOfMemoryError("Java heap space");
    OutOfMemoryError caught = org.junit.jupiter.api.Assertions.assertThrows(OutOfMemoryError.class,
        () -> Main.runThenRelease(new String[0], finished, a -> {
          throw thrown;
        }));
    assertEquals(thrown, caught);
    assertEquals(0, finished.getCount(), "released while the error propagates");
    // The hook the JVM then runs has nothing to wait for: it returns without interrupting anyone.
    Thread command = new Thread(() -> { });
    Thread hook = Main.gracefulShutdown(command, finished);
    hook.start();
    hook.join(TimeUnit.SECONDS.toMillis(10));
    assertTrue(!hook.isAlive() && !command.isInterrupted(), "the hook returned at once");
    assertEquals(7, Main.runThenRelease(new String[0], new java.util.concurrent.CountDownLatch(1), a -> 7));
  }
}
