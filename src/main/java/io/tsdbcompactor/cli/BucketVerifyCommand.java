package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.compact.BlockRepairer;
import io.tsdbcompactor.job.BucketState;
import io.tsdbcompactor.job.DuplicateBlocks;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockFiles;
import io.tsdbcompactor.sync.BlockReplicator;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tools bucket verify}: checks the blocks of a bucket for Thanos's issues (and ours), and with
 * {@code --repair} repairs what can be repaired safely, as {@code thanos tools bucket verify --repair} does:
 * <ul>
 *   <li>{@code index_known_issues}: a block whose download does not verify is rewritten by {@link BlockRepairer};
 *       the repaired block is verified, uploaded (meta.json last) and its objects checked in the bucket; only then
 *       is the broken block copied to the backup bucket (when one is given) and marked for deletion;
 *   <li>{@code duplicated_compaction}: blocks whose sources a kept block of their group holds ({@link DuplicateBlocks},
 *       the compactor's own rule) are marked for deletion; of identical ones the oldest ULID stays.
 * </ul>
 * Marks are written, never deletions: compact (or {@code cleanup}) deletes after its {@code --delete-delay}.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Verify all blocks in the bucket against the issues chosen with --issues, and with --repair "
        + "repair them: overlapped_blocks (overlaps within a compaction group that compact will not merge; those it "
        + "merges are listed as information), duplicated_compaction (blocks whose data a kept block of their group "
        + "holds; compact marks them for deletion: information; --repair marks them now), index_known_issues "
        + "(downloads each block and verifies index, chunks and stats; --repair writes a fixed block and marks the "
        + "broken one), block_files (objects missing or with sizes other than meta.json's thanos.files), "
        + "unreadable_meta (block folders whose meta.json cannot be used). Exit code 1 if a problem is left.")
final class BucketVerifyCommand extends BucketToolsCommand.SyncingCommand {
  static final String OVERLAPPED_BLOCKS = "overlapped_blocks";
  static final String DUPLICATED_COMPACTION = "duplicated_compaction";
  static final String INDEX_KNOWN_ISSUES = "index_known_issues";
  static final String BLOCK_FILES = "block_files";
  static final String UNREADABLE_META = "unreadable_meta";
  static final List<String> ISSUES =
      List.of(OVERLAPPED_BLOCKS, DUPLICATED_COMPACTION, INDEX_KNOWN_ISSUES, BLOCK_FILES, UNREADABLE_META);
  /** Thanos's details of a deletion mark written by a verify repair (pkg/verifier/safe_delete.go). */
  static final String REPAIR_DETAILS = "manual verify-repair";

  @Option(names = {"-i", "--issues"}, split = ",", paramLabel = "<issue>",
      defaultValue = "overlapped_blocks,duplicated_compaction,block_files,unreadable_meta",
      description = "Issues to verify (and optionally repair), repeatable or comma-separated: overlapped_blocks, "
          + "duplicated_compaction (repairable), index_known_issues (repairable), block_files, unreadable_meta. "
          + "Default: ${DEFAULT-VALUE} (everything that needs no download), and index_known_issues too with --repair.")
  List<String> issues;

  @Option(names = {"-r", "--repair"}, description = "Attempt to repair blocks for which issues were detected.")
  boolean repair;

  @Option(names = "--id", paramLabel = "<ULID>",
      description = "Block IDs to verify (and optionally repair) only (repeated). Default: all blocks.")
  List<String> ids = new ArrayList<>();

  @Option(negatable = true, names = "--index", description = "Same as adding --issues=index_known_issues.")
  boolean index;

  @Option(names = "--exclude-delete", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "Skip blocks marked for deletion (default: true).")
  boolean excludeDelete;

  @Option(names = "--delete-delay", defaultValue = "0s", converter = PromDurationConverter.class,
      paramLabel = "<duration>",
      description = "Accepted for Thanos's flag set. Repairs always mark blocks for deletion, whatever the value; "
          + "compact or cleanup deletes them after their own --delete-delay.")
  Duration deleteDelay;

  @Mixin
  BackupOptions backup;

