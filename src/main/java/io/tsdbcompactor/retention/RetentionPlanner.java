package io.tsdbcompactor.retention;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import io.tsdbcompactor.block.SourceCoverage;
import io.tsdbcompactor.model.PromDuration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides, from a bucket's synced metas and a clock, which blocks retention removes and which must first be
 * downsampled so that retention never destroys the last copy of some data.
 *
 * <p>Thanos applies retention per block with no regard for the coarser tiers, so a raw block can go before any
 * 5m block covers it (e.g. a short block the 40 h range rule never downsampled) and a 5m block before any 1h
 * block does. Here, while downsampling is on, a block is <em>covered</em> when every one of its
 * {@code compaction.sources} is a source of some surviving block of a coarser resolution (the same test Thanos
 * uses to skip blocks already downsampled). The run asks {@link #mustDownsampleFirst} before each downsampling
 * step and downsamples those blocks whatever their range; {@link #plan} then holds back any expired block that
 * is still not covered, so a failed downsampling delays retention instead of losing data.
 *
 * <p>A coarser block known to be damaged (it failed to read: the {@code damaged} ULIDs) covers nothing: the data
 * it should hold may be what is unreadable in it.
 *
 * <p>Only data a coarser tier would still keep is protected: once the 1h retention has passed too, an expired
 * block goes whether or not it was ever downsampled. Blocks marked {@code no-downsample-mark.json} are excluded from both: the operator asked for them never to
 * be downsampled, so they expire as Thanos would expire them.
 */
public final class RetentionPlanner {
  private final RetentionPolicy policy;
  private final boolean downsamplingEnabled;

  public RetentionPlanner(RetentionPolicy policy, boolean downsamplingEnabled) {
    this.policy = policy;
    this.downsamplingEnabled = downsamplingEnabled;
  }

  public RetentionPolicy policy() {
    return policy;
  }

  /** A block retention removes, and the deletion mark's details. */
  public record Deletion(BlockMeta meta, String details) {}

  /** An expired block kept because it is the last copy of its data, and why. */
  public record Hold(BlockMeta meta, String reason) {}

  /** The outcome of one retention pass. */
  public record Plan(List<Deletion> deletions, List<Hold> holds) {
    public boolean isEmpty() {
      return deletions.isEmpty() && holds.isEmpty();
    }
  }

  /**
   * Blocks of {@code resolution} (raw or 5m) that are expired at {@code nowMillis} and not yet covered by a
   * coarser block: the downsampling step must downsample them now, whatever their time range. Empty when
   * downsampling is off or nothing of that resolution expires.
   */
  public List<BlockMeta> mustDownsampleFirst(
      Collection<BlockMeta> metas, long resolution, long nowMillis, Set<String> noDownsample, Set<String> damaged) {
    List<BlockMeta> out = new ArrayList<>();
    if (!downsamplingEnabled || resolution == RetentionPolicy.RES_1H) {
      return out;
    }
    SourceCoverage coarser = null; // millions of sources in a big bucket: built only when an expired block asks
    for (BlockMeta m : metas) {
      if (m.resolution() == resolution
          && !noDownsample.contains(m.ulid)
          && policy.expired(resolution, m.maxTime, nowMillis)
          && coarserTierKeeps(resolution, m.maxTime, nowMillis)) {
        if (coarser == null) {
          coarser = sourcesCoarserThan(metas, resolution, damaged);
        }
        if (!covered(coarser, m)) {
          out.add(m);
        }
      }
    }
    return out;
  }

  /**
   * The retention pass: every expired block is either deleted or, while downsampling is on and no coarser
   * surviving block covers it, held. Coarser tiers are decided first, so a 5m block that is itself deleted
   * does not count as covering raw data.
   */
  public Plan plan(Collection<BlockMeta> metas, long nowMillis, Set<String> noDownsample, Set<String> damaged) {
    List<Deletion> deletions = new ArrayList<>();
    List<Hold> holds = new ArrayList<>();
    Set<String> deleted = new HashSet<>(damaged); // neither covers anything
    long[] coarseToFine = {RetentionPolicy.RES_1H, RetentionPolicy.RES_5M, RetentionPolicy.RES_RAW};
    for (long res : coarseToFine) {
      SourceCoverage coarser = null; // built only when an expired block asks (a big bucket has millions of sources)
      List<String> deletedNow = new ArrayList<>();
      for (BlockMeta m : metas) {
        if (m.resolution() != res || !policy.expired(res, m.maxTime, nowMillis)) {
          continue;
        }
        boolean protect = downsamplingEnabled
            && res != RetentionPolicy.RES_1H
            && !noDownsample.contains(m.ulid)
            && coarserTierKeeps(res, m.maxTime, nowMillis);
        if (protect && coarser == null) {
          coarser = sourcesCoarserThan(metas, res, deleted);
        }
        if (protect && !covered(coarser, m)) {
          holds.add(new Hold(m, "past its retention of " + PromDuration.format(policy.forResolution(res))
              + " but no " + (res == RetentionPolicy.RES_RAW ? "5m or 1h" : "1h")
              + " block covers its sources yet; kept until it is downsampled"));
        } else {
          deletions.add(new Deletion(m, policy.deletionDetails(res)));
          deletedNow.add(m.ulid);
        }
      }
      deleted.addAll(deletedNow);
    }
    // Resolutions Thanos does not know are never expired (their retention is zero).
    return new Plan(deletions, holds);
  }

  /**
   * Whether a coarser tier would still keep data ending at {@code maxTime}: only then is a block of
   * {@code resolution} worth protecting (raw data reaches 1h through 5m, so raw counts either tier).
   */
  private boolean coarserTierKeeps(long resolution, long maxTime, long nowMillis) {
    boolean oneHourKeeps = !policy.expired(RetentionPolicy.RES_1H, maxTime, nowMillis);
    if (resolution == RetentionPolicy.RES_RAW) {
      return oneHourKeeps || !policy.expired(RetentionPolicy.RES_5M, maxTime, nowMillis);
    }
    return oneHourKeeps;
  }

  /**
   * The sources of blocks coarser than {@code resolution}, leaving out the ULIDs in {@code excluded}; none at all
   * when {@code excluded} is null.
   */
  private static SourceCoverage sourcesCoarserThan(Collection<BlockMeta> metas, long resolution, Set<String> excluded) {
    SourceCoverage out = new SourceCoverage(List.of());
    if (excluded == null) {
      return out;
    }
    for (BlockMeta m : metas) {
      if (m.resolution() > resolution && !excluded.contains(m.ulid)) {
        out.add(m);
      }
    }
    return out;
  }

  /**
   * Whether the coarser blocks hold {@code m}'s data: all its sources (itself when it has none), for every series
   * it can hold when it is a partition (a partition's own ULID aside: {@link PartitionInfo#dataSources}).
   */
  private static boolean covered(SourceCoverage coarser, BlockMeta m) {
    return coarser.holds(PartitionInfo.of(m), PartitionInfo.dataSources(m));
  }

  /** A block's sources; a block Prometheus wrote without any is its own source. */
  static List<String> sourcesOf(BlockMeta m) {
    return m.compaction.sources.isEmpty() ? List.of(m.ulid) : m.compaction.sources;
  }
}
