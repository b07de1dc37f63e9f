package io.tsdbcompactor.acceptance;

import static io.tsdbcompactor.acceptance.OpenMetricsGen.D;
import static io.tsdbcompactor.acceptance.OpenMetricsGen.H;
import static io.tsdbcompactor.acceptance.Scenario.T14;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.acceptance.AggregateCheck.Series;
import io.tsdbcompactor.acceptance.Tools.Meta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 acceptance over 19 days of promtool-made 2h blocks. A first run capped at 2d blocks
 * ({@code --debug.max-compaction-level=3}) downsamples each 2d raw block to 5m; a second run with the default
 * ranges compacts raw to 14d (not downsampled again), compacts seven 5m blocks into a 14d 5m block inside the 5m
 * group, and downsamples that to 1h. Aggregates are checked against our own recomputation from promtool's dump of
 * the raw input.
 *
 * <p>Why the cap: with the default ranges and continuous uploads, Thanos's planner forms a window's last 2d raw
 * block in the same run as the window's 14d block (both parts become selectable with the same next block), so
 * that 14d raw block is what gets downsampled and the 5m 2d blocks it covers are garbage-collected; 5m blocks are
 * compacted together only when their raw sources were all downsampled before, e.g. after a change of ranges.
 */
class DownsamplingAcceptanceTest {
  static final long RES_5M = 300_000L;
  static final long RES_1H = 3_600_000L;

  @TempDir Path work;

  private static String ranges(List<Meta> ms) {
    StringBuilder sb = new StringBuilder();
    for (Meta m : ms) {
      sb.append(String.format("[%.2fd,%.2fd) ", (m.minTime() - T14) / (double) D, (m.maxTime() - T14) / (double) D));
    }
    return sb.toString().trim();
  }

  private static List<Meta> ofRes(List<Meta> live, long res) {
    return live.stream().filter(m -> m.resolution() == res).toList();
  }

  private static void assertNoOverlaps(List<Meta> ms) {
    for (int i = 1; i < ms.size(); i++) {
      assertTrue(ms.get(i).minTime() >= ms.get(i - 1).maxTime(), "overlap: " + ranges(ms));
    }
  }

  /** Copies the staged input blocks whose maxTime is at most {@code cut} into the bucket (once each). */
  private static int upload(Path staged, Path bucket, long cut, Set<String> done) throws Exception {
    int n = 0;
    for (Path b : Tools.blocks(staged)) {
      String u = b.getFileName().toString();
      if (!done.contains(u) && Tools.meta(b).maxTime() <= cut) {
        Tools.copyTree(b, bucket.resolve(u));
        done.add(u);
        n++;
      }
    }
    return n;
  }

  private static String dump(Path bucket, Meta m) {
    return CompactionAcceptanceTest.captureStdout("tools", "block", "dump", bucket.resolve(m.ulid()).toString());
  }

  private static String assertAggregates(Path bucket, Meta five, Map<String, Series> raw) throws Exception {
    String aggr = dump(bucket, five);
    List<String> problems = AggregateCheck.compare(raw, aggr, RES_5M, five.minTime(), five.maxTime());
    assertTrue(problems.isEmpty(), "5m block " + ranges(List.of(five)) + ":\n" + String.join("\n", problems));
    return aggr;
  }

