package io.tsdbcompactor.sync;

import java.time.Instant;

/**
 * A block folder without a usable {@code meta.json}: an upload that is still running, or one that died, or a
 * meta.json that is there but does not parse ({@link #metaUnreadable()}). {@code lastModified} is the newest
 * object under the folder (the ULID time when there is none); the cleaner deletes a block without meta.json 48 h
 * after that.
 */
public record PartialBlock(String ulid, String reason, Instant lastModified) {
  /** Reason of a folder that has no meta.json object. */
  public static final String NO_META = "no meta.json";
  /** Reason of a folder whose meta.json vanished between listing and reading: a delete in progress. */
  public static final String META_DISAPPEARED = "meta.json disappeared while syncing";

  /**
   * Whether the folder has a meta.json that cannot be read (not JSON, does not parse). Uploads write meta.json
   * whole and last, so this is damage, not an aborted upload: unlike Thanos, such blocks are never deleted as
   * partial uploads, since their index and chunks may be whole.
   */
  public boolean metaUnreadable() {
    return !reason.equals(NO_META) && !reason.equals(META_DISAPPEARED);
  }
}
