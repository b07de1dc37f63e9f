package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockTransfer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tools bucket upload-blocks}: backfill. Uploads the blocks of a Prometheus data directory with a Thanos
 * section (the {@code --label} external labels, resolution 0, source {@code bucket.upload} as Thanos's shipper
 * writes for this command), skipping what is not a block (wal, chunks_head, lock files) and blocks the bucket
 * already has. Each block is verified (index, chunks, stats) before anything of it is uploaded; a block that
 * fails is reported and not uploaded, the others still are. The data directory is not modified: the block's
 * files are staged (hard links where possible) next to a rewritten meta.json in a temporary directory.
 */
@Command(name = "upload-blocks", mixinStandardHelpOptions = true,
    description = "Upload the blocks of a Prometheus data directory to the bucket (backfill), with external labels.")
final class BucketUploadBlocksCommand implements Callable<Integer> {
  static final String SOURCE = "bucket.upload";

  @Spec CommandSpec spec;

  @Mixin
  ObjstoreOptions objstore;

  @Option(names = "--path", defaultValue = "./data", paramLabel = "<dir>",
      description = "Path to the directory containing blocks to upload (default ${DEFAULT-VALUE}).")
  Path path;

  @Option(names = "--label", paramLabel = "<name>=\"<value>\"",
      description = "External labels to add to the uploaded blocks (repeated), e.g. --label='cluster=\"eu1\"'. Required.")
  List<String> labels = new ArrayList<>();

  @Option(names = "--tmp.dir", paramLabel = "<dir>", description = "Where blocks are staged (default: the system's temporary directory).")
  Path tmpDir;

  @Override
  public Integer call() {
    Map<String, String> external;
    try {
      external = parseLabels(labels);
      if (external.isEmpty()) {
        throw new IllegalArgumentException("no external labels configured (--label): uniquely identifying external "
            + "labels must be given");
      }
      if (!Files.isDirectory(path)) {
        throw new IllegalArgumentException("unable to access path '" + path + "': not a directory");
      }
    } catch (IllegalArgumentException e) {
      return BucketToolsCommand.fail("upload-blocks", e);
    }
    BlockTransfer.Options o = new BlockTransfer.Options();
    o.clock = CliEnvironment.of(spec).clock();
    int uploaded = 0;
    int present = 0;
    List<String> failed = new ArrayList<>();
    try (Bucket bucket = objstore.open()) {
      Path staging = tmpDir == null ? Files.createTempDirectory("tsdb-compactor-upload")
          : Files.createTempDirectory(Files.createDirectories(tmpDir), "upload");
      try {
        for (Path block : blocks(path)) {
          String ulid = block.getFileName().toString();
          if (bucket.exists(ulid + "/" + BlockMeta.FILE_NAME)) {
            System.out.println("block " + ulid + " already in bucket " + bucket.name() + "; skipped");
            present++;
            continue;
          }
          try {
            Path staged = stage(block, staging.resolve(ulid), external);
            List<String> problems = BlockVerifier.verify(new FsDirectory(staged));
            if (!problems.isEmpty()) {
              throw new IOException("verification failed: " + String.join("; ", problems));
            }
            new BlockTransfer(bucket, o).upload(staged);
            System.out.println("uploaded block " + ulid);
            uploaded++;
          } catch (IOException | RuntimeException e) {
            System.err.println("block " + block + ": not uploaded: " + ErrorText.of(e));
            failed.add(ulid);
          } finally {
            FileTree.delete(staging.resolve(ulid));
          }
        }
      } finally {
        FileTree.delete(staging);
      }
    } catch (IOException | RuntimeException e) {
      return BucketToolsCommand.fail("upload-blocks", e);
    }
    System.out.println("uploaded " + uploaded + " blocks; " + present + " already in the bucket; " + failed.size()
        + " failed");
    return failed.isEmpty() ? 0 : 1;
  }

  /** The block directories under {@code dir}: named by a ULID, with a meta.json (so never the head or wal). */
  static List<Path> blocks(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Ulid.isValid(p.getFileName().toString()) && Files.isRegularFile(p.resolve(BlockMeta.FILE_NAME)))
          .sorted().toList();
    }
  }

  /** A copy of the block (links where the file system allows) whose meta.json has the Thanos section. */
  private static Path stage(Path block, Path staged, Map<String, String> external) throws IOException {
    Path metaFile = block.resolve(BlockMeta.FILE_NAME);
    BlockMeta meta = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    BlockMeta.Thanos t = meta.thanos();
    t.labels = new TreeMap<>(external);
    t.resolution = 0;
    t.source = SOURCE;
    Files.createDirectories(staged.resolve("chunks"));
    linkOrCopy(block.resolve("index"), staged.resolve("index"));
    Path chunks = block.resolve("chunks");
    if (Files.isDirectory(chunks)) {
      try (Stream<Path> s = Files.list(chunks)) {
        for (Path c : (Iterable<Path>) s::iterator) {
          linkOrCopy(c, staged.resolve("chunks").resolve(c.getFileName().toString()));
        }
      }
    }
    Path tombstones = block.resolve("tombstones");
    if (Files.isRegularFile(tombstones)) {
      linkOrCopy(tombstones, staged.resolve("tombstones"));
    }
    Files.write(staged.resolve(BlockMeta.FILE_NAME), meta.toJsonBytes());
    return staged;
  }

  private static void linkOrCopy(Path from, Path to) throws IOException {
    try {
      Files.createLink(to, from);
    } catch (UnsupportedOperationException | IOException e) {
      Files.copy(from, to);
    }
  }

  /** {@code name="value"} flags (quotes optional) as a map; {@link IllegalArgumentException} naming a bad one. */
  static Map<String, String> parseLabels(List<String> flags) {
    Map<String, String> out = new TreeMap<>();
    for (String s : flags) {
      int eq = s.indexOf('=');
      if (eq <= 0 || !s.substring(0, eq).matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
        throw new IllegalArgumentException("label '" + s + "' is not name=\"value\"");
      }
      String v = s.substring(eq + 1);
      if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
        v = v.substring(1, v.length() - 1);
      }
      out.put(s.substring(0, eq), v);
    }
    return out;
  }
}
