package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Thanos's default planner ({@code tsdbBasedPlanner} in
 * <a href="https://github.com/thanos-io/thanos/blob/main/pkg/compact/planner.go">pkg/compact/planner.go</a>), over
 * metas only: which blocks of one group to compact next. See {@code docs/thanos-compactor.md} §4.3.
 *
 * <ol>
 *   <li>Overlapping blocks (among those not excluded) are planned first, any number of them.</li>
 *   <li>The block with the highest minTime is left out: it may just have been uploaded, and leaving it gives
 *       users one block length to act on it.</li>
 *   <li>Leveled selection: for each range after the first, the first run of 2+ blocks inside one aligned range
 *       that either fills the range or lies wholly before the freshest remaining block; excluded blocks cut
 *       runs without closing gaps.</li>
 *   <li>Otherwise a single big block (at least the middle range) with more than 5% tombstones per series.</li>
 * </ol>
 */
public final class Planner {
  private final long[] ranges;

  /** @param ranges block ranges in ms, ascending; the first is the smallest (2h blocks come from 1h × 2 …) */
  public Planner(long[] ranges) {
    if (ranges.length == 0) {
      throw new IllegalArgumentException("at least one compaction range is needed");
    }
    this.ranges = ranges.clone();
  }

  /** A copy of the ranges the planner was built with. */
  public long[] ranges() {
    return ranges.clone();
  }

  /**
   * @param metasByMinTime the group's metas, sorted by minTime
   * @param excluded ULIDs marked no-compact (never planned; they still count for "freshest block" and cut runs)
   * @return the blocks to compact into one, in minTime order; empty when nothing is to be done
   */
  public List<BlockMeta> plan(List<BlockMeta> metasByMinTime, Set<String> excluded) {
    if (metasByMinTime.isEmpty()) {
      return List.of();
    }
    List<BlockMeta> notExcluded = new ArrayList<>(metasByMinTime.size());
    for (BlockMeta m : metasByMinTime) {
      if (!excluded.contains(m.ulid)) {
        notExcluded.add(m);
      }
    }
    List<BlockMeta> overlapping = selectOverlapping(notExcluded);
    if (!overlapping.isEmpty()) {
      return overlapping;
    }

    BlockMeta freshest = metasByMinTime.get(metasByMinTime.size() - 1);
    if (!excluded.contains(freshest.ulid)) {
      notExcluded.remove(notExcluded.size() - 1);
    }
    List<BlockMeta> leveled = selectLeveled(excluded, metasByMinTime.subList(0, metasByMinTime.size() - 1));
    if (!leveled.isEmpty()) {
      return leveled;
    }

    long bigEnough = ranges[ranges.length / 2];
    for (int i = notExcluded.size() - 1; i >= 0; i--) {
      BlockMeta m = notExcluded.get(i);
      if (m.maxTime - m.minTime < bigEnough) {
        break;
      }
      if ((double) m.stats.numTombstones / (double) (m.stats.numSeries + 1) > 0.05) {
        return List.of(m);
      }
    }
    return List.of();
  }

  /** The first cluster of overlapping blocks, in input order, including the block the first overlap hits. */
  public static List<BlockMeta> selectOverlapping(List<BlockMeta> byMinTime) {
    List<BlockMeta> out = new ArrayList<>();
    if (byMinTime.size() < 2) {
      return out;
    }
    long globalMaxT = byMinTime.get(0).maxTime;
    for (int i = 1; i < byMinTime.size(); i++) {
      BlockMeta m = byMinTime.get(i);
      if (m.minTime < globalMaxT) {
        if (out.isEmpty()) {
          out.add(byMinTime.get(i - 1));
        }
        out.add(m);
      } else if (!out.isEmpty()) {
        break;
      }
      globalMaxT = Math.max(globalMaxT, m.maxTime);
    }
    return out;
  }

  private List<BlockMeta> selectLeveled(Set<String> excluded, List<BlockMeta> byMinTime) {
    if (ranges.length < 2 || byMinTime.isEmpty()) {
      return List.of();
    }
    long highTime = byMinTime.get(byMinTime.size() - 1).minTime;
    for (int r = 1; r < ranges.length; r++) {
      long iv = ranges[r];
      parts:
      for (List<BlockMeta> part : splitByRange(byMinTime, iv)) {
        for (BlockMeta m : part) {
          if (m.compaction.failed) {
            continue parts;
          }
        }
        if (part.size() < 2) {
          continue;
        }
        long minT = part.get(0).minTime;
        long maxT = part.get(part.size() - 1).maxTime;
        // A part that does not fill its range is only ready once a newer block exists after it.
        if (maxT - minT != iv && maxT > highTime) {
          continue;
        }
        int runStart = 0;
        for (int i = 0; i < part.size(); i++) {
          if (!excluded.contains(part.get(i).ulid)) {
            continue;
          }
          if (i - runStart > 1) {
            return new ArrayList<>(part.subList(runStart, i));
          }
          runStart = i + 1;
        }
        if (part.size() - runStart > 1) {
          return new ArrayList<>(part.subList(runStart, part.size()));
        }
      }
    }
    return List.of();
  }

  /**
   * Cuts the metas into runs that each fit one range of length {@code tr} aligned at multiples of tr; blocks
   * that do not fit in their aligned range (misaligned or too big) are skipped.
   */
  static List<List<BlockMeta>> splitByRange(List<BlockMeta> byMinTime, long tr) {
    List<List<BlockMeta>> parts = new ArrayList<>();
    int i = 0;
    while (i < byMinTime.size()) {
      BlockMeta m = byMinTime.get(i);
      long t0 = tr * Math.floorDiv(m.minTime, tr);
      if (m.maxTime > t0 + tr) {
        i++;
        continue;
      }
      List<BlockMeta> part = new ArrayList<>();
      for (; i < byMinTime.size(); i++) {
        if (byMinTime.get(i).maxTime > t0 + tr) {
          break;
        }
        part.add(byMinTime.get(i));
      }
      parts.add(part);
    }
    return parts;
  }
}
