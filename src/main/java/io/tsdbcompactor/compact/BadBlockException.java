package io.tsdbcompactor.compact;

import java.io.IOException;
import java.util.List;

/**
 * A compaction failed because of what is inside some input blocks (corrupt data, chunks that cannot be merged),
 * not because of the bucket or the machine. The group compactor marks the named blocks no-compact with
 * {@link #reason()} (one of {@code sync.Marker}'s: {@code corrupted-block} for blocks that fail to read or verify,
 * {@code unmergeable-chunks} for overlapping chunks that cannot be merged) and goes on without them; nothing is
 * deleted.
 */
public final class BadBlockException extends IOException {
  private final List<String> ulids;
  private final String reason;

  public BadBlockException(List<String> ulids, String reason, String message, Throwable cause) {
    super(message, cause);
    this.ulids = List.copyOf(ulids);
    this.reason = reason;
  }

  /** The blocks at fault. */
  public List<String> ulids() {
    return ulids;
  }

  public String reason() {
    return reason;
  }

  /**
   * Block {@code ulid} failed to read: the file is named as its object in the bucket ("ULID/tombstones"), not as
   * the path of the local copy it was read from, which says nothing to whoever looks in the bucket.
   */
  public static BadBlockException corrupt(String ulid, IOException e) {
    String named;
    if (e instanceof io.tsdbcompactor.store.CorruptDataException c) {
      String object = objectName(ulid, c.file());
      named = object == null ? c.getMessage() : c.in(object).getMessage();
    } else if (e instanceof java.nio.file.NoSuchFileException n && objectName(ulid, n.getFile()) != null) {
      named = objectName(ulid, n.getFile()) + " is missing";
    } else {
      named = e.getMessage();
    }
    return new BadBlockException(List.of(ulid), io.tsdbcompactor.sync.Marker.REASON_CORRUPTED_BLOCK,
        "block " + ulid + ": " + named, e);
  }

  /** "ULID/rel/path" for a path inside a local copy of block {@code ulid}; null for any other name. */
  private static String objectName(String ulid, String file) {
    if (file == null) {
      return null;
    }
    String f = file.replace('\\', '/');
    int at = f.lastIndexOf("/" + ulid + "/");
    return at < 0 ? null : f.substring(at + 1);
  }
}
