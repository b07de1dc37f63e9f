package io.tsdbcompactor.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** External tools (promtool) and bucket-layout helpers for the acceptance tests; no project code used. */
final class Tools {
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  static final Pattern ULID = Pattern.compile("[0-9A-HJKMNP-TV-Z]{26}");

  private Tools() {}

  static String run(Path cwdOrNull, List<String> cmd) throws IOException, InterruptedException {
    assertTrue(Files.isExecutable(Path.of(cmd.get(0))), cmd.get(0) + " is required");
    Path outFile = Files.createTempFile("acc", ".out");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(outFile.toFile());
      if (cwdOrNull != null) {
        pb.directory(cwdOrNull.toFile());
      }
      int rc = pb.start().waitFor();
      String out = Files.readString(outFile, StandardCharsets.UTF_8);
      assertEquals(0, rc, String.join(" ", cmd) + " failed:\n" + out);
      return out;
    } finally {
      Files.deleteIfExists(outFile);
    }
  }

  static String promtool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(PROMTOOL.toString());
    cmd.addAll(List.of(args));
    return run(null, cmd);
  }

  /** Runs promtool's OpenMetrics import of each file into {@code outDir}, two at a time. */
  static void importOpenMetrics(List<Path> files, Path outDir) throws Exception {
    Files.createDirectories(outDir);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<String>> fs = new ArrayList<>();
      for (Path f : files) {
        fs.add(pool.submit(() -> promtool("tsdb", "create-blocks-from", "openmetrics", "-q", f.toString(),
            outDir.toString())));
      }
      for (Future<String> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /** The block directories (ULID names) directly under {@code dir}, sorted. */
  static List<Path> blocks(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> ULID.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)).sorted()
          .toList();
    }
  }

  /** Adds a Thanos section (sidecar source, resolution 0, these external labels) to a promtool meta.json. */
  static void addThanosSection(Path blockDir, Map<String, String> extLabels) throws IOException {
    Path meta = blockDir.resolve("meta.json");
    String json = Files.readString(meta).stripTrailing();
    assertTrue(json.endsWith("}") && !json.contains("\"thanos\""), json);
    StringBuilder sb = new StringBuilder(json.substring(0, json.length() - 1).stripTrailing());
    sb.append(",\n\t\"thanos\": {\n\t\t\"labels\": {");
    boolean first = true;
    for (Map.Entry<String, String> e : new TreeMap<>(extLabels).entrySet()) {
      sb.append(first ? "" : ",").append("\n\t\t\t\"").append(e.getKey()).append("\": \"").append(e.getValue())
          .append('"');
      first = false;
    }
    sb.append("\n\t\t},\n\t\t\"downsample\": {\n\t\t\t\"resolution\": 0\n\t\t},\n\t\t\"source\": \"sidecar\"\n\t}\n}\n");
    Files.writeString(meta, sb.toString());
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
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

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted((a, b) -> b.compareTo(a))::iterator) {
        Files.delete(p);
      }
    }
  }

  /** A minimal meta.json view, read with regexes (not the project's parser). */
  record Meta(String ulid, long minTime, long maxTime, int level, long resolution, String labels,
      List<String> sources, long numSamples) {}

  private static final Pattern MIN = Pattern.compile("\"minTime\":\\s*(-?\\d+)");
  private static final Pattern MAX = Pattern.compile("\"maxTime\":\\s*(-?\\d+)");
  private static final Pattern LEVEL = Pattern.compile("\"level\":\\s*(\\d+)");
  private static final Pattern RES = Pattern.compile("\"resolution\":\\s*(\\d+)");
  private static final Pattern LABELS = Pattern.compile("\"labels\":\\s*\\{([^}]*)\\}");
  private static final Pattern SOURCES = Pattern.compile("\"sources\":\\s*\\[([^\\]]*)\\]");
  private static final Pattern SAMPLES = Pattern.compile("\"numSamples\":\\s*(\\d+)");

  static Meta meta(Path blockDir) throws IOException {
    String j = Files.readString(blockDir.resolve("meta.json"));
    List<String> sources = new ArrayList<>();
    Matcher sm = SOURCES.matcher(j);
    if (sm.find()) {
      Matcher u = ULID.matcher(sm.group(1));
      while (u.find()) {
        sources.add(u.group());
      }
    }
    Matcher lm = LABELS.matcher(j);
    return new Meta(blockDir.getFileName().toString(), find(MIN, j), find(MAX, j), (int) find(LEVEL, j),
        RES.matcher(j).find() ? find(RES, j) : 0, lm.find() ? lm.group(1).replaceAll("\\s", "") : "", sources,
        find(SAMPLES, j));
  }

  private static long find(Pattern p, String s) {
    Matcher m = p.matcher(s);
    assertTrue(m.find(), "no " + p + " in " + s);
    return Long.parseLong(m.group(1));
  }

  /** Blocks of a filesystem bucket that are not marked for deletion. */
  static List<Meta> liveBlocks(Path bucket) throws IOException {
    List<Meta> out = new ArrayList<>();
    for (Path b : blocks(bucket)) {
      if (Files.exists(b.resolve("meta.json")) && !Files.exists(b.resolve("deletion-mark.json"))) {
        out.add(meta(b));
      }
    }
    out.sort((a, b) -> Long.compare(a.minTime(), b.minTime()));
    return out;
  }
}