  @Test
  void twoUploadsReach5mCompactionAnd1h() throws Exception {
    Path staged = Scenario.issue5(work, null);
    Files.createDirectories(staged.resolve("wal"));
    String rawDump = Tools.promtool("tsdb", "dump", staged.toString());
    Tools.deleteTree(staged.resolve("wal"));
    Tools.deleteTree(staged.resolve("chunks_head"));
    Map<String, Series> raw = AggregateCheck.parseRaw(rawDump);
    assertEquals(12, raw.size());

    Path bucket = work.resolve("bucket");
    Files.createDirectories(bucket);
    assertEquals(19 * 12, upload(staged, bucket, Long.MAX_VALUE, new HashSet<>()));
    // First run as an operator capped at 2d blocks would: every raw 2d block is downsampled on its own.
    assertEquals(0, CompactionAcceptanceTest.compact(bucket, "--debug.max-compaction-level=3"));
    List<Meta> live = Tools.liveBlocks(bucket);
    List<Meta> raw1 = ofRes(live, 0);
    List<Meta> five1 = ofRes(live, RES_5M);
    String twoDays = "[0.00d,2.00d) [2.00d,4.00d) [4.00d,6.00d) [6.00d,8.00d) [8.00d,10.00d) [10.00d,12.00d) "
        + "[12.00d,14.00d) [14.00d,16.00d) [16.00d,18.00d)";
    assertTrue(ranges(raw1).startsWith(twoDays + " [18.00d,18.33d) "), ranges(raw1));
    assertEquals(twoDays, ranges(five1));
    assertEquals(List.of(), ofRes(live, RES_1H));
    // The 5m 14d block to come must hold the first seven 5m blocks' AggrChunks, series by series, unchanged.
    Map<String, StringBuilder> concat = new LinkedHashMap<>();
    for (int i = 0; i < five1.size(); i++) {
      assertEquals(raw1.get(i).sources(), five1.get(i).sources());
      String d = assertAggregates(bucket, five1.get(i), raw);
      if (i < 7) {
        for (String l : d.split("\n")) {
          concat.computeIfAbsent(l.substring(0, l.lastIndexOf('}') + 1), k -> new StringBuilder()).append(l)
              .append('\n');
        }
      }
    }

    // Second run with the default ranges: raw and 5m each reach a 14d block inside their own group (the raw one
    // is not downsampled again, all its sources already are), and the 5m 14d block (>= 10d) becomes 1h.
    assertEquals(0, CompactionAcceptanceTest.compact(bucket));
    live = Tools.liveBlocks(bucket);
    List<Meta> raw2 = ofRes(live, 0);
    List<Meta> five2 = ofRes(live, RES_5M);
    List<Meta> hour2 = ofRes(live, RES_1H);
    assertNoOverlaps(raw2);
    assertNoOverlaps(five2);
    assertNoOverlaps(hour2);
    assertTrue(ranges(raw2).startsWith("[0.00d,14.00d) [14.00d,16.00d) "), ranges(raw2));
    assertEquals("[0.00d,14.00d) [14.00d,16.00d) [16.00d,18.00d)", ranges(five2));
    Set<String> union = new HashSet<>();
    for (Meta m : five1.subList(0, 7)) {
      union.addAll(m.sources());
    }
    assertEquals(union, new HashSet<>(five2.get(0).sources()));
    assertEquals(five1.get(6).maxTime(), five2.get(0).maxTime());
    assertEquals(raw2.get(0).sources(), five2.get(0).sources());
    assertEquals("[0.00d,14.00d)", ranges(hour2));
    for (Meta m : five2) {
      assertAggregates(bucket, m, raw);
    }
    assertEquals(String.join("", concat.values()), dump(bucket, five2.get(0)),
        "the 5m 14d block is the compaction of the seven 5m 2d blocks");

    // Every raw sample is still there, once.
    Path rawOut = work.resolve("raw-out");
    for (Meta m : raw2) {
      Tools.copyTree(bucket.resolve(m.ulid()), rawOut.resolve(m.ulid()));
    }
    Files.createDirectories(rawOut.resolve("wal"));
    assertTrue(rawDump.equals(Tools.promtool("tsdb", "dump", rawOut.toString())), "raw dump differs");

    // The 1h block: every window agrees with the raw samples of its hour.
    String hourDump = CompactionAcceptanceTest.captureStdout("tools", "block", "dump",
        bucket.resolve(hour2.get(0).ulid()).toString());
    List<String> hourProblems = AggregateCheck.compareCoarse(raw, hourDump, RES_1H, hour2.get(0).minTime(),
        hour2.get(0).maxTime());
    assertTrue(hourProblems.isEmpty(), "1h aggregates:\n" + String.join("\n", hourProblems));
    List<String> stamps = new ArrayList<>();
    for (String l : hourDump.split("\n")) {
      if (l.contains(" count=")) {
        long t = Long.parseLong(l.substring(l.lastIndexOf(' ') + 1));
        if ((t + 1) % RES_1H != 0) {
          stamps.add(l);
        }
      }
    }
    // Only the last window of each output chunk may carry a sample time instead of the hour's last millisecond.
    assertTrue(stamps.size() <= hourDump.split("counter_last=", -1).length - 1, "off-hour windows: " + stamps);
  }
}
