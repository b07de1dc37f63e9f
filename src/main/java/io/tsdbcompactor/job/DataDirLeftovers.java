package io.tsdbcompactor.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a killed run leaves in {@code --data-dir}: half-downloaded sources and half-written blocks under
 * {@code compact/} and {@code downsample/}, temporary files of the meta cache. None of it is ever read again (every
 * compaction and downsampling starts from the bucket), so a run removes it before it starts; the meta cache itself
 * is kept. Nothing in the bucket depends on these files: a block reaches the bucket whole or not at all.
 */
final class DataDirLeftovers {
  private static final Logger LOG = LoggerFactory.getLogger(DataDirLeftovers.class);
  static final List<String> WORK_DIRS = List.of("compact", "downsample");

  private DataDirLeftovers() {}

  /** Removes the work directories and the cache's temporary files; returns how many files went. */
  static long clean(Path dataDir) throws IOException {
    long removed = 0;
    for (String d : WORK_DIRS) {
      removed += delete(dataDir.resolve(d), p -> true);
    }
    removed += delete(dataDir.resolve("meta-syncer"), p -> !Files.isDirectory(p)
        && (p.getFileName().toString().endsWith(".tmp") || p.getFileName().toString().endsWith(".download")));
    if (removed > 0) {
      LOG.info("removed {} files left in {} by an earlier run that did not finish", removed, dataDir);
    }
    return removed;
  }

  /** Deletes what {@code which} accepts under {@code root} (deepest first); returns the number of files. */
  private static long delete(Path root, java.util.function.Predicate<Path> which) throws IOException {
    if (!Files.exists(root)) {
      return 0;
    }
    long[] files = {0};
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).filter(which).forEach(p -> {
        try {
          if (!Files.isDirectory(p)) {
            files[0]++;
          }
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return files[0];
  }
}
