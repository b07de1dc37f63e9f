package io.tsdbcompactor.cli;

import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlocksCleaner;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tools bucket cleanup}: deletes blocks marked for deletion past the delay, and old partial uploads. */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
    description = "Cleans up all blocks marked for deletion (past --delete-delay) and partial blocks older than 48h.")
final class BucketCleanupCommand extends BucketToolsCommand.SyncingCommand {
  @Option(names = "--delete-delay", defaultValue = "48h", converter = PromDurationConverter.class, paramLabel = "<duration>",
      description = "Time before a block marked for deletion is deleted from bucket (default ${DEFAULT-VALUE}).")
  Duration deleteDelay;

  @Option(names = "--consistency-delay", defaultValue = "30m", converter = PromDurationConverter.class, paramLabel = "<duration>",
      description = "Minimum age of fresh (non-compacted) blocks before they are being processed (default ${DEFAULT-VALUE}).")
  Duration consistencyDelay;

  @Option(negatable = true, names = "--dry-run", description = "Only print what would be deleted.")
  boolean dryRun;

  @Override
  String name() {
    return "cleanup";
  }

  @Override
  int run(Bucket bucket) throws IOException {
    BlockSyncer.Options o = syncOptions();
    o.consistencyDelay = consistencyDelay;
    o.deleteDelay = deleteDelay;
    SyncResult r = BucketToolsCommand.sync(bucket, dataDir, o);
    BlocksCleaner cleaner = new BlocksCleaner(bucket, deleteDelay, o.clock);
    List<String> marked = dryRun ? cleaner.dueMarkedBlocks(r) : cleaner.deleteMarkedBlocks(r);
    List<String> partial = dryRun ? cleaner.duePartialBlocks(r) : cleaner.cleanPartialBlocks(r);
    String verb = dryRun ? "would delete" : "deleted";
    for (String id : marked) {
      System.out.println(verb + " block " + id + " (marked for deletion)");
    }
    for (String id : partial) {
      System.out.println(verb + " partial block " + id);
    }
    System.out.println("bucket: " + r.describeCounts());
    System.out.println(verb + " " + marked.size() + " marked and " + partial.size() + " partial blocks");
    return 0;
  }
}
