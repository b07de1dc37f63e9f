package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.GoDuration;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tools bucket inspect}: a table of the blocks with Thanos's columns (ULID, FROM, UNTIL, RANGE, UNTIL-DOWN,
 * #SERIES, #SAMPLES, #CHUNKS, COMP-LEVEL, COMP-FAILED, LABELS, RESOLUTION, SOURCE) and ours, MARKERS; Thanos's
 * {@code -l}, {@code --sort-by}, {@code -o table|tsv|csv} and {@code --timeout}, and in addition the filters of
 * {@code ls} ({@code --selector.relabel-config}, {@code --min-time}, {@code --max-time}).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Inspect all blocks in the bucket in detailed, table-like way.")
final class BucketInspectCommand extends BucketToolsCommand.SyncingCommand {
  static final List<String> COLUMNS = List.of("ULID", "FROM", "UNTIL", "RANGE", "UNTIL-DOWN", "#SERIES", "#SAMPLES",
      "#CHUNKS", "COMP-LEVEL", "COMP-FAILED", "LABELS", "RESOLUTION", "SOURCE", "MARKERS");
  /** No-compact reasons our compactor writes when compacting the block failed (not an operator's or a size cap). */
  static final Set<String> FAILURE_REASONS =
      Set.of(Marker.REASON_OUT_OF_ORDER_CHUNK, Marker.REASON_CORRUPTED_BLOCK, Marker.REASON_UNMERGEABLE_CHUNKS);

  @Option(names = {"-l", "--selector"}, paramLabel = "<name>=\"<value>\"",
      description = "Selects blocks based on label, e.g. '-l key1=\"value1\" -l key2=\"value2\"'. All key value pairs must match.")
  List<String> selectors = new ArrayList<>();

  @Option(names = "--sort-by", split = ",", defaultValue = "FROM,UNTIL", paramLabel = "<column>",
      description = "Sort by columns, e.g. '--sort-by FROM --sort-by UNTIL' (or comma-separated): rows equal in the "
          + "first are sorted by the next. Any column name; default FROM, UNTIL.")
  List<String> sortBy;

