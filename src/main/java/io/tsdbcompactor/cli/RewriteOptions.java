package io.tsdbcompactor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdbcompactor.compact.BlockRewriter;
import io.tsdbcompactor.labels.LabelMatchers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  @Option(names = "--rewrite.add-change-log", arity = "0..1", defaultValue = "true", fallbackValue = "true",
      description = "Write every series change to a change log beside the new block (default: true; "
          + "--rewrite.add-change-log=false to turn off).")
  boolean changeLog;

  /** The deletion requests given; {@link IllegalArgumentException} naming what is wrong with them. */
  List<BlockRewriter.Deletion> deletions() throws IOException {
    return parseDeletions(deleteConfig(toDelete, toDeleteFile));
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

  /** The content of {@code --rewrite.to-delete-config} or of the file {@code --rewrite.to-delete-config-file} names. */
  private static String deleteConfig(String toDelete, Path toDeleteFile) throws IOException {
    if (toDelete != null && toDeleteFile != null) {
      throw new IllegalArgumentException("--rewrite.to-delete-config and --rewrite.to-delete-config-file are mutually exclusive");
    }
    if (toDeleteFile != null) {
      try {
        return Files.readString(toDeleteFile);
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("--rewrite.to-delete-config-file " + toDeleteFile + " does not exist");
      }
    }
    if (toDelete == null) {
      throw new IllegalArgumentException("give --rewrite.to-delete-config or --rewrite.to-delete-config-file");
    }
    return toDelete;
  }
}