  /** Thanos's {@code --objstore-backup.config(-file)}: where a repair copies a block before marking it. */
  static final class BackupOptions {
    @Option(names = "--objstore-backup.config-file", paramLabel = "<file-path>",
        description = "Path to YAML file of the bucket a repair copies each broken or duplicated block to before "
            + "marking it for deletion (optional).")
    Path configFile;

    @Option(names = "--objstore-backup.config", paramLabel = "<content>",
        description = "Alternative to 'objstore-backup.config-file' flag (mutually exclusive).")
    String configContent;

    /** The backup bucket, or null when none is configured. */
    Bucket open() throws IOException {
      String yaml = ObjstoreOptions.secondBucketYaml("objstore-backup", configFile, configContent);
      return yaml == null ? null : ObjstoreConfig.parse(yaml).open();
    }
  }

  @Override
  String name() {
    return "verify";
  }

  @Override
  int run(Bucket bucket) throws IOException {
    Set<String> chosen = new LinkedHashSet<>();
    for (String i : issues) {
      if (!ISSUES.contains(i.trim())) {
        throw new IllegalArgumentException("unknown issue '" + i + "': choose from " + String.join(", ", ISSUES));
      }
      chosen.add(i.trim());
    }
    // Thanos's default issues include index_known_issues; ours leave it out so that a plain verify downloads
    // nothing, but a repair without --issues repairs what Thanos's would.
    if (index || (repair && !spec.commandLine().getParseResult().hasMatchedOption("--issues"))) {
      chosen.add(INDEX_KNOWN_ISSUES);
    }
    for (String id : ids) {
      if (!Ulid.isValid(id)) {
        throw new IllegalArgumentException("invalid ULID '" + id + "' in --id");
      }
    }
    try (Bucket backupBucket = repair ? backup.open() : null) {
      return verify(bucket, backupBucket, chosen);
    }
  }

