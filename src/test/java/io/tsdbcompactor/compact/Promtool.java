package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs /usr/bin/promtool for tests; a missing promtool fails the test (it is part of the contract). */
final class Promtool {
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");

  private Promtool() {}

  /** {@code promtool tsdb dump DIR} (DIR gets the empty wal folder promtool needs). */
  static String dump(Path dbDir) throws IOException, InterruptedException {
    Files.createDirectories(dbDir.resolve("wal"));
    return run("tsdb", "dump", dbDir.toString());
  }

  /** {@code promtool tsdb analyze DIR ULID}; fails the test on a non-zero exit. */
  static String analyze(Path dbDir, String ulid) throws IOException, InterruptedException {
    Files.createDirectories(dbDir.resolve("wal"));
    return run("tsdb", "analyze", dbDir.toString(), ulid);
  }

  static String run(String... args) throws IOException, InterruptedException {
    assertTrue(Files.isExecutable(PROMTOOL), "promtool is required at " + PROMTOOL);
    List<String> cmd = new ArrayList<>();
    cmd.add(PROMTOOL.toString());
    cmd.addAll(List.of(args));
    Path outFile = Files.createTempFile("promtool", ".out");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(outFile.toFile()).start();
      int rc = p.waitFor();
      String out = Files.readString(outFile, StandardCharsets.UTF_8);
      assertEquals(0, rc, "promtool " + String.join(" ", args) + " failed:\n" + out);
      return out;
    } finally {
      Files.deleteIfExists(outFile);
    }
  }

  /** Copies a block directory tree. */
  static void copyTree(Path from, Path to) throws IOException {
    try (var s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }
}
