package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.ConfigException;
import io.tsdbcompactor.job.RelabelFilter;
import io.tsdbcompactor.job.TimeWindow;
import io.tsdbcompactor.model.TimeOrDuration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Predicate;
import picocli.CommandLine.Option;

/**
 * The block filters of {@code thanos tools bucket ls}: {@code --selector.relabel-config(-file)} (relabel rules over
 * a block's external labels plus {@code __block_id}, as {@code compact} takes them) and {@code --min-time} /
 * {@code --max-time} (Thanos's time-partition filter: a block is kept iff it touches the window). Relative times
 * are resolved against the command's clock.
 */
final class BlockSelectionOptions {
  @Option(names = "--selector.relabel-config-file", paramLabel = "<file>",
      description = "Relabel rules (keep, drop, hashmod) over the external labels (and __block_id) choosing the blocks.")
  Path relabelFile;

  @Option(names = "--selector.relabel-config", paramLabel = "<yaml>", description = "The relabel rules YAML itself.")
  String relabelYaml;

  @Option(names = "--min-time", defaultValue = TimeWindow.DEFAULT_MIN, converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks with data at or after this time: RFC 3339, or a duration "
          + "relative to now such as -1d or 2h45m (units ms, s, m, h, d, w, y; default ${DEFAULT-VALUE}).")
  TimeOrDuration minTime;

  @Option(names = "--max-time", defaultValue = TimeWindow.DEFAULT_MAX, converter = TimeOrDuration.Converter.class,
      paramLabel = "<time>", description = "Only blocks with data at or before this time: RFC 3339, or a duration "
          + "relative to now such as -1d (default ${DEFAULT-VALUE}).")
  TimeOrDuration maxTime;

  /**
   * The filter these flags describe, with relative times fixed at the clock's now. A relabel config that cannot be
   * read or parsed is a {@link ConfigException} or {@link IllegalArgumentException} (exit 2).
   */
  Predicate<BlockMeta> filter(Clock clock) throws IOException {
    if (relabelFile != null && relabelYaml != null) {
      throw new ConfigException("--selector.relabel-config-file and --selector.relabel-config are mutually exclusive");
    }
    String yaml = relabelYaml;
    if (relabelFile != null) {
      try {
        yaml = Files.readString(relabelFile, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new ConfigException("relabel config file " + relabelFile + " does not exist");
      }
    }
    RelabelFilter relabel = RelabelFilter.parse(yaml);
    TimeWindow window = new TimeWindow(minTime, maxTime);
    long min = minTime.millis(clock);
    long max = maxTime.millis(clock);
    if (min > max) {
      throw new IllegalArgumentException("--min-time " + minTime + " is after --max-time " + maxTime);
    }
    Clock fixed = Clock.fixed(clock.instant(), clock.getZone());
    return m -> relabel.keep(m) && window.keeps(m, fixed);
  }
}