  private int verify(Bucket bucket, Bucket backupBucket, Set<String> chosen) throws IOException {
    Clock clock = CliEnvironment.of(spec).clock();
    SyncResult r = BucketToolsCommand.sync(bucket, dataDir, syncOptions());
    for (String id : ids) {
      if (!r.allMetas().containsKey(id) && !r.partial().containsKey(id) && !r.failed().containsKey(id)) {
        throw new IllegalArgumentException("block " + id + " not found in bucket " + bucket.name());
      }
    }
    List<String> problems = new ArrayList<>();
    List<String> info = new ArrayList<>();
    List<String> repaired = new ArrayList<>();
    List<BlockMeta> metas = new ArrayList<>();
    for (BlockMeta m : r.allMetas().values()) {
      if ((ids.isEmpty() || ids.contains(m.ulid)) && !(excludeDelete && r.deletionMarks().containsKey(m.ulid))) {
        metas.add(m);
      }
    }
    Repairs repairs = new Repairs(bucket, backupBucket, r, clock);
    if (chosen.contains(OVERLAPPED_BLOCKS)) {
      // A failed block is reported as such and set aside by compact: it overlaps nothing compact would merge.
      for (Overlap o : overlaps(metas.stream().filter(m -> !r.failed().containsKey(m.ulid)).toList())) {
        String line = "group " + o.group() + ": blocks " + o.a().ulid + " [" + o.a().minTime + ", " + o.a().maxTime
            + ") and " + o.b().ulid + " [" + o.b().minTime + ", " + o.b().maxTime + ") overlap";
        String held = r.noCompactMarks().containsKey(o.a().ulid) ? o.a().ulid
            : r.noCompactMarks().containsKey(o.b().ulid) ? o.b().ulid : null;
        if (held == null) {
          info.add("info: " + line + "; compact merges them (vertical compaction)");
        } else {
          problems.add(line + ", and block " + held + " is marked no-compact: compact will not merge them");
        }
      }
    }
    Set<String> markedNow = new LinkedHashSet<>();
    if (chosen.contains(DUPLICATED_COMPACTION)) {
      // As in compact: a block with missing files, or one that failed to read, holds no safe copy of others.
      Set<String> damaged = BucketState.of(r).damaged();
      damaged.addAll(r.failed().keySet());
      for (Map.Entry<BlockMeta, BlockMeta> d : DuplicateBlocks.find(metas, BucketVerifyCommand::groupKey,
          m -> !damaged.contains(m.ulid)).entrySet()) {
        BlockMeta dup = d.getKey();
        String what = "group " + groupKey(dup) + ": block " + dup.ulid + " holds only data of block "
            + d.getValue().ulid;
        if (!repair) {
          info.add("info: " + what + "; compact marks it for deletion (outdated block)");
          continue;
        }
        try {
          repairs.retire(dup.ulid);
          markedNow.add(dup.ulid);
          repaired.add("repaired: " + what + ": marked " + dup.ulid + " for deletion");
        } catch (IOException e) {
          problems.add(what + "; marking it for deletion failed: " + ErrorText.of(e));
        }
      }
    }
    if (chosen.contains(BLOCK_FILES)) {
      for (BlockMeta m : metas) {
        problems.addAll(fileProblems(m, r.objects().getOrDefault(m.ulid, List.of())));
      }
    }
    if (chosen.contains(UNREADABLE_META)) {
      r.failed().forEach((id, why) -> {
        // A block failed for its files is named by block_files, with each file.
        BlockMeta parsed = r.allMetas().get(id);
        boolean filesOnly = parsed != null
            && !fileProblems(parsed, r.objects().getOrDefault(id, List.of())).isEmpty();
        if ((ids.isEmpty() || ids.contains(id)) && !filesOnly) {
          problems.add("block " + id + ": " + why);
        }
      });
      for (PartialBlock p : r.partial().values()) {
        if (p.metaUnreadable() && (ids.isEmpty() || ids.contains(p.ulid()))) {
          problems.add("block " + p.ulid() + ": " + p.ulid() + "/" + BlockMeta.FILE_NAME + " is unreadable: "
              + p.reason());
        }
      }
    }
    if (chosen.contains(INDEX_KNOWN_ISSUES)) {
      Path tmp = Files.createTempDirectory("tsdb-compactor-verify");
      try {
        for (BlockMeta m : metas) {
          if (markedNow.contains(m.ulid)) {
            continue;
          }
          Path dir = tmp.resolve(m.ulid);
          try {
            BlockMeta downloaded = BlockTransfer.download(bucket, m.ulid, dir);
            List<String> found = BlockVerifier.verify(new FsDirectory(dir));
            if (found.isEmpty()) {
              continue;
            }
            if (!repair) {
              problems.addAll(found);
              continue;
            }
            try {
              // The verification's findings too: a broken checksum, say, is fixed by the rewrite itself, which
              // counts nothing of it among the issues it repaired.
              repaired.add(repairs.repair(downloaded, dir, tmp) + "; found: " + String.join("; ", found));
            } catch (IOException e) {
              problems.addAll(found);
              problems.add("block " + m.ulid + ": not repaired, nothing written or marked: " + ErrorText.of(e));
            }
          } catch (IOException e) {
            problems.add("block " + m.ulid + ": download failed: " + ErrorText.of(e));
          } finally {
            FileTree.delete(dir);
          }
        }
      } finally {
        FileTree.delete(tmp);
      }
    }
    problems.forEach(System.out::println);
    info.forEach(System.out::println);
    repaired.forEach(System.out::println);
    System.out.println("bucket: " + r.describeCounts());
    System.out.println("issues checked: " + String.join(", ", chosen) + (repair ? " (with repair)" : ""));
    System.out.println("verified " + metas.size() + " blocks: "
        + (problems.isEmpty() ? "no problems" : problems.size() + " problems")
        + (info.isEmpty() ? "" : ", " + info.size() + " things compact will fix itself")
        + (repair ? ", " + repaired.size() + " repaired" : ""));
    return problems.isEmpty() ? 0 : 1;
  }

  /**
   * The two repairs' writes, in the order that loses nothing: a replacement is uploaded and checked before its
   * broken block is backed up and marked.
   */
  private static final class Repairs {
    private final Bucket bucket;
    private final Bucket backup;
    private final SyncResult synced;
    private final Clock clock;

