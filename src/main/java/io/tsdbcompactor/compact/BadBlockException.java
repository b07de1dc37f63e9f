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
}
