package io.tsdbcompactor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdbcompactor.compact.BlockRewriter;
import io.tsdbcompactor.labels.LabelMatchers;
import io.tsdbcompactor.labels.Relabeler;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** The options {@code tools bucket rewrite} and {@code tools block rewrite} share, with Thanos's names. */
final class RewriteOptions {
  @Option(names = "--dry-run", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Prints the series changes instead of doing them (default: true; pass --no-dry-run to rewrite).")
  boolean dryRun;

  @Option(names = "--rewrite.to-delete-config", paramLabel = "<content>",
      description = "YAML list of deletion requests: - matchers: '{name=\"value\"}' with optional intervals: [{mint: ms, maxt: ms}].")
  String toDelete;

  @Option(names = "--rewrite.to-delete-config-file", paramLabel = "<file-path>",
      description = "Path to the YAML file of --rewrite.to-delete-config.")
  Path toDeleteFile;

  @Option(names = "--rewrite.to-relabel-config", paramLabel = "<content>",
      description = "YAML list of Prometheus relabel rules applied to every series' labels (after the deletions): "
          + "series dropped or left without labels are deleted, series made equal are merged.")
  String toRelabel;

  @Option(names = "--rewrite.to-relabel-config-file", paramLabel = "<file-path>",
      description = "Path to the YAML file of --rewrite.to-relabel-config.")
  Path toRelabelFile;

  @Option(names = "--rewrite.add-change-log", arity = "0..1", defaultValue = "true", fallbackValue = "true",
      description = "Write every series change to a change log beside the new block (default: true; "
          + "--rewrite.add-change-log=false to turn off).")
  boolean changeLog;

  /**
   * The rewriter the deletion and relabel configurations describe (at least one of them must be given);
   * {@link IllegalArgumentException} naming what is wrong with them.
   */
  BlockRewriter rewriter() throws IOException {
    String deleteYaml = config("--rewrite.to-delete-config", toDelete, toDeleteFile);
    String relabelYaml = config("--rewrite.to-relabel-config", toRelabel, toRelabelFile);
    if (deleteYaml == null && relabelYaml == null) {
      throw new IllegalArgumentException("give --rewrite.to-delete-config(-file), --rewrite.to-relabel-config(-file) or both");
    }
    List<BlockRewriter.Deletion> deletions = deleteYaml == null ? List.of() : parseDeletions(deleteYaml);
    Relabeler relabeler = Relabeler.NONE;
    if (relabelYaml != null) {
      JsonNode root;
      try {
        root = new ObjectMapper(new YAMLFactory()).readTree(relabelYaml);
      } catch (IOException e) {
        throw new IllegalArgumentException("--rewrite.to-relabel-config is not valid YAML: " + e.getMessage(), e);
      }
      if (root == null || !root.isArray() || root.isEmpty()) {
        throw new IllegalArgumentException("--rewrite.to-relabel-config must be a non-empty list of relabel rules");
      }
      relabeler = Relabeler.parse(root, "--rewrite.to-relabel-config");
    }
    return new BlockRewriter(deletions, relabeler);
  }

  /** Parses Thanos's to-delete YAML ({@code - matchers: '{job="api"}'}, optional {@code intervals: [{mint, maxt}]}); {@link IllegalArgumentException} naming what is wrong. */
  private static List<BlockRewriter.Deletion> parseDeletions(String yaml) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException("--rewrite.to-delete-config is not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || root.isNull() || root.isMissingNode() || !root.isArray() || root.isEmpty()) {
      throw new IllegalArgumentException("--rewrite.to-delete-config must be a non-empty list of "
          + "{matchers: '{...}', intervals: [{mint, maxt}]}");
    }
    List<BlockRewriter.Deletion> out = new ArrayList<>();
    for (JsonNode r : root) {
      JsonNode m = r.get("matchers");
      if (m == null || !m.isTextual()) {
        throw new IllegalArgumentException("--rewrite.to-delete-config: each request needs matchers: '{name=\"value\"}'");
      }
      LabelMatchers matchers = LabelMatchers.parse(m.asText());
      List<io.tsdbcompactor.tombstones.Interval> intervals = new ArrayList<>();
      for (JsonNode iv : r.path("intervals")) {
        if (!iv.path("mint").canConvertToLong() || !iv.path("maxt").canConvertToLong()) {
          throw new IllegalArgumentException("--rewrite.to-delete-config: interval " + iv + " needs integer mint and maxt");
        }
        long lo = iv.get("mint").asLong();
        long hi = iv.get("maxt").asLong();
        if (hi < lo) {
          throw new IllegalArgumentException("--rewrite.to-delete-config: interval " + iv + " ends before it starts");
        }
        intervals.add(new io.tsdbcompactor.tombstones.Interval(lo, hi));
      }
      out.add(new BlockRewriter.Deletion(matchers, intervals));
    }
    return out;
  }

  /** The content of flag {@code name} or of the file {@code name-file} names; null when neither is given. */
  private static String config(String name, String content, Path file) throws IOException {
    if (content != null && file != null) {
      throw new IllegalArgumentException(name + " and " + name + "-file are mutually exclusive");
    }
    if (file != null) {
      try {
        return Files.readString(file);
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException(name + "-file " + file + " does not exist");
      }
    }
    return content;
  }

  /**
   * Where a rewrite's series changes go: printed on a dry run, written to {@code logFile} when the run is not dry
   * and a change log is asked for. Close it before printing anything after them.
   */
  ChangeLines changeLines(Path logFile) throws IOException {
    return new ChangeLines(dryRun, changeLog && !dryRun ? Files.newBufferedWriter(logFile, StandardCharsets.UTF_8) : null);
  }

  /**
   * One line per series deleted or changed. The printed lines go to standard output some 32 KiB at a time, in one
   * write each: printed one by one, a dry run over a million series made a million writes, a sixth of its time.
   */
  static final class ChangeLines implements Consumer<String>, Closeable {
    private static final int PRINT_BYTES = 32 << 10;
    private final StringBuilder printing;
    private final BufferedWriter log;

    private ChangeLines(boolean print, BufferedWriter log) {
      this.printing = print ? new StringBuilder(PRINT_BYTES + 256) : null;
      this.log = log;
    }

    @Override
    public void accept(String line) {
      if (printing != null) {
        printing.append(line).append(System.lineSeparator());
        if (printing.length() >= PRINT_BYTES) {
          printPending();
        }
      }
      if (log != null) {
        try {
          log.write(line);
          log.newLine();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }

    private void printPending() {
      System.out.print(printing);
      printing.setLength(0);
    }

    /** Prints what is left and closes the change log. */
    @Override
    public void close() throws IOException {
      if (printing != null) {
        printPending();
        System.out.flush();
      }
      if (log != null) {
        log.close();
      }
    }
  }
}
