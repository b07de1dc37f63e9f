package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.GoDuration;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tools bucket ls}: one line per block, with Thanos's flags: {@code -o} '' (ULIDs), 'wide', 'json' or a
 * template ({@link MetaTemplate}); ours in addition, 'table'. Filters: {@code --exclude-delete},
 * {@code --selector.relabel-config(-file)}, {@code --min-time}/{@code --max-time}; {@code --timeout} bounds the read.
 */
@Command(name = "ls", mixinStandardHelpOptions = true, description = "List all blocks in the bucket.")
final class BucketLsCommand extends BucketToolsCommand.SyncingCommand {
  @Option(names = {"-o", "--output"}, defaultValue = "", paramLabel = "<format>",
      description = "Format of each block: '' (ULID only, default), 'wide', 'json' (meta.json per block), a template "
          + "such as '{{.ULID}} {{.Thanos.Labels}} {{.Stats.NumSamples}}', or 'table' (ours).")
  String output;

  @Option(negatable = true, names = "--exclude-delete", description = "Exclude blocks marked for deletion.")
  boolean excludeDelete;

  @Mixin
  BlockSelectionOptions selection;

  @Option(names = "--timeout", defaultValue = "5m", converter = PromDurationConverter.class, paramLabel = "<duration>",
      description = "Timeout to download metadata from remote storage (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  String name() {
    return "ls";
  }

  @Override
  int run(Bucket bucket) throws IOException {
    MetaTemplate template = switch (output) {
      case "", "table", "wide", "json" -> null;
      default -> {
        if (!output.contains("{{")) {
          throw new IllegalArgumentException("invalid output format '" + output
              + "': use wide, json, table or a template such as '{{.ULID}}'");
        }
        yield MetaTemplate.parse(output);
      }
    };
    Predicate<BlockMeta> select = selection.filter(CliEnvironment.of(spec).clock());
    SyncResult r = BucketToolsCommand.sync(bucket, dataDir, syncOptions(), timeout);
    PrintStream out = System.out;
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ULID", "FROM", "UNTIL", "RANGE", "LEVEL", "RESOLUTION", "SOURCE"});
    for (BlockMeta m : r.allMetas().values()) {
      if ((excludeDelete && r.deletionMarks().containsKey(m.ulid)) || !select.test(m)) {
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
        case "table" -> rows.add(new String[] {m.ulid, BucketInspectCommand.time(m.minTime),
            BucketInspectCommand.time(m.maxTime), GoDuration.format(Duration.ofMillis(m.maxTime - m.minTime)),
            Integer.toString(m.compaction.level), GoDuration.format(Duration.ofMillis(m.resolution())),
            m.thanos == null ? "" : m.thanos.source});
        default -> out.println(template.apply(m));
      }
    }
    if (output.equals("table")) {
      BucketToolsCommand.Table.print(out, rows, "  ");
    }
    out.flush();
    return 0;
  }
}
