package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.ListEntry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * What one {@link BlockSyncer#sync()} found.
 *
 * @param metas the blocks to work on, sorted by ULID: parsed, not too fresh (consistency delay), not hidden by a
 *     deletion mark older than the visibility delay. External labels and resolution for grouping come from
 *     {@link BlockMeta#externalLabels()} and {@link BlockMeta#resolution()}.
 * @param allMetas every block whose meta.json parsed, before filtering, by ULID
 * @param deletionMarks deletion marks of blocks that have a meta.json, by ULID
 * @param noCompactMarks no-compact marks, by ULID
 * @param noDownsampleMarks no-downsample marks, by ULID
 * @param partial blocks without a usable meta.json, by ULID
 * @param tooFresh ULIDs dropped by the consistency delay
 * @param hiddenByDeletionMark ULIDs dropped because their deletion mark is older than delete-delay / 2
 * @param failed ULIDs whose meta.json could not be used for another reason (e.g. version not 1), with the
 *     error; Thanos treats a sync with failures as incomplete and retries it
 * @param objects every object under each block folder (from the listing), by ULID
 * @param syncTime the clock's time when the sync started
 */
public record SyncResult(
    List<BlockMeta> metas,
    SortedMap<String, BlockMeta> allMetas,
    SortedMap<String, Marker.DeletionMark> deletionMarks,
    SortedMap<String, Marker.NoCompactMark> noCompactMarks,
    SortedMap<String, Marker.NoDownsampleMark> noDownsampleMarks,
    SortedMap<String, PartialBlock> partial,
    Set<String> tooFresh,
    Set<String> hiddenByDeletionMark,
    SortedMap<String, String> failed,
    Map<String, List<ListEntry>> objects,
    Instant syncTime) {

  /** ULIDs with a no-compact mark. */
  public Set<String> noCompactMarked() {
    return noCompactMarks.keySet();
  }

  /** ULIDs with a no-downsample mark. */
  public Set<String> noDownsampleMarked() {
    return noDownsampleMarks.keySet();
  }

  /**
   * The bucket's block counts in the one wording every command prints ({@code compact}'s summary and log, the
   * {@code tools bucket} commands), counted before any delay or filter so that every command reports the same
   * numbers for the same bucket: "42 blocks with meta.json (3 marked for deletion, 1 no-compact, 0 no-downsample),
   * 2 partial (1 with an unreadable meta.json), 0 failed".
   */
  public String describeCounts() {
    long unreadable = partial.values().stream().filter(PartialBlock::metaUnreadable).count();
    long deletion = allMetas.keySet().stream().filter(u -> objects.getOrDefault(u, List.of()).stream()
        .anyMatch(e -> e.key().equals(u + "/" + Marker.DELETION_MARK))).count();
    return allMetas.size() + " blocks with meta.json (" + deletion + " marked for deletion, " + noCompactMarks.size()
        + " no-compact, " + noDownsampleMarks.size() + " no-downsample), " + partial.size() + " partial ("
        + unreadable + " with an unreadable meta.json), " + failed.size() + " failed";
  }
}
