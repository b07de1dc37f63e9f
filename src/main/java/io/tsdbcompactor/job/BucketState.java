package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.PartialBlock;
import io.tsdbcompactor.sync.SyncResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The bucket as the steps of a run plan on it. The run syncs a fresh one from the bucket after each step that
 * acted; the dry run starts from the first sync and, instead of executing each step, applies to it what the step
 * would do ({@link #addPlanned}, {@link #markForDeletion}, {@link #delete}, ...), so every later step plans on the
 * blocks the earlier ones would have produced. Planned blocks carry placeholder ULIDs (their real ones do not exist
 * yet); {@link #isPlanned} tells them apart.
 */
public final class BucketState {
  private final List<BlockMeta> metas;
  private final SortedMap<String, BlockMeta> allMetas;
  private final SortedMap<String, Marker.DeletionMark> deletionMarks;
  private final SortedMap<String, Marker.NoCompactMark> noCompactMarks;
  private final SortedMap<String, Marker.NoDownsampleMark> noDownsampleMarks;
  private final SortedMap<String, PartialBlock> partial;
  private final SortedMap<String, String> failed;
  private final Set<String> tooFresh;
  private final Set<String> hidden;
  private final Map<String, List<ListEntry>> objects;
  private final Set<String> planned;
  private final Instant syncTime;
  /** Blocks {@link #addPlanned} appended since {@link #metas} was last sorted; sorted once, when next read. */
  private boolean metasSorted;
  /** Blocks {@link #delete}d since {@link #metas} was last read; removed in one pass, when next read. */
  private final Set<String> deletedSince = new HashSet<>();
  private long version;

  private BucketState(SyncResult s, Set<String> planned) {
    this.metas = new ArrayList<>(s.metas());
    this.allMetas = new TreeMap<>(s.allMetas());
    this.deletionMarks = new TreeMap<>(s.deletionMarks());
    this.noCompactMarks = new TreeMap<>(s.noCompactMarks());
    this.noDownsampleMarks = new TreeMap<>(s.noDownsampleMarks());
    this.partial = new TreeMap<>(s.partial());
    this.failed = new TreeMap<>(s.failed());
    this.tooFresh = new TreeSet<>(s.tooFresh());
    this.hidden = new TreeSet<>(s.hiddenByDeletionMark());
    this.objects = s.objects() == null ? new HashMap<>() : new HashMap<>(s.objects());
    this.planned = new HashSet<>(planned);
    this.syncTime = s.syncTime();
    this.metasSorted = false;
  }

  /** The state a sync found. */
  public static BucketState of(SyncResult s) {
    return new BucketState(s, Set.of());
  }

  /** An independent copy (the dry run's pass before a run plays on one). */
  public BucketState copy() {
    return new BucketState(asSyncResult(), planned);
  }

  /** The state in the sync's shape, for code that reads syncs (the cleaner). */
  public SyncResult asSyncResult() {
    return new SyncResult(new ArrayList<>(metas()), new TreeMap<>(allMetas), new TreeMap<>(deletionMarks),
        new TreeMap<>(noCompactMarks), new TreeMap<>(noDownsampleMarks), new TreeMap<>(partial),
        new TreeSet<>(tooFresh), new TreeSet<>(hidden), new TreeMap<>(failed), new HashMap<>(objects), syncTime);
  }

  /** The blocks to work on (not too fresh), deletion-marked ones included; sorted by ULID. */
  public List<BlockMeta> metas() {
    // A dry run over a big bucket adds and deletes thousands of blocks: each is one pass here, not one each.
    applyDeletes();
    if (!metasSorted) {
      metas.sort((a, b) -> a.ulid.compareTo(b.ulid));
      metasSorted = true;
    }
    return metas;
  }

  private void applyDeletes() {
    if (!deletedSince.isEmpty()) {
      metas.removeIf(m -> deletedSince.contains(m.ulid));
      deletedSince.clear();
    }
  }

  /**
   * Changes with every simulated change, so what is derived from the state (the blocks a step may work on) can be
   * reused until the state changes.
   */
  public long version() {
    return version;
  }

  public SortedMap<String, BlockMeta> allMetas() {
    return allMetas;
  }

  public SortedMap<String, Marker.DeletionMark> deletionMarks() {
    return deletionMarks;
  }

  public Set<String> noCompactMarked() {
    return noCompactMarks.keySet();
  }

  public Set<String> noDownsampleMarked() {
    return noDownsampleMarks.keySet();
  }

  public SortedMap<String, Marker.NoDownsampleMark> noDownsampleMarks() {
    return noDownsampleMarks;
  }

  public SortedMap<String, PartialBlock> partial() {
    return partial;
  }

  public SortedMap<String, String> failed() {
    return failed;
  }

  /**
   * Blocks whose no-downsample mark lets retention expire them un-downsampled: an operator's wish, as in Thanos.
   * A mark we wrote because the block failed to read ({@link Marker#REASON_CORRUPTED_BLOCK}) is no such wish: that
   * block stays protected (held past its retention) until someone repairs it. The run and the dry run both ask
   * here.
   */
  public Set<String> downsamplingOptOuts() {
    Set<String> out = new HashSet<>();
    noDownsampleMarks.forEach((u, mark) -> {
      if (!Marker.REASON_CORRUPTED_BLOCK.equals(mark.reason())) {
        out.add(u);
      }
    });
    return out;
  }

  /**
   * Blocks that failed to read in an earlier run: their no-compact or no-downsample mark gives
   * {@link Marker#REASON_CORRUPTED_BLOCK}. They may hold only part of their data, so no other block's data counts
   * as safe in them: garbage collection keeps the blocks whose sources they list, and retention the finer blocks
   * they would cover.
   */
  public Set<String> damaged() {
    Set<String> out = new HashSet<>();
    noCompactMarks.forEach((u, mark) -> {
      if (Marker.REASON_CORRUPTED_BLOCK.equals(mark.reason())) {
        out.add(u);
      }
    });
    noDownsampleMarks.forEach((u, mark) -> {
      if (Marker.REASON_CORRUPTED_BLOCK.equals(mark.reason())) {
        out.add(u);
      }
    });
    return out;
  }

  /** Whether the block is one the dry run predicts rather than one in the bucket. */
  public boolean isPlanned(String ulid) {
    return planned.contains(ulid);
  }

  // ------------------------------------------------------------------------------------ simulated changes

  /** A block a step would upload (placeholder ULID). */
  public void addPlanned(BlockMeta m) {
    applyDeletes(); // a pending delete of an earlier block with this ULID must not take the new one
    version++;
    planned.add(m.ulid);
    allMetas.put(m.ulid, m);
    metas.add(m);
    metasSorted = false;
  }

  public void markForDeletion(String ulid, String details, long epochSecond) {
    version++;
    deletionMarks.putIfAbsent(ulid, new Marker.DeletionMark(ulid, details, epochSecond));
  }

  public void markNoCompact(String ulid, String reason, String details, long epochSecond) {
    version++;
    noCompactMarks.putIfAbsent(ulid, new Marker.NoCompactMark(ulid, details, epochSecond, reason));
  }

  public void markNoDownsample(String ulid, String reason, String details, long epochSecond) {
    version++;
    noDownsampleMarks.putIfAbsent(ulid, new Marker.NoDownsampleMark(ulid, details, epochSecond, reason));
  }

  /** The block and everything about it is gone from the bucket. */
  public void delete(String ulid) {
    version++;
    deletedSince.add(ulid);
    allMetas.remove(ulid);
    deletionMarks.remove(ulid);
    noCompactMarks.remove(ulid);
    noDownsampleMarks.remove(ulid);
    partial.remove(ulid);
    failed.remove(ulid);
    tooFresh.remove(ulid);
    hidden.remove(ulid);
    objects.remove(ulid);
  }
}
