package io.tsdbcompactor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.compact.BlockRewriter;
import io.tsdbcompactor.labels.LabelMatchers;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.Markers;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tools bucket rewrite}: rewrites blocks without the series the deletion requests select
 * ({@link BlockRewriter}), with Thanos's flags. A dry run (the default) prints what would be deleted, with counts;
 * {@code --no-dry-run} uploads the new block (verified first, meta.json last) and, with {@code --delete-blocks},
 * marks the source for deletion only after that upload.
 */
@Command(name = "rewrite", mixinStandardHelpOptions = true,
    description = "Rewrite chosen blocks in the bucket, deleting series. The new block keeps the time range, "
        + "compaction level and labels; its compaction.sources is the new ULID and thanos.rewrites records the old "
        + "sources and the deletions, as Thanos writes. Dry run unless --no-dry-run.")
final class BucketRewriteCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin
  ObjstoreOptions objstore;

  @Option(names = "--id", required = true, paramLabel = "<ULID>", description = "ID (ULID) of the blocks for rewrite (repeated flag).")
  List<String> ids;

  @Option(names = "--tmp.dir", paramLabel = "<dir>",
      description = "Working directory for temporary files (default: <system temp>/tsdb-compactor-rewrite).")
  Path tmpDir;

  @Option(names = "--dry-run", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Prints the series changes instead of doing them (default: true; pass --no-dry-run to rewrite).")
  boolean dryRun;

  @Option(names = "--rewrite.to-delete-config", paramLabel = "<content>",
      description = "YAML list of deletion requests: - matchers: '{name=\"value\"}' with optional intervals: [{mint: ms, maxt: ms}].")
  String toDelete;

  @Option(names = "--rewrite.to-delete-config-file", paramLabel = "<file-path>",
      description = "Path to the YAML file of --rewrite.to-delete-config.")
  Path toDeleteFile;

  @Option(names = "--rewrite.to-relabel-config", paramLabel = "<content>", description = "Not supported yet.")
  String toRelabel;

  @Option(names = "--rewrite.to-relabel-config-file", paramLabel = "<file-path>", description = "Not supported yet.")
  Path toRelabelFile;

  @Option(names = "--rewrite.add-change-log", arity = "0..1", defaultValue = "true", fallbackValue = "true",
      description = "Write every change to change.log in the new block's working directory (default: true; --rewrite.add-change-log=false to turn off).")
  boolean changeLog;

  @Option(names = "--delete-blocks", description = "Mark the source blocks for deletion once their rewrite is uploaded.")
  boolean deleteBlocks;

  @Override
  public Integer call() {
    List<BlockRewriter.Deletion> deletions;
    try {
      for (String id : ids) {
        if (!Ulid.isValid(id)) {
          throw new IllegalArgumentException("'" + id + "' is not a block ULID");
        }
      }
      if (toRelabel != null || toRelabelFile != null) {
        throw new IllegalArgumentException("--rewrite.to-relabel-config is not supported yet; only deletions are");
      }
      deletions = parseDeletions(deleteConfig(toDelete, toDeleteFile));
    } catch (IOException | IllegalArgumentException e) {
      return BucketToolsCommand.fail("rewrite", e instanceof IOException ? new IllegalArgumentException(e.getMessage()) : e);
    }
    Clock clock = CliEnvironment.of(spec).clock();
    BlockRewriter rewriter = new BlockRewriter(deletions);
    try (Bucket bucket = objstore.open()) {
      for (String id : ids) {
        if (!bucket.exists(id + "/" + BlockMeta.FILE_NAME)) {
          throw new IllegalArgumentException("block " + id + " not found in bucket " + bucket.name() + " (no meta.json)");
        }
      }
      Path work = tmpDir != null ? tmpDir : Path.of(System.getProperty("java.io.tmpdir"), "tsdb-compactor-rewrite");
      Files.createDirectories(work);
      BlockTransfer.Options o = new BlockTransfer.Options();
      o.clock = clock;
      o.requireExternalLabels = false;
      for (String id : ids) {
        Path src = work.resolve(id);
        FileTree.delete(src);
        String newId = Ulid.now(clock).toString();
        Path out = work.resolve(newId);
        try {
          BlockMeta meta = new BlockTransfer(bucket, o).download(id, src);
          Files.createDirectories(out);
          Path logFile = out.resolve("change.log");
          try (BufferedWriter log = changeLog && !dryRun ? Files.newBufferedWriter(logFile, StandardCharsets.UTF_8) : null) {
            Consumer<String> changes = line -> {
              if (dryRun) {
                System.out.println(line);
              }
              if (log != null) {
                try {
                  log.write(line);
                  log.newLine();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            };
            BlockRewriter.Result r = rewriter.rewrite(meta, new FsDirectory(src), new FsDirectory(out), newId, dryRun, changes);
            String counts = r.seriesDeleted() + " of " + r.seriesTotal() + " series deleted, " + r.seriesModified()
                + " with samples deleted";
            if (dryRun) {
              System.out.println("dry run: block " + id + ": " + counts + "; nothing written (pass --no-dry-run)");
              continue;
            }
            if (r.meta() == null) {
              System.out.println("block " + id + ": every series deleted; no block written");
            } else {
              new BlockTransfer(bucket, o).upload(out);
              System.out.println("block " + id + " rewritten as " + newId + ": " + counts);
            }
          }
          if (deleteBlocks) {
            Markers.markForDeletion(bucket, id, "rewritten by tools bucket rewrite as " + newId, clock);
            System.out.println("marked " + id + " for deletion");
          }
          if (changeLog && !dryRun) {
            System.out.println("change log: " + out.resolve("change.log"));
          }
        } finally {
          FileTree.delete(src);
          keepOnlyChangeLog(out, changeLog && !dryRun);
        }
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return BucketToolsCommand.fail("rewrite", e);
    }
  }

  /** Parses Thanos's to-delete YAML ({@code - matchers: '{job="api"}'}, optional {@code intervals: [{mint, maxt}]}); {@link IllegalArgumentException} naming what is wrong. */
  static List<BlockRewriter.Deletion> parseDeletions(String yaml) {
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
  static String deleteConfig(String toDelete, Path toDeleteFile) throws IOException {
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

  private static void keepOnlyChangeLog(Path dir, boolean keep) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    if (!keep) {
      FileTree.delete(dir);
      return;
    }
    List<Path> all = new ArrayList<>();
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(all::add);
    }
    for (Path p : all) {
      if (!p.equals(dir) && !p.getFileName().toString().equals("change.log")) {
        Files.deleteIfExists(p);
      }
    }
  }
}
