package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ConfigException;
import io.tsdbcompactor.bucket.GoDuration;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.metrics.Pushgateway;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.BlocksCleaner;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tools bucket}: look at and act on the blocks of a bucket, with the flags of {@code thanos tools bucket}
 * where they mean the same. Exit codes: 0 success, 1 a failure or (verify) problems found, 2 bad usage or
 * configuration.
 */
@Command(name = "bucket", mixinStandardHelpOptions = true, description = "Tools for buckets of blocks.",
    subcommands = {BucketToolsCommand.Ls.class, BucketToolsCommand.Inspect.class, BucketToolsCommand.Verify.class,
        BucketToolsCommand.Mark.class, BucketToolsCommand.Cleanup.class, BucketWebCommand.class,
        BucketReplicateCommand.class, BucketUploadBlocksCommand.class, BucketRewriteCommand.class,
        BucketRetentionCommand.class, BucketDownsampleCommand.class})
public final class BucketToolsCommand implements Runnable {
  /** Thanos takes the objstore flags on {@code tools bucket} itself, so they may come before the subcommand. */
  @Mixin
  ObjstoreOptions objstore;

  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  /** Job name of the metrics the commands push. */
  static final String TOOLS_JOB = "tsdb-compactor-tools";

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Runs a sync with progress on a terminal. */
  static SyncResult sync(Bucket bucket, Path dataDir, BlockSyncer.Options options) throws IOException {
    BlockSyncer.Progress p = ConsoleProgress.forTerminal();
    options.progress = p;
    try {
      return new BlockSyncer(bucket, dataDir, options).sync();
    } finally {
      if (p instanceof ConsoleProgress c) {
        c.finish();
      }
    }
  }

  static int fail(String command, Exception e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    System.err.println("tools bucket " + command + ": " + m);
    return e instanceof ConfigException || e instanceof IllegalArgumentException ? 2 : 1;
  }

  /** Shared flags of the commands that sync. */
  abstract static class SyncingCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin
    ObjstoreOptions objstore;

    @CommandLine.ParentCommand
    BucketToolsCommand parent;
    @Mixin
    PushOptions push;

    @Option(names = "--block-meta-fetch-concurrency", defaultValue = "32", paramLabel = "<n>",
        description = "Number of threads fetching block metadata and markers from object storage (default ${DEFAULT-VALUE}).")
    int metaConcurrency;

    @Option(names = "--data-dir", paramLabel = "<dir>",
        description = "Optional local directory for the meta.json cache (meta-syncer/), so a re-run does not fetch metas again.")
    Path dataDir;

    BlockSyncer.Options syncOptions() {
      BlockSyncer.Options o = new BlockSyncer.Options();
      o.concurrency = metaConcurrency;
      o.consistencyDelay = Duration.ZERO; // tools show every block, fresh or not
      o.deleteDelay = Duration.ZERO;
      o.clock = CliEnvironment.of(spec).clock();
      return o;
    }

    abstract String name();

    abstract int run(Bucket bucket) throws IOException;

