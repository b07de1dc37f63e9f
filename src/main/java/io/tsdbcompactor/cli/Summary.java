package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.job.Action;
import io.tsdbcompactor.job.RunReport;
import io.tsdbcompactor.retention.RetentionPlanner;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Human-readable output of {@code compact}: the run summary and the {@code --dry-run} plan. */
final class Summary {
  private Summary() {}

  static void printReport(PrintStream out, String bucket, RunReport r) {
    out.printf("compact: bucket %s, done in %s%n", bucket, duration(Duration.ofMillis(r.endMillis - r.startMillis)));
    out.printf("  compacted    merged %d blocks (%s) in %d compactions%n", r.compactedInputBlocks.get(),
        bytes(r.compactedInputBytes.get()), r.compactions.get());
    out.printf("  downsampled  %d blocks to 5m, %d to 1h (%d of them ahead of retention)%n", r.downsampled5m.get(),
        r.downsampled1h.get(), r.downsampledForRetention.get());
    out.printf("  retention    %d blocks marked for deletion%s%n", r.retentionMarked.get(),
        r.holds.isEmpty() ? "" : ", " + r.holds.size() + " expired blocks kept (last copy of their data)");
    if (r.heldBack.total() > 0) {
      out.printf("  held back    %s%n", r.heldBack.describe());
    }
    out.printf("  cleaned      %d marked blocks deleted, %d partial uploads deleted, %d outdated blocks marked%n",
        r.deletedBlocks.get(), r.deletedPartialBlocks.get(), r.garbageCollected.get());
    if (r.markedNoCompact.get() + r.markedNoDownsample.get() > 0) {
      out.printf("  bad blocks   %d marked no-compact, %d marked no-downsample%n", r.markedNoCompact.get(),
          r.markedNoDownsample.get());
    }
    out.printf("  bucket now:  %s%n", r.bucketCounts);
    printTiers(out, r.survivors);
  }

  /** One line per resolution: block count, time span, size. */
  static void printTiers(PrintStream out, Collection<BlockMeta> metas) {
    Map<Long, long[]> tiers = new TreeMap<>(); // count, min, max, bytes, samples
    for (BlockMeta m : metas) {
      long[] t = tiers.computeIfAbsent(m.resolution(), k -> new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE, 0, 0});
      t[0]++;
      t[1] = Math.min(t[1], m.minTime);
      t[2] = Math.max(t[2], m.maxTime);
      t[3] += m.sizeBytes();
      t[4] += m.stats.numSamples;
    }
    if (tiers.isEmpty()) {
      out.println("    (no blocks)");
    }
    tiers.forEach((res, t) -> out.printf("    %-4s %4d blocks  %s .. %s  (%s, %d samples)%n", Resolution.name(res), t[0],
        Instant.ofEpochMilli(t[1]), Instant.ofEpochMilli(t[2]), bytes(t[3]), t[4]));
  }

  /** Headings of the dry run's plan, one per kind of action, in run order. */
  private static final String[][] PLAN_SECTIONS = {
    {Action.DELETE, "deletions"},
    {Action.GARBAGE_COLLECT, "outdated blocks marked for deletion"},
    {Action.COMPACT, "compactions"},
    {Action.RETIRE, "compacted blocks marked for deletion"},
    {Action.NO_COMPACT, "marked no-compact"},
    {Action.DOWNSAMPLE, "downsamplings"},
    {Action.NO_DOWNSAMPLE, "marked no-downsample"},
    {Action.RETENTION, "retention deletions"},
    {Action.RETENTION_HOLD, "kept by retention"},
  };

  /** The dry run's plan: the actions by kind, then the bucket it would leave. */
  static void printPlan(PrintStream out, String bucket, RunReport r) {
    out.printf("compact --dry-run: bucket %s; nothing will be changed. Plan:%n", bucket);
    List<Action> actions;
    synchronized (r.actions) {
      actions = new java.util.ArrayList<>(r.actions);
    }
    for (String[] section : PLAN_SECTIONS) {
      List<Action> of = actions.stream().filter(a -> a.step().equals(section[0])).toList();
      out.printf("%s (%d):%n", section[1], of.size());
      for (Action a : of) {
        out.printf("  %s %s [%s, %s) %s, %d sources  %s%n", a.ulid() == null ? "(planned block)           " : a.ulid(),
            Resolution.name(a.resolution()), Instant.ofEpochMilli(a.minTime()), Instant.ofEpochMilli(a.maxTime()),
            bytes(a.sizeBytes()), a.sources().size(), a.reason());
      }
    }
    out.println("bucket after the run:");
    printTiers(out, r.survivors);
  }

  static String bytes(long b) {
    if (b < 1024) {
      return b + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = b;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format("%.1f %s", v, units[u]);
  }

  static String duration(Duration d) {
    long s = d.toSeconds();
    if (s < 60) {
      return String.format("%.1fs", d.toMillis() / 1000.0);
    }
    if (s < 3600) {
      return (s / 60) + "m" + (s % 60) + "s";
    }
    return (s / 3600) + "h" + (s % 3600 / 60) + "m";
  }

  static void printFailures(PrintStream err, List<String> failures) {
    for (String f : failures) {
      err.println("compact: " + f);
    }
  }
}
