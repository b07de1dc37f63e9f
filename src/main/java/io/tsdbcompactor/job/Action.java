package io.tsdbcompactor.job;

import io.tsdbcompactor.block.SourceList;
import java.util.List;

/**
 * One thing a run does to one block: produces it, marks it, or deletes it. The dry run lists the actions it
 * predicts, the run lists those it performed; both go to {@code --report-file}, and on the same bucket the two
 * lists are equal as multisets of {@link #key()}.
 *
 * @param step what happened (one of the constants below)
 * @param group the external labels of the block's group (replica labels removed)
 * @param resolution the block's resolution in ms (for a produced block, the new one's)
 * @param minTime the block's minTime, ms
 * @param maxTime the block's maxTime, ms
 * @param sources the original blocks its data came from, as in meta.json {@code compaction.sources}
 * @param ulid the block's ULID; null for a block the dry run predicts but that does not exist yet
 * @param reason why, in words
 * @param sizeBytes the block's size as its meta.json lists it (planned blocks: an upper bound)
 * @param level the block's compaction level
 * @param groupKey the group's key ({@code <resolution>@<labels hash>}); "" for a block without meta.json
 */
public record Action(String step, String group, long resolution, long minTime, long maxTime, List<String> sources,
    String ulid, String reason, long sizeBytes, int level, String groupKey) {
  /** A block written by a compaction. */
  public static final String COMPACT = "compact";
  /** A compaction's input, marked for deletion once its replacement is uploaded. */
  public static final String RETIRE = "retire";
  /** A block whose sources a bigger block already holds (a compaction that did not finish marking): marked. */
  public static final String GARBAGE_COLLECT = "garbage-collect";
  /** A block written by downsampling. */
  public static final String DOWNSAMPLE = "downsample";
  /** A block marked no-compact. */
  public static final String NO_COMPACT = "no-compact";
  /** A block marked no-downsample. */
  public static final String NO_DOWNSAMPLE = "no-downsample";
  /** A block marked for deletion by retention. */
  public static final String RETENTION = "retention";
  /** An expired block retention keeps because it is the last copy of its data. */
  public static final String RETENTION_HOLD = "retention-hold";
  /** A block deleted from the bucket (deletion mark past the delete delay, or an aborted upload). */
  public static final String DELETE = "delete";

  public Action {
    // A bucket's retention may list 80,000 blocks of 168 sources each: kept as bits, not spelled as Strings.
    sources = sources instanceof SourceList held
        ? java.util.Collections.unmodifiableList(held.sharingCopy())
        : List.copyOf(sources);
  }

  /** What a dry run and the run it predicts agree on: everything but ULIDs, group text, sizes and wording. */
  public String key() {
    return step + " res=" + resolution + " [" + minTime + "," + maxTime + ") " + sources;
  }
}