    Repairs(Bucket bucket, Bucket backup, SyncResult synced, Clock clock) {
      this.bucket = bucket;
      this.backup = backup;
      this.synced = synced;
      this.clock = clock;
    }

    /**
     * Writes and verifies the repaired block, its files going up while they are written (meta.json last, after
     * the verification; a repair that fails takes back what went up), then retires the broken one. Returns the
     * report line.
     */
    String repair(BlockMeta broken, Path brokenDir, Path work) throws IOException {
      String newUlid = Ulid.now(clock).toString();
      Path out = Files.createDirectories(work.resolve(newUlid));
      try {
        BlockTransfer.Options o = new BlockTransfer.Options();
        o.clock = clock;
        o.requireExternalLabels = false; // the broken block's labels, whatever they are
        BlockRepairer.Result result;
        BlockMeta uploaded;
        try (BlockTransfer.EarlyUpload upload = new BlockTransfer(bucket, o).uploadEarly(out)) {
          result = BlockRepairer.repair(broken, new FsDirectory(brokenDir), upload.watch(FsDirectory.scratch(out)),
              newUlid);
          Files.deleteIfExists(out.resolve("tombstones")); // empty; Thanos uploads none
          uploaded = upload.finish();
        }
        List<String> missing = fileProblems(uploaded, bucket.list(newUlid, true));
        if (!missing.isEmpty()) {
          throw new IOException("repaired block " + newUlid + " is not complete in the bucket after its upload: "
              + String.join("; ", missing));
        }
        retire(broken.ulid);
        return "repaired: block " + broken.ulid + " (" + result.findings().describe() + ") rewritten as " + newUlid
            + " (" + uploaded.stats.numSeries + " series, " + uploaded.stats.numSamples + " samples); marked "
            + broken.ulid + " for deletion" + (backup == null ? "" : " after copying it to " + backup.name());
      } finally {
        FileTree.delete(out);
      }
    }

    /** Copies the block to the backup bucket (when there is one) and then marks it for deletion. */
    void retire(String ulid) throws IOException {
      if (backup != null) {
        new BlockReplicator(bucket, backup).replicate(synced, m -> m.ulid.equals(ulid), false);
        if (!backup.exists(ulid + "/" + BlockMeta.FILE_NAME)) {
          throw new IOException("block " + ulid + " could not be copied to backup bucket " + backup.name());
        }
      }
      Markers.markForDeletion(bucket, ulid, REPAIR_DETAILS, clock);
    }
  }

  record Overlap(String group, BlockMeta a, BlockMeta b) {}

  /** A compaction group: resolution and external labels. */
  static String groupKey(BlockMeta m) {
    return m.resolution() + "@" + m.externalLabels();
  }

  /** Blocks of one group (resolution and external labels) whose [minTime, maxTime) ranges intersect. */
  static List<Overlap> overlaps(List<BlockMeta> metas) {
    Map<String, List<BlockMeta>> groups = new TreeMap<>();
    for (BlockMeta m : metas) {
      groups.computeIfAbsent(groupKey(m), k -> new ArrayList<>()).add(m);
    }
    List<Overlap> out = new ArrayList<>();
    for (Map.Entry<String, List<BlockMeta>> g : groups.entrySet()) {
      List<BlockMeta> list = g.getValue();
      list.sort(Comparator.comparingLong((BlockMeta m) -> m.minTime).thenComparing(m -> m.ulid));
      for (int i = 0; i < list.size(); i++) {
        for (int j = i + 1; j < list.size() && list.get(j).minTime < list.get(i).maxTime; j++) {
          out.add(new Overlap(g.getKey(), list.get(i), list.get(j)));
        }
      }
    }
    return out;
  }

  /** {@link BlockFiles#problems}, each naming the block. */
  static List<String> fileProblems(BlockMeta m, List<ListEntry> objects) {
    return BlockFiles.problems(m, objects).stream().map(p -> "block " + m.ulid + ": " + p).toList();
  }

}
