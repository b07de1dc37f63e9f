package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs Prometheus 2.42's promtool (/usr/bin/promtool) for tests. Missing promtool is a test failure, never a
 * skip: these tests are the proof of compatibility. promtool may write into a database directory (wal,
 * chunks_head), so it only ever runs on copies in temporary directories.
 */
public final class Promtool {
  static final Path BINARY = Path.of("/usr/bin/promtool");

  private Promtool() {}

  public record Result(int exitCode, String stdout, String stderr) {}

  public static Result run(String... args) throws IOException, InterruptedException {
    assertTrue(Files.isExecutable(BINARY), "promtool is required at " + BINARY + " (apt-get install prometheus)");
    List<String> cmd = new ArrayList<>();
    cmd.add(BINARY.toString());
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("promtool-out", ".txt");
    Path err = Files.createTempFile("promtool-err", ".txt");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        fail("promtool did not finish: " + cmd);
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** A fresh database directory (with the empty wal folder promtool needs) holding copies of the blocks. */
  static Path database(Path tempRoot, List<Path> blocks) throws IOException {
    Path db = Files.createTempDirectory(tempRoot, "db");
    Files.createDirectories(db.resolve("wal"));
    for (Path b : blocks) {
      copyTree(b, db.resolve(b.getFileName().toString()));
    }
    return db;
  }

  static void copyTree(Path src, Path dst) throws IOException {
    try (Stream<Path> walk = Files.walk(src)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path t = dst.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** promtool tsdb dump of copies of the given blocks, optionally with --min-time / --max-time. */
  public static String dump(Path tempRoot, List<Path> blocks, Long minT, Long maxT) throws Exception {
    Path db = database(tempRoot, blocks);
    List<String> args = new ArrayList<>(List.of("tsdb", "dump"));
    if (minT != null) {
      args.add("--min-time=" + minT);
    }
    if (maxT != null) {
      args.add("--max-time=" + maxT);
    }
    args.add(db.toString());
    Result r = run(args.toArray(new String[0]));
    if (r.exitCode() != 0) {
      fail("promtool tsdb dump failed (" + r.exitCode() + "): " + r.stderr());
    }
    return r.stdout();
  }
}
