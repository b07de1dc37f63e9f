package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what is due (docs/thanos-compactor.md §1.3, §3.2): blocks whose deletion mark is older than {@code --delete-delay}
 * (strictly, in seconds), and partial blocks (no meta.json) whose newest object is older than 48 hours, or whose
 * deletion mark is past the delete delay (a delete that was interrupted). Blocks are deleted in
 * Thanos's order (see {@link #deleteBlock}), so a crash half way leaves a partial block that a later pass
 * finishes, never a block that looks whole but is not.
 */
public final class BlocksCleaner {
  private static final Logger LOG = LoggerFactory.getLogger(BlocksCleaner.class);
  /** Thanos's PartialUploadThresholdAge, a fixed constant. */
  public static final Duration PARTIAL_UPLOAD_THRESHOLD = Duration.ofHours(48);

  private final Bucket bucket;
  private final Duration deleteDelay;
  private final Clock clock;

  public BlocksCleaner(Bucket bucket, Duration deleteDelay, Clock clock) {
    this.bucket = bucket;
    this.deleteDelay = deleteDelay;
    this.clock = clock;
  }

  public BlocksCleaner(Bucket bucket, Duration deleteDelay) {
    this(bucket, deleteDelay, Clock.systemUTC());
  }

  /** The blocks {@link #deleteMarkedBlocks} would delete now. */
  public List<String> dueMarkedBlocks(SyncResult sync) {
    Instant now = clock.instant();
    List<String> due = new ArrayList<>();
    for (Map.Entry<String, Marker.DeletionMark> e : sync.deletionMarks().entrySet()) {
      // Thanos compares time.Since(mark) with its sub-second part: with --delete-delay=0s a block marked
      // earlier in the same second is due, not left for the next run.
      if (Duration.between(Instant.ofEpochSecond(e.getValue().deletionTime()), now).compareTo(deleteDelay) > 0) {
        due.add(e.getKey());
      }
    }
    return due;
  }

  /** Deletes the marked blocks past the delete delay; returns their ULIDs. */
  public List<String> deleteMarkedBlocks(SyncResult sync) throws IOException {
    List<String> due = dueMarkedBlocks(sync);
    for (String ulid : due) {
      deleteBlock(bucket, ulid);
      LOG.info("deleted block {} marked for deletion at {}", ulid,
          Instant.ofEpochSecond(sync.deletionMarks().get(ulid).deletionTime()));
    }
    return due;
  }

  /** The partial blocks {@link #cleanPartialBlocks} would delete now. */
  public List<String> duePartialBlocks(SyncResult sync) {
    Instant now = clock.instant();
    List<String> due = new ArrayList<>();
    for (PartialBlock p : sync.partial().values()) {
      if (sync.deletionMarks().containsKey(p.ulid()) || p.metaUnreadable()) {
        continue; // a damaged meta.json is no aborted upload: its block is kept for a person to repair
      }
      Instant marked = deletionMarkTime(sync, p.ulid());
      if (marked != null && Duration.between(marked, now).compareTo(deleteDelay) > 0) {
        // meta.json goes first when a block is deleted: this is a delete that was interrupted; finish it now
        // rather than 48 h after its deletion mark (which was past the delete delay when the delete began).
        due.add(p.ulid());
        continue;
      }
      if (Duration.between(p.lastModified(), now).compareTo(PARTIAL_UPLOAD_THRESHOLD) > 0) {
        due.add(p.ulid());
      }
    }
    return due;
  }

  /** The time of the block's deletion-mark.json object from the sync's listing, null if there is none. */
  private static Instant deletionMarkTime(SyncResult sync, String ulid) {
    List<ListEntry> objects = sync.objects() == null ? null : sync.objects().get(ulid);
    if (objects == null) {
      return null;
    }
    for (ListEntry e : objects) {
      if (e.key().equals(ulid + "/" + Marker.DELETION_MARK)) {
        return e.lastModified();
      }
    }
    return null;
  }

  /** Deletes partial blocks older than 48 h; returns their ULIDs. */
  public List<String> cleanPartialBlocks(SyncResult sync) throws IOException {
    List<String> due = duePartialBlocks(sync);
    for (String ulid : due) {
      deleteBlock(bucket, ulid);
      LOG.info("deleted partial block {} (last modified {})", ulid, sync.partial().get(ulid).lastModified());
    }
    return due;
  }

  /**
   * Deletes every object of a block in Thanos's order: meta.json first (the block turns partial at once), then
   * every other object except deletion-mark.json, then deletion-mark.json (so an interrupted delete is still
   * known to be one), then the directory-marker objects some tools create.
   */
  public static void deleteBlock(Bucket bucket, String ulid) throws IOException {
    if (!Ulid.isValid(ulid)) {
      throw new IllegalArgumentException("not a block ULID: " + ulid);
    }
    String metaKey = ulid + "/" + BlockMeta.FILE_NAME;
    String markKey = ulid + "/" + Marker.DELETION_MARK;
    bucket.delete(metaKey);
    boolean hasMark = false;
    for (ListEntry e : bucket.list(ulid, true)) {
      if (e.key().equals(markKey)) {
        hasMark = true;
      } else if (!e.key().equals(metaKey)) {
        bucket.delete(e.key());
      }
    }
    if (hasMark) {
      bucket.delete(markKey);
    }
    for (String dirMarker : new String[] {ulid + "/chunks/", ulid + "/"}) {
      try {
        bucket.delete(dirMarker);
      } catch (IOException e) {
        LOG.debug("could not delete directory marker {}: {}", dirMarker, e.toString()); // best effort, as in Thanos
      }
    }
  }
}
