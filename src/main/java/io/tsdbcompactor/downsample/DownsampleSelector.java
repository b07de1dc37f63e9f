package io.tsdbcompactor.downsample;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.block.SourceCoverage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which blocks of a bucket need a downsampled block, by Thanos's rules ({@code downsampleBucket} in
 * {@code cmd/thanos/downsample.go}; docs/thanos-compactor.md §5.2). Pure logic over metas, so the run can plan, log and test
 * it without touching a bucket.
 *
 * <ul>
 *   <li>Blocks carrying {@code no-downsample-mark.json} or a deletion mark are left out entirely: they are
 *       neither downsampled nor count as coverage (Thanos removes them from the metas before planning).
 *   <li>A raw block is a candidate for 5m when it spans at least 40 h and at least one of its
 *       {@code compaction.sources} is not a source of any 5m block; a 5m block is a candidate for 1h when it
 *       spans at least 10 d and one of its sources is not a source of any 1h block. 1h blocks are final.
 *   <li>Candidates come out in ascending ULID order, the order Thanos visits them.
 *   <li>Any resolution other than raw, 5m and 1h is an error, as in Thanos.
 * </ul>
 *
 * Thanos runs this twice per iteration (sync, pass, sync, pass) so that a 5m block made in the first pass can
 * become a 1h block in the second; the caller does the same.
 */
public final class DownsampleSelector {

  /** One block to downsample and the resolution to produce. */
  public record Candidate(BlockMeta meta, long targetResolution) {
    @Override
    public String toString() {
      return meta.ulid + " -> " + Resolution.name(targetResolution);
    }
  }

  private DownsampleSelector() {}

  /**
   * Plans one downsampling pass from one resolution: raw blocks to 5m, or 5m blocks to 1h. (Thanos plans both in
   * one pass; the run has a step for each, and building the coverage of a tier it does not downsample to would
   * double the work on a big bucket.)
   *
   * @param metas the synced metas of the bucket (any order)
   * @param noDownsampleMarked ULIDs with {@code no-downsample-mark.json}
   * @param deletionMarked ULIDs with {@code deletion-mark.json}
   * @param from {@link Resolution#RAW} or {@link Resolution#FIVE_MINUTES}: the resolution of the blocks to select
   * @throws IllegalArgumentException naming the block when a meta has a resolution Thanos does not know
   */
  public static List<Candidate> select(
      Collection<BlockMeta> metas, Set<String> noDownsampleMarked, Set<String> deletionMarked, long from) {
    long to;
    long minRange;
    if (from == Resolution.RAW) {
      to = Resolution.FIVE_MINUTES;
      minRange = Resolution.RAW_TO_5M_MIN_RANGE;
    } else if (from == Resolution.FIVE_MINUTES) {
      to = Resolution.ONE_HOUR;
      minRange = Resolution.FIVE_M_TO_1H_MIN_RANGE;
    } else {
      throw new IllegalArgumentException("nothing to downsample " + Resolution.name(from) + " blocks to");
    }
    List<BlockMeta> inputs = new ArrayList<>();
    List<BlockMeta> targets = new ArrayList<>();
    for (BlockMeta m : metas) {
      if (noDownsampleMarked.contains(m.ulid) || deletionMarked.contains(m.ulid)) {
        continue;
      }
      long res = m.resolution();
      if (res != Resolution.RAW && res != Resolution.FIVE_MINUTES && res != Resolution.ONE_HOUR) {
        throw new IllegalArgumentException("block " + m.ulid + ": unexpected downsampling resolution " + res);
      }
      if (res == from && m.maxTime - m.minTime >= minRange) {
        inputs.add(m);
      } else if (res == to) {
        targets.add(m);
      }
    }
    if (inputs.isEmpty()) {
      return List.of();
    }
    inputs.sort((a, b) -> a.ulid.compareTo(b.ulid));
    // Most inputs already have their own copy in the target tier: downsampling copies a block's range and sources.
    // Only the others are checked against the tier's sources, which on a big bucket are millions.
    Map<List<Long>, List<BlockMeta>> copiesByRange = new HashMap<>();
    for (BlockMeta t : targets) {
      if (!PartitionInfo.of(t).partitioned()) {
        copiesByRange.computeIfAbsent(List.of(t.minTime, t.maxTime), k -> new ArrayList<>(1)).add(t);
      }
    }
    List<BlockMeta> rest = new ArrayList<>();
    for (BlockMeta m : inputs) {
      if (!m.compaction.sources.isEmpty() && !hasOwnCopy(m, copiesByRange.get(List.of(m.minTime, m.maxTime)))) {
        rest.add(m);
      }
    }
    if (rest.isEmpty()) {
      return List.of();
    }
    SourceCoverage coverage = new SourceCoverage(overlapping(targets, rest));
    List<Candidate> out = new ArrayList<>();
    for (BlockMeta m : rest) {
      if (!coveredBy(m, coverage)) {
        out.add(new Candidate(m, to));
      }
    }
    return out;
  }

  /**
   * Whether one unpartitioned block of the target tier over {@code m}'s range lists exactly {@code m}'s sources: it
   * holds all of {@code m}'s series for every source, so {@link #coveredBy} would say so too.
   */
  private static boolean hasOwnCopy(BlockMeta m, List<BlockMeta> sameRange) {
    if (sameRange == null) {
      return false;
    }
    List<String> needed = PartitionInfo.dataSources(m);
    for (BlockMeta t : sameRange) {
      if (t.sourcesOrSelf().equals(needed)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The blocks of {@code targets} whose time range touches that of some block of {@code inputs}. A block listing a
   * source holds that source's samples, so its range includes the source's; a target sharing a source with an
   * input therefore overlaps it, and the others cannot change {@link #coveredBy}. (Were some meta to list a source
   * outside its own range, the error would be a block downsampled again, never one left out.)
   */
  private static List<BlockMeta> overlapping(List<BlockMeta> targets, List<BlockMeta> inputs) {
    List<long[]> spans = new ArrayList<>();
    List<BlockMeta> byStart = new ArrayList<>(inputs);
    byStart.sort(Comparator.comparingLong(m -> m.minTime));
    for (BlockMeta m : byStart) {
      long[] last = spans.isEmpty() ? null : spans.get(spans.size() - 1);
      if (last != null && m.minTime <= last[1]) {
        last[1] = Math.max(last[1], m.maxTime);
      } else {
        spans.add(new long[] {m.minTime, m.maxTime});
      }
    }
    List<BlockMeta> out = new ArrayList<>();
    for (BlockMeta t : targets) {
      // The last span starting at or before the target's end is the only one that can reach back to its start.
      int lo = 0;
      int hi = spans.size() - 1;
      int found = -1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (spans.get(mid)[0] <= t.maxTime) {
          found = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      if (found >= 0 && spans.get(found)[1] >= t.minTime) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * True when every source of {@code m} is already a source of a block of the target resolution (one that can hold
   * its series, when partitioned: {@link SourceCoverage}). A block without sources is covered vacuously, as in Thanos
   * (its loop finds nothing missing). A partition's own ULID among its sources is not data of its own
   * ({@link PartitionInfo#dataSources}).
   */
  private static boolean coveredBy(BlockMeta m, SourceCoverage target) {
    return m.compaction.sources.isEmpty() || target.holds(PartitionInfo.of(m), PartitionInfo.dataSources(m));
  }
}