  @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "<format>",
      description = "Output format: table (default), tsv or csv.")
  String output;

  @Mixin
  BlockSelectionOptions selection;

  @Option(names = "--timeout", defaultValue = "5m", converter = PromDurationConverter.class, paramLabel = "<duration>",
      description = "Timeout to download metadata from remote storage (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  String name() {
    return "inspect";
  }

  /** A block time as Thanos's inspect prints it: RFC 3339, whole seconds, UTC. */
  static String time(long millis) {
    return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(Math.floorDiv(millis, 1000)));
  }

  /**
   * Thanos's UNTIL-DOWN ({@code compact.UntilNextDownsampling}): how much longer the block's range must grow before
   * it is downsampled (40h for raw, 10d for 5m; negative once it is past that); "-" for 1h blocks.
   */
  static String untilDown(BlockMeta m) {
    long range = m.maxTime - m.minTime;
    if (m.resolution() == Resolution.RAW) {
      return GoDuration.format(Duration.ofMillis(Resolution.RAW_TO_5M_MIN_RANGE - range));
    }
    if (m.resolution() == Resolution.FIVE_MINUTES) {
      return GoDuration.format(Duration.ofMillis(Resolution.FIVE_M_TO_1H_MIN_RANGE - range));
    }
    return "-";
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
    Comparator<BlockMeta> order = comparator(sortBy);
    Predicate<BlockMeta> select = selection.filter(CliEnvironment.of(spec).clock());
    SyncResult r = BucketToolsCommand.sync(bucket, dataDir, syncOptions(), timeout);
    List<BlockMeta> metas = new ArrayList<>();
    for (BlockMeta m : r.allMetas().values()) {
      boolean ok = select.test(m);
      for (Map.Entry<String, String> e : match.entrySet()) {
        ok &= e.getValue().equals(m.externalLabels().get(e.getKey()));
      }
      if (ok) {
        metas.add(m);
      }
    }
    metas.sort(order);
    List<String[]> rows = new ArrayList<>();
    rows.add(COLUMNS.toArray(new String[0]));
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
      rows.add(new String[] {m.ulid, time(m.minTime), time(m.maxTime),
          GoDuration.format(Duration.ofMillis(m.maxTime - m.minTime)), untilDown(m), grouped(m.stats.numSeries),
          grouped(m.stats.numSamples), grouped(m.stats.numChunks), Integer.toString(m.compaction.level),
          Boolean.toString(compactionFailed(m, r)), labels(m), GoDuration.format(Duration.ofMillis(m.resolution())),
          m.thanos == null ? "" : m.thanos.source, String.join(",", marks)});
    }
    PrintStream out = System.out;
    switch (output) {
      case "tsv" -> rows.forEach(row -> out.println(String.join("\t", row)));
      case "csv" -> rows.forEach(row -> out.println(csv(row)));
      default -> BucketToolsCommand.Table.print(out, rows, " | ");
    }
    if (!r.partial().isEmpty()) {
      out.println();
      out.println("Partial blocks (no usable meta.json; deleted by cleanup 48h after their last write, unless their"
          + " meta.json is damaged):");
      for (PartialBlock p : r.partial().values()) {
        out.println(p.ulid() + "  " + p.reason() + "  last modified " + time(p.lastModified().toEpochMilli())
            + (p.metaUnreadable() ? "  (kept: repair or delete it by hand)" : ""));
      }
    }
    if (!r.failed().isEmpty()) {
      out.println();
      out.println("Failed blocks (compact sets them aside and marks them no-compact; repair or delete them by hand):");
      r.failed().forEach((ulid, why) -> out.println(ulid + "  " + why));
    }
    out.println();
    out.println("bucket: " + r.describeCounts());
    out.flush();
    return 0;
  }

  /**
   * COMP-FAILED: Thanos's {@code compaction.failed} from meta.json, or (ours: our compactor marks instead of
   * setting that flag) a no-compact mark our compactor wrote because compacting the block failed.
   */
  static boolean compactionFailed(BlockMeta m, SyncResult r) {
    Marker.NoCompactMark mark = r.noCompactMarks().get(m.ulid);
    return m.compaction.failed || (mark != null && FAILURE_REASONS.contains(mark.reason()));
  }

  /** A count as Thanos prints it (Go's English message printer): digits grouped by commas. */
  static String grouped(long n) {
    return String.format(Locale.ENGLISH, "%,d", n);
  }

  private static Comparator<BlockMeta> comparator(List<String> columns) {
    Comparator<BlockMeta> c = (a, b) -> 0;
    for (String col : columns) {
      Comparator<BlockMeta> next = switch (col.trim().toUpperCase(Locale.ROOT)) {
        case "ULID" -> Comparator.comparing(m -> m.ulid);
        case "FROM" -> Comparator.comparingLong(m -> m.minTime);
        case "UNTIL" -> Comparator.comparingLong(m -> m.maxTime);
        case "RANGE" -> Comparator.comparingLong(m -> m.maxTime - m.minTime);
        // "-" (1h blocks, never downsampled) sorts after every duration
        case "UNTIL-DOWN" -> Comparator.comparingLong(m -> m.resolution() == Resolution.ONE_HOUR ? Long.MAX_VALUE
            : (m.resolution() == Resolution.RAW ? Resolution.RAW_TO_5M_MIN_RANGE : Resolution.FIVE_M_TO_1H_MIN_RANGE)
                - (m.maxTime - m.minTime));
        case "LEVEL", "COMP-LEVEL" -> Comparator.comparingInt(m -> m.compaction.level);
        case "COMP-FAILED" -> Comparator.comparing(m -> m.compaction.failed);
        case "#SERIES" -> Comparator.comparingLong(m -> m.stats.numSeries);
        case "#SAMPLES" -> Comparator.comparingLong(m -> m.stats.numSamples);
        case "#CHUNKS" -> Comparator.comparingLong(m -> m.stats.numChunks);
        case "RESOLUTION" -> Comparator.comparingLong(BlockMeta::resolution);
        case "LABELS" -> Comparator.comparing(BucketInspectCommand::labels);
        case "SOURCE" -> Comparator.comparing(m -> m.thanos == null ? "" : m.thanos.source);
        default -> throw new IllegalArgumentException("cannot sort by unknown column '" + col + "': choose from "
            + String.join(", ", COLUMNS.subList(0, COLUMNS.size() - 1)));
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