    @Override
    public Integer call() {
      CompactorMetrics metrics = new CompactorMetrics(false);
      try (Bucket bucket = objstore.orElse(parent.objstore).open(metrics, CliEnvironment.of(spec).clock())) {
        return run(bucket);
      } catch (IOException | RuntimeException e) {
        return fail(name(), e);
      } finally {
        push.push(name(), metrics);
      }
    }
  }

  /**
   * Where a command run as a Job (cleanup, mark) pushes its objstore metrics at its end, as job
   * {@code tsdb-compactor-tools} grouped by command, so the bucket alerts see its failures too; the same
   * environment variable as {@code compact}'s. A failed push is a warning, never the command's failure.
   */
  static final class PushOptions {
    @Option(names = "--metrics.pushgateway-url", paramLabel = "<url>",
        defaultValue = "${env:TSDB_COMPACTOR_PUSHGATEWAY_URL:-}",
        description = "Push the objstore metrics to this Pushgateway at the end (job " + TOOLS_JOB + ").")
    String url;

    void push(String command, CompactorMetrics metrics) {
      if (url == null || url.isBlank()) {
        return;
      }
      try {
        new Pushgateway(url).push(TOOLS_JOB, Map.of("command", command), metrics.scrape());
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("tools bucket " + command + ": warning: pushing metrics failed: " + e.getMessage());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- ls

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List all blocks in the bucket.")
  static final class Ls extends SyncingCommand {
    @Option(names = {"-o", "--output"}, defaultValue = "", paramLabel = "<format>",
        description = "Format of each block: '' (ULID only, default), 'table', 'wide' or 'json' (meta.json per block).")
    String output;

    @Option(negatable = true, names = "--exclude-delete", description = "Exclude blocks marked for deletion.")
    boolean excludeDelete;

    @Override
    String name() {
      return "ls";
    }

    @Override
    int run(Bucket bucket) throws IOException {
      if (!List.of("", "table", "wide", "json").contains(output)) {
        throw new IllegalArgumentException("invalid output format '" + output + "': use table, wide or json");
      }
      SyncResult r = sync(bucket, dataDir, syncOptions());
      PrintStream out = System.out;
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"ULID", "FROM", "UNTIL", "RANGE", "LEVEL", "RESOLUTION", "SOURCE"});
      for (BlockMeta m : r.allMetas().values()) {
        if (excludeDelete && r.deletionMarks().containsKey(m.ulid)) {
          continue;
        }
        switch (output) {
          case "" -> out.println(m.ulid);
          case "json" -> out.print(new String(m.toJsonBytes(), StandardCharsets.UTF_8));
          case "wide" -> {
            Instant from = Instant.ofEpochSecond(Math.floorDiv(m.minTime, 1000));
            Instant until = Instant.ofEpochSecond(Math.floorDiv(m.maxTime, 1000));
            out.printf("%s -- %s - %s Diff: %s, Compaction: %d, Downsample: %d, Source: %s%n", m.ulid,
                DateTimeFormatter.ISO_INSTANT.format(from), DateTimeFormatter.ISO_INSTANT.format(until),
                GoDuration.format(Duration.between(from, until)), m.compaction.level, m.resolution(),
                m.thanos == null ? "" : m.thanos.source);
          }
          default -> rows.add(new String[] {m.ulid, TIME.format(Instant.ofEpochMilli(m.minTime)),
              TIME.format(Instant.ofEpochMilli(m.maxTime)), GoDuration.format(Duration.ofMillis(m.maxTime - m.minTime)),
              Integer.toString(m.compaction.level), GoDuration.format(Duration.ofMillis(m.resolution())),
              m.thanos == null ? "" : m.thanos.source});
        }
      }
      if (output.equals("table")) {
        Table.print(out, rows, "  ");
      }
      out.flush();
      return 0;
    }
  }

  // ---------------------------------------------------------------------------------------------- inspect

  @Command(name = "inspect", mixinStandardHelpOptions = true,
      description = "Inspect all blocks in the bucket in detailed, table-like way.")
  static final class Inspect extends SyncingCommand {
    @Option(names = {"-l", "--selector"}, paramLabel = "<name>=\"<value>\"",
        description = "Selects blocks based on label, e.g. '-l key1=\"value1\" -l key2=\"value2\"'. All key value pairs must match.")
    List<String> selectors = new ArrayList<>();

    @Option(names = "--sort-by", split = ",", defaultValue = "FROM,UNTIL", paramLabel = "<column>",
        description = "Sort by columns. It's also possible to sort by multiple columns, e.g. '--sort-by FROM,UNTIL'.")
    List<String> sortBy;

    @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "<format>",
        description = "Output format: table (default), tsv or csv.")
    String output;

    @Override
    String name() {
      return "inspect";
    }

    @Override
    int run(Bucket bucket) throws IOException {
      Map<String, String> match = new TreeMap<>();
      for (String s : selectors) {
        int eq = s.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("selector '" + s + "' is not name=\"value\"");
        }
        String v = s.substring(eq + 1);
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        match.put(s.substring(0, eq), v);
      }
      if (!List.of("table", "tsv", "csv").contains(output)) {
        throw new IllegalArgumentException("invalid output format '" + output + "': use table, tsv or csv");
      }
      SyncResult r = sync(bucket, dataDir, syncOptions());
      String[] header = {"ULID", "FROM", "UNTIL", "RANGE", "LEVEL", "#SERIES", "#SAMPLES", "#CHUNKS", "RESOLUTION",
          "LABELS", "SOURCE", "MARKERS"};
      List<BlockMeta> metas = new ArrayList<>();
      for (BlockMeta m : r.allMetas().values()) {
        boolean ok = true;
        for (Map.Entry<String, String> e : match.entrySet()) {
          ok &= e.getValue().equals(m.externalLabels().get(e.getKey()));
        }
        if (ok) {
          metas.add(m);
        }
      }
      metas.sort(comparator(sortBy));
      List<String[]> rows = new ArrayList<>();
      rows.add(header);
      for (BlockMeta m : metas) {
        List<String> marks = new ArrayList<>();
        if (r.deletionMarks().containsKey(m.ulid)) {
          marks.add("deletion");
        }
        if (r.noCompactMarks().containsKey(m.ulid)) {
          marks.add("no-compact");
        }
        if (r.noDownsampleMarks().containsKey(m.ulid)) {
          marks.add("no-downsample");
        }
        rows.add(new String[] {m.ulid, TIME.format(Instant.ofEpochMilli(m.minTime)),
            TIME.format(Instant.ofEpochMilli(m.maxTime)), GoDuration.format(Duration.ofMillis(m.maxTime - m.minTime)),
            Integer.toString(m.compaction.level), Long.toString(m.stats.numSeries), Long.toString(m.stats.numSamples),
            Long.toString(m.stats.numChunks), GoDuration.format(Duration.ofMillis(m.resolution())),
            labels(m), m.thanos == null ? "" : m.thanos.source, String.join(",", marks)});
      }
      PrintStream out = System.out;
      switch (output) {
        case "tsv" -> rows.forEach(row -> out.println(String.join("\t", row)));
        case "csv" -> rows.forEach(row -> out.println(csv(row)));
        default -> Table.print(out, rows, " | ");
      }
      if (!r.partial().isEmpty()) {
        out.println();
        out.println("Partial blocks (no usable meta.json; deleted by cleanup 48h after their last write, unless their"
            + " meta.json is damaged):");
        for (PartialBlock p : r.partial().values()) {
          out.println(p.ulid() + "  " + p.reason() + "  last modified " + TIME.format(p.lastModified())
              + (p.metaUnreadable() ? "  (kept: repair or delete it by hand)" : ""));
        }
      }
      out.println();
      out.println("bucket: " + r.describeCounts());
      out.flush();
      return 0;
    }

    private static Comparator<BlockMeta> comparator(List<String> columns) {
      Comparator<BlockMeta> c = (a, b) -> 0;
      for (String col : columns) {
        Comparator<BlockMeta> next = switch (col.trim().toUpperCase(java.util.Locale.ROOT)) {
          case "ULID" -> Comparator.comparing(m -> m.ulid);
          case "FROM" -> Comparator.comparingLong(m -> m.minTime);
          case "UNTIL" -> Comparator.comparingLong(m -> m.maxTime);
          case "RANGE" -> Comparator.comparingLong(m -> m.maxTime - m.minTime);
          case "LEVEL", "COMP-LEVEL" -> Comparator.comparingInt(m -> m.compaction.level);
          case "#SERIES" -> Comparator.comparingLong(m -> m.stats.numSeries);
          case "#SAMPLES" -> Comparator.comparingLong(m -> m.stats.numSamples);
          case "#CHUNKS" -> Comparator.comparingLong(m -> m.stats.numChunks);
          case "RESOLUTION" -> Comparator.comparingLong(BlockMeta::resolution);
          case "LABELS" -> Comparator.comparing(BlockMeta::externalLabels);
          case "SOURCE" -> Comparator.comparing(m -> m.thanos == null ? "" : m.thanos.source);
          default -> throw new IllegalArgumentException("cannot sort by unknown column '" + col + "'");
        };
        c = c.thenComparing(next);
      }
      return c.thenComparing(m -> m.ulid);
    }

    private static String labels(BlockMeta m) {
      List<String> parts = new ArrayList<>();
      m.externalLabels().toMap().forEach((k, v) -> parts.add(k + "=" + v));
      return String.join(",", parts);
    }

    private static String csv(String[] row) {
      List<String> cells = new ArrayList<>();
      for (String s : row) {
        cells.add(s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s);
      }
      return String.join(",", cells);
    }
  }

  // ---------------------------------------------------------------------------------------------- verify

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Verify all blocks in the bucket against the issues chosen with --issues: overlapped_blocks "
          + "(overlaps within a compaction group that compact will not merge; those it merges are listed as "
          + "information), duplicated_compaction (blocks whose data a bigger block of their group holds; compact "
          + "marks them for deletion: information), index_known_issues (downloads each block and verifies index, "
          + "chunks and stats), block_files (objects missing or with sizes other than meta.json's thanos.files), "
          + "unreadable_meta (block folders whose meta.json cannot be used). Exit code 1 if any problem is found.")
  static final class Verify extends SyncingCommand {
    static final String OVERLAPPED_BLOCKS = "overlapped_blocks";
    static final String DUPLICATED_COMPACTION = "duplicated_compaction";
    static final String INDEX_KNOWN_ISSUES = "index_known_issues";
    static final String BLOCK_FILES = "block_files";
    static final String UNREADABLE_META = "unreadable_meta";
    static final List<String> ISSUES =
        List.of(OVERLAPPED_BLOCKS, DUPLICATED_COMPACTION, INDEX_KNOWN_ISSUES, BLOCK_FILES, UNREADABLE_META);

    @Option(names = {"-i", "--issues"}, split = ",", paramLabel = "<issue>",
        defaultValue = "overlapped_blocks,duplicated_compaction,block_files,unreadable_meta",
        description = "Issues to verify (repeatable or comma-separated): overlapped_blocks, duplicated_compaction, "
            + "index_known_issues, block_files, unreadable_meta. Default: ${DEFAULT-VALUE} (everything that needs "
            + "no download).")
    List<String> issues;

    @Option(names = "--id", paramLabel = "<ULID>", description = "Block IDs to verify (default: all).")
    List<String> ids = new ArrayList<>();

    @Option(negatable = true, names = "--index", description = "Same as adding --issues=index_known_issues.")
    boolean index;

    @Option(names = "--exclude-delete", defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Skip blocks marked for deletion (default: true).")
    boolean excludeDelete;

    @Override
    String name() {
      return "verify";
    }

    @Override
    int run(Bucket bucket) throws IOException {
      java.util.Set<String> chosen = new java.util.LinkedHashSet<>();
      for (String i : issues) {
        if (!ISSUES.contains(i.trim())) {
          throw new IllegalArgumentException("unknown issue '" + i + "': choose from " + String.join(", ", ISSUES));
        }
        chosen.add(i.trim());
      }
      if (index) {
        chosen.add(INDEX_KNOWN_ISSUES);
      }
      SyncResult r = sync(bucket, dataDir, syncOptions());
      List<String> problems = new ArrayList<>();
      List<String> info = new ArrayList<>();
      List<BlockMeta> metas = new ArrayList<>();
      for (BlockMeta m : r.allMetas().values()) {
        if ((ids.isEmpty() || ids.contains(m.ulid)) && !(excludeDelete && r.deletionMarks().containsKey(m.ulid))) {
          metas.add(m);
        }
      }
      for (String id : ids) {
        if (!r.allMetas().containsKey(id) && !r.partial().containsKey(id) && !r.failed().containsKey(id)) {
          problems.add("block " + id + ": not found in bucket");
        }
      }
      if (chosen.contains(OVERLAPPED_BLOCKS)) {
        for (Overlap o : overlaps(metas)) {
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
      if (chosen.contains(DUPLICATED_COMPACTION)) {
        for (String d : duplicates(metas)) {
          info.add("info: " + d);
        }
      }
      if (chosen.contains(BLOCK_FILES)) {
        for (BlockMeta m : metas) {
          problems.addAll(fileProblems(m, r.objects().getOrDefault(m.ulid, List.of())));
        }
      }
      if (chosen.contains(UNREADABLE_META)) {
        r.failed().forEach((id, why) -> {
          if (ids.isEmpty() || ids.contains(id)) {
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
            Path dir = tmp.resolve(m.ulid);
            try {
              BlockTransfer.download(bucket, m.ulid, dir);
              problems.addAll(BlockVerifier.verify(new FsDirectory(dir)));
            } catch (IOException e) {
              problems.add("block " + m.ulid + ": download failed: " + e.getMessage());
            } finally {
              FileTree.delete(dir);
            }
          }
        } finally {
          FileTree.delete(tmp);
        }
      }
      for (String p : problems) {
        System.out.println(p);
      }
      for (String i : info) {
        System.out.println(i);
      }
      System.out.println("bucket: " + r.describeCounts());
      System.out.println("issues checked: " + String.join(", ", chosen));
      System.out.println("verified " + metas.size() + " blocks: "
          + (problems.isEmpty() ? "no problems" : problems.size() + " problems")
          + (info.isEmpty() ? "" : ", " + info.size() + " things compact will fix itself"));
      return problems.isEmpty() ? 0 : 1;
    }

    record Overlap(String group, BlockMeta a, BlockMeta b) {}

    /** Blocks of one group (resolution and external labels) whose [minTime, maxTime) ranges intersect. */
    static List<Overlap> overlaps(List<BlockMeta> metas) {
      List<Overlap> out = new ArrayList<>();
      for (Map.Entry<String, List<BlockMeta>> g : groups(metas).entrySet()) {
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

    /**
     * Blocks whose sources are all sources of a bigger block of their group: leftovers of a compaction that
     * uploaded its result but did not mark its inputs (Thanos's duplicated compaction). compact marks them for
     * deletion as outdated blocks.
     */
    static List<String> duplicates(List<BlockMeta> metas) {
      List<String> out = new ArrayList<>();
      for (Map.Entry<String, List<BlockMeta>> g : groups(metas).entrySet()) {
        for (BlockMeta small : g.getValue()) {
          List<String> src = small.compaction.sources.isEmpty() ? List.of(small.ulid) : small.compaction.sources;
          for (BlockMeta big : g.getValue()) {
            if (big != small && big.compaction.sources.size() > src.size() && big.compaction.sources.containsAll(src)) {
              out.add("group " + g.getKey() + ": block " + small.ulid + " holds only data of block " + big.ulid
                  + "; compact marks it for deletion (outdated block)");
              break;
            }
          }
        }
      }
      return out;
    }

    private static Map<String, List<BlockMeta>> groups(List<BlockMeta> metas) {
      Map<String, List<BlockMeta>> groups = new TreeMap<>();
      for (BlockMeta m : metas) {
        groups.computeIfAbsent(m.resolution() + "@" + m.externalLabels(), k -> new ArrayList<>()).add(m);
      }
      return groups;
    }

    static List<String> fileProblems(BlockMeta m, List<ListEntry> objects) {
      Map<String, Long> sizes = new HashMap<>();
      for (ListEntry e : objects) {
        sizes.put(e.key().substring(m.ulid.length() + 1), e.size());
      }
      List<String> out = new ArrayList<>();
      if (!sizes.containsKey("index")) {
        out.add("block " + m.ulid + ": index is missing");
      }
      if (sizes.keySet().stream().noneMatch(k -> k.startsWith("chunks/"))) {
        out.add("block " + m.ulid + ": no chunk segment files under chunks/");
      }
      if (m.thanos != null) {
        for (BlockMeta.FileEntry f : m.thanos.files) {
          if (f.relPath.equals(BlockMeta.FILE_NAME)) {
            continue;
          }
          Long size = sizes.get(f.relPath);
          if (size == null) {
            out.add("block " + m.ulid + ": " + f.relPath + " is listed in meta.json thanos.files but missing");
          } else if (f.sizeBytes != 0 && size != f.sizeBytes) {
            out.add("block " + m.ulid + ": " + f.relPath + " has " + size + " bytes, meta.json thanos.files says "
                + f.sizeBytes);
          }
        }
      }
      return out;
    }
  }

  // ---------------------------------------------------------------------------------------------- mark

  @Command(name = "mark", mixinStandardHelpOptions = true,
      description = "Mark a block for deletion, no-compaction or no-downsampling in a safe way. An existing "
          + "marker is left unchanged.")
  static final class Mark implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin
    ObjstoreOptions objstore;

    @CommandLine.ParentCommand
    BucketToolsCommand parent;
    @Mixin
    PushOptions push;

    @Option(names = "--id", required = true, paramLabel = "<ULID>", description = "ID (ULID) of the blocks to be marked (repeated flag).")
    List<String> ids;

    @Option(names = "--marker", required = true, paramLabel = "<marker>",
        description = "Marker to be put: deletion-mark.json, no-compact-mark.json or no-downsample-mark.json.")
    String marker;

    @Option(names = "--details", defaultValue = "", paramLabel = "<text>", description = "Human readable details to be put into marker.")
    String details;

    @Option(negatable = true, names = "--remove", description = "Remove the marker instead of writing it.")
    boolean remove;

    @Override
    public Integer call() {
      if (!Marker.isMarkerFile(marker)) {
        System.err.println("tools bucket mark: unknown marker '" + marker
            + "': use deletion-mark.json, no-compact-mark.json or no-downsample-mark.json");
        return 2;
      }
      for (String id : ids) {
        if (!Ulid.isValid(id)) {
          System.err.println("tools bucket mark: '" + id + "' is not a block ULID");
          return 2;
        }
      }
      CompactorMetrics metrics = new CompactorMetrics(false);
      Clock clock = CliEnvironment.of(spec).clock();
      try (Bucket bucket = objstore.orElse(parent.objstore).open(metrics, clock)) {
        int status = 0;
        for (String id : ids) {
          if (remove) {
            if (!Markers.exists(bucket, id, marker)) {
              System.err.println("block " + id + " has no " + marker);
              status = 1;
              continue;
            }
            Markers.remove(bucket, id, marker);
            System.out.println("removed " + id + "/" + marker);
            continue;
          }
          if (!bucket.exists(id + "/" + BlockMeta.FILE_NAME)) {
            System.err.println("block " + id + " not found in bucket " + bucket.name() + " (no meta.json)");
            status = 1;
            continue;
          }
          boolean wrote = switch (marker) {
            case Marker.DELETION_MARK -> Markers.markForDeletion(bucket, id, details, clock);
            case Marker.NO_COMPACT_MARK -> Markers.markNoCompact(bucket, id, Marker.REASON_MANUAL, details, clock);
            default -> Markers.markNoDownsample(bucket, id, Marker.REASON_MANUAL, details, clock);
          };
          System.out.println(wrote ? "marked " + id + " with " + marker : "block " + id + " already has " + marker + "; left unchanged");
        }
        return status;
      } catch (IOException | RuntimeException e) {
        return fail("mark", e);
      } finally {
        push.push("mark", metrics);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- cleanup

  @Command(name = "cleanup", mixinStandardHelpOptions = true,
      description = "Cleans up all blocks marked for deletion (past --delete-delay) and partial blocks older than 48h.")
  static final class Cleanup extends SyncingCommand {
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
      SyncResult r = sync(bucket, dataDir, o);
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


  /** Left-aligned columns. */
  static final class Table {
    static void print(PrintStream out, List<String[]> rows, String sep) {
      int cols = rows.get(0).length;
      int[] width = new int[cols];
      for (String[] r : rows) {
        for (int i = 0; i < cols; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      }
      for (String[] r : rows) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cols; i++) {
          if (i > 0) {
            sb.append(sep);
          }
          sb.append(r[i]);
          if (i < cols - 1) {
            sb.append(" ".repeat(width[i] - r[i].length()));
          }
        }
        out.println(sb.toString().stripTrailing());
      }
    }
  }
}
