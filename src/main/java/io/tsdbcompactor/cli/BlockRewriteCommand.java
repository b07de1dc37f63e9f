package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.compact.BlockRewriter;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tools block rewrite SRC DST}: {@code tools bucket rewrite} for a local block directory, for people who fix
 * blocks before uploading them (or in a Prometheus data directory, Prometheus stopped). The same
 * {@link BlockRewriter}; the new block is written to {@code DST/<new ULID>}, SRC is left as it was.
 */
@Command(name = "rewrite", mixinStandardHelpOptions = true,
    description = "Writes block SRC without the series the deletion requests select and with the relabel rules applied, as a new block in DST. "
        + "Dry run unless --no-dry-run.")
final class BlockRewriteCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin
  RewriteOptions rewrite;

  @Parameters(index = "0", paramLabel = "SRC", description = "The block directory to rewrite.")
  Path src;

  @Parameters(index = "1", paramLabel = "DST", description = "Directory to create the new block in.")
  Path dst;

  @Override
  public Integer call() {
    BlockRewriter rewriter;
    BlockMeta meta;
    try {
      rewriter = rewrite.rewriter();
      Path metaFile = src.resolve(BlockMeta.FILE_NAME);
      if (!Files.isRegularFile(metaFile)) {
        throw new IllegalArgumentException(src + " is not a block directory (no meta.json)");
      }
      meta = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("tools block rewrite: " + ErrorText.of(e));
      return 2;
    }
    String newId = Ulid.now(CliEnvironment.of(spec).clock()).toString();
    Path out = dst.resolve(newId);
    boolean ok = false;
    try {
      Path logFile = dst.resolve(newId + ".change.log");
      if (!rewrite.dryRun) {
        Files.createDirectories(out);
      }
      BlockRewriter.Result r;
      try (RewriteOptions.ChangeLines changes = rewrite.changeLines(logFile)) {
        r = rewriter.rewrite(meta, new FsDirectory(src), new FsDirectory(out), newId, rewrite.dryRun, changes);
      }
      String counts = r.counts();
      if (rewrite.dryRun) {
        System.out.println("dry run: block " + meta.ulid + ": " + counts + "; nothing written (pass --no-dry-run)");
      } else if (r.meta() == null) {
        System.out.println("block " + meta.ulid + ": every series deleted; no block written");
      } else {
        System.out.println("block " + meta.ulid + " rewritten as " + out + ": " + counts);
        ok = true;
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      System.err.println("tools block rewrite: " + ErrorText.of(e));
      return 1;
    } finally {
      // A dry run leaves nothing either: its relabelling may have made the directory for its scratch files.
      if (!ok) {
        try {
          FileTree.delete(out);
        } catch (IOException ignored) {
          // Best effort: a half-written block has no meta.json of ours to be mistaken for a block.
        }
      }
    }
  }
}
