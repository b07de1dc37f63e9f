package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes and reads the marker files of blocks in a bucket. As in Thanos, an existing marker is never
 * overwritten: writing one that is already there logs a warning and leaves the old one (and its time).
 */
public final class Markers {
  private static final Logger LOG = LoggerFactory.getLogger(Markers.class);

  private Markers() {}

  /** Marks a block for deletion; false if it already had a deletion mark. */
  public static boolean markForDeletion(Bucket bucket, String ulid, String details) throws IOException {
    return markForDeletion(bucket, ulid, details, Clock.systemUTC());
  }

  public static boolean markForDeletion(Bucket bucket, String ulid, String details, Clock clock) throws IOException {
    return write(bucket, new Marker.DeletionMark(ulid, details, clock.instant().getEpochSecond()));
  }

  /** Marks a block so the compactor leaves it alone; false if it already had such a mark. */
  public static boolean markNoCompact(Bucket bucket, String ulid, String reason, String details) throws IOException {
    return markNoCompact(bucket, ulid, reason, details, Clock.systemUTC());
  }

  public static boolean markNoCompact(Bucket bucket, String ulid, String reason, String details, Clock clock)
      throws IOException {
    return write(bucket, new Marker.NoCompactMark(ulid, details, clock.instant().getEpochSecond(), reason));
  }

  /** Marks a block so it is not downsampled; false if it already had such a mark. */
  public static boolean markNoDownsample(Bucket bucket, String ulid, String reason, String details) throws IOException {
    return markNoDownsample(bucket, ulid, reason, details, Clock.systemUTC());
  }

  public static boolean markNoDownsample(Bucket bucket, String ulid, String reason, String details, Clock clock)
      throws IOException {
    return write(bucket, new Marker.NoDownsampleMark(ulid, details, clock.instant().getEpochSecond(), reason));
  }

  /**
   * Uploads a marker unless a readable one of its kind exists already; returns whether it wrote. An unreadable one
   * is replaced: every reader ignores it (as Thanos's do), so leaving it would leave the block unmarked for good.
   */
  public static boolean write(Bucket bucket, Marker marker) throws IOException {
    if (!Ulid.isValid(marker.id())) {
      throw new IllegalArgumentException("not a block ULID: " + marker.id());
    }
    String key = marker.id() + "/" + marker.fileName();
    if (bucket.exists(key)) {
      try {
        read(bucket, marker.id(), marker.fileName());
        LOG.warn("requested to write {} but it exists already; leaving it unchanged", key);
        return false;
      } catch (CorruptDataException e) {
        LOG.warn("replacing unreadable {}: {}", key, e.getMessage());
      }
    }
    bucket.upload(key, marker.toJsonBytes());
    LOG.info("wrote {}", key);
    return true;
  }

  public static boolean exists(Bucket bucket, String ulid, String markerFile) throws IOException {
    return bucket.exists(ulid + "/" + markerFile);
  }

  /** Deletes a marker (absent markers are fine). */
  public static void remove(Bucket bucket, String ulid, String markerFile) throws IOException {
    bucket.delete(ulid + "/" + markerFile);
  }

  /**
   * Reads a marker: empty if there is none; {@link CorruptDataException} if it does not parse or has another
   * version.
   */
  public static Optional<Marker> read(Bucket bucket, String ulid, String markerFile) throws IOException {
    String key = ulid + "/" + markerFile;
    byte[] bytes;
    try {
      bytes = bucket.getBytes(key);
    } catch (ObjectNotFoundException e) {
      return Optional.empty();
    }
    return Optional.of(Marker.parse(markerFile, key, bytes));
  }

  /**
   * A block's {@code deletion-mark.json}, typed: the reading side of {@link #markForDeletion}, as Thanos's
   * {@code block/metadata.ReadMarker}. The typed readers are published API (docs/library.md); the compactor itself
   * reads marks through {@link io.tsdbcompactor.sync.BlockSyncer}.
   */
  public static Optional<Marker.DeletionMark> readDeletionMark(Bucket bucket, String ulid) throws IOException {
    return read(bucket, ulid, Marker.DELETION_MARK).map(Marker.DeletionMark.class::cast);
  }

  /** A block's {@code no-compact-mark.json}, typed (see {@link #readDeletionMark}). */
  public static Optional<Marker.NoCompactMark> readNoCompactMark(Bucket bucket, String ulid) throws IOException {
    return read(bucket, ulid, Marker.NO_COMPACT_MARK).map(Marker.NoCompactMark.class::cast);
  }

  /** A block's {@code no-downsample-mark.json}, typed (see {@link #readDeletionMark}). */
  public static Optional<Marker.NoDownsampleMark> readNoDownsampleMark(Bucket bucket, String ulid) throws IOException {
    return read(bucket, ulid, Marker.NO_DOWNSAMPLE_MARK).map(Marker.NoDownsampleMark.class::cast);
  }
}
