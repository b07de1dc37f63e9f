package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.compact.BlockRewriter;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.nio.file.Files;
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
 * ({@link BlockRewriter}), with Thanos's flags. A dry run (the default) prints what would be deleted, with counts,
 * from the block's index alone; {@code --no-dry-run} rewrites the block while it comes down and uploads the new one
 * while it is written (verified before its meta.json, which goes last) and, with {@code --delete-blocks}, marks the
 * source for deletion only after that upload.
 */
@Command(name = "rewrite", mixinStandardHelpOptions = true,
    description = "Rewrite chosen blocks in the bucket, deleting and/or relabelling series. The new block keeps the time range, "
        + "compaction level and labels; its compaction.sources is the new ULID and thanos.rewrites records the old "
        + "sources and the deletions, as Thanos writes. Dry run unless --no-dry-run.")
final class BucketRewriteCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin
  ObjstoreOptions objstore;

  @Mixin
  RewriteOptions rewrite;

  @Option(names = "--id", required = true, paramLabel = "<ULID>", description = "ID (ULID) of the blocks for rewrite (repeated flag).")
  List<String> ids;

  @Option(names = "--tmp.dir", paramLabel = "<dir>",
      description = "Working directory for temporary files (default: <system temp>/tsdb-compactor-rewrite).")
  Path tmpDir;

  @Option(names = "--prom-blocks",
      description = "The blocks are only used with Prometheus: rewrite and upload blocks without external labels, "
          + "which are refused otherwise (as Thanos refuses them).")
  boolean promBlocks;

  @Option(names = "--delete-blocks", description = "Mark the source blocks for deletion once their rewrite is uploaded.")
  boolean deleteBlocks;

  @Override
  public Integer call() {
    BlockRewriter rewriter;
    try {
      for (String id : ids) {
        if (!Ulid.isValid(id)) {
          throw new IllegalArgumentException("'" + id + "' is not a block ULID");
        }
      }
      rewriter = rewrite.rewriter();
    } catch (IOException | IllegalArgumentException e) {
      return BucketToolsCommand.fail("rewrite", e instanceof IOException ? new IllegalArgumentException(e.getMessage()) : e);
    }
    Clock clock = CliEnvironment.of(spec).clock();
    try (Bucket bucket = objstore.open()) {
      for (String id : ids) {
        String metaKey = id + "/" + BlockMeta.FILE_NAME;
        if (!bucket.exists(metaKey)) {
          throw new IllegalArgumentException("block " + id + " not found in bucket " + bucket.name() + " (no meta.json)");
        }
        // Thanos's upload (block.Upload) refuses a block without external labels unless --prom-blocks
        // (block.UploadPromBlock): refused here before anything is written.
        if (!promBlocks && BlockMeta.parse(metaKey, bucket.getBytes(metaKey)).externalLabels().size() == 0) {
          throw new IllegalArgumentException("block " + id + " has no external labels, which Thanos does not allow "
              + "for its blocks; pass --prom-blocks if the blocks are only used with Prometheus");
        }
      }
      Path work = tmpDir != null ? tmpDir : Path.of(System.getProperty("java.io.tmpdir"), "tsdb-compactor-rewrite");
      Files.createDirectories(work);
      BlockTransfer.Options o = new BlockTransfer.Options();
      o.clock = clock;
      o.requireExternalLabels = !promBlocks;
      BlockTransfer transfer = new BlockTransfer(bucket, o);
      for (String id : ids) {
        Path src = work.resolve(id);
        FileTree.delete(src);
        String newId = Ulid.now(clock).toString();
        Path out = work.resolve(newId);
        try {
          Files.createDirectories(out);
          BlockRewriter.Result r;
          try (RewriteOptions.ChangeLines changes = rewrite.changeLines(out.resolve("change.log"))) {
            if (rewrite.dryRun) {
              // The counts come from the index alone: the chunk segments, most of a block, are not fetched.
              BlockMeta meta = transfer.downloadIndex(id, src);
              r = rewriter.rewrite(meta, new FsDirectory(src), new FsDirectory(out), newId, true, changes);
            } else {
              r = rewriteWhileTransferred(transfer, rewriter, id, src, out, newId, changes);
            }
          }
          if (rewrite.dryRun) {
            System.out.println("dry run: block " + id + ": " + r.counts() + "; nothing written (pass --no-dry-run)");
            continue;
          }
          if (r.meta() == null) {
            System.out.println("block " + id + ": every series deleted; no block written");
          } else {
            System.out.println("block " + id + " rewritten as " + newId + ": " + r.counts());
          }
          if (deleteBlocks) {
            Markers.markForDeletion(bucket, id, "rewritten by tools bucket rewrite as " + newId, clock);
            System.out.println("marked " + id + " for deletion");
          }
          if (rewrite.changeLog && !rewrite.dryRun) {
            System.out.println("change log: " + out.resolve("change.log"));
          }
        } finally {
          FileTree.delete(src);
          keepOnlyChangeLog(out, rewrite.changeLog && !rewrite.dryRun);
        }
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return BucketToolsCommand.fail("rewrite", e);
    }
  }

  /**
   * Rewrites block {@code id} into {@code out} while the source comes down into {@code src}, and sends the new
   * block's files up while they are written, as a compaction does ({@link BlockTransfer#downloadForReading},
   * {@link BlockTransfer#uploadEarly}); meta.json goes up last, once the new block has verified. A rewrite that
   * fails, or that deletes every series, takes back whatever of the new block went up.
   */
  private static BlockRewriter.Result rewriteWhileTransferred(BlockTransfer transfer, BlockRewriter rewriter, String id,
      Path src, Path out, String newId, Consumer<String> changes) throws IOException {
    try (BlockTransfer.EarlyUpload upload = transfer.uploadEarly(out);
        BlockTransfer.ArrivingBlock arriving = transfer.downloadForReading(id, src)) {
      // Not fsynced locally: the upload makes the block durable in the bucket before its meta.json.
      Directory written = upload.watch(FsDirectory.scratch(out));
      BlockRewriter.Result r = arriving.read((meta, blockFiles) ->
          rewriter.rewrite(meta, blockFiles, written, newId, false, changes));
      if (r.meta() != null) {
        upload.finish();
      }
      return r;
    }
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
