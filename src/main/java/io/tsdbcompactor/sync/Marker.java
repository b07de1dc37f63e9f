package io.tsdbcompactor.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;

/**
 * A marker file next to a block's objects (Thanos {@code pkg/block/metadata/markers.go}): written with Go's
 * {@code json.Marshal} (compact, keys in struct order, no trailing newline), version 1, times in Unix seconds.
 *
 * <pre>
 * deletion-mark.json       {"id":ULID,"version":1,"details":TEXT?,"deletion_time":SECONDS}
 * no-compact-mark.json     {"id":ULID,"version":1,"details":TEXT?,"no_compact_time":SECONDS,"reason":REASON}
 * no-downsample-mark.json  {"id":ULID,"version":1,"details":TEXT?,"no_downsample_time":SECONDS,"reason":REASON}
 * </pre>
 *
 * {@code details} is omitted when empty (omitempty).
 */
public sealed interface Marker permits Marker.DeletionMark, Marker.NoCompactMark, Marker.NoDownsampleMark {
  String DELETION_MARK = "deletion-mark.json";
  String NO_COMPACT_MARK = "no-compact-mark.json";
  String NO_DOWNSAMPLE_MARK = "no-downsample-mark.json";

  /** Reasons Thanos writes in no-compact and no-downsample marks. */
  String REASON_MANUAL = "manual";
  String REASON_INDEX_SIZE_EXCEEDING = "index-size-exceeding";
  String REASON_OUT_OF_ORDER_CHUNK = "block-index-out-of-order-chunk";
  String REASON_DOWNSAMPLE_VERTICAL_COMPACTION = "downsample-vertical-compaction";
  /**
   * Our reason for a block that failed to read while being compacted or downsampled. Unlike an operator's
   * no-downsample mark, this one does not let retention expire the block un-downsampled.
   */
  String REASON_CORRUPTED_BLOCK = "corrupted-block";
  /**
   * Our no-downsample reason for a block without a sample the downsampling keeps (only stale markers, or samples
   * before 1970): Thanos's would write an empty block.
   */
  String REASON_NOTHING_TO_DOWNSAMPLE = "nothing-to-downsample";
  /** Our reason for a block without external labels, which Thanos neither compacts nor uploads. */
  String REASON_NO_EXTERNAL_LABELS = "no-external-labels";
  /** Our reason for blocks whose chunks of one series cannot be merged (e.g. mixed encodings that overlap). */
  String REASON_UNMERGEABLE_CHUNKS = "unmergeable-chunks";

  /** The block's ULID. */
  String id();

  String details();

  /** When the mark was made, Unix seconds. */
  long time();

  /** The marker's file name inside the block folder. */
  String fileName();

  /** The file's bytes, exactly as Thanos writes them. */
  default byte[] toJsonBytes() {
    ObjectNode o = GoJson.object();
    o.put("id", id());
    o.put("version", 1);
    if (details() != null && !details().isEmpty()) {
      o.put("details", details());
    }
    if (this instanceof DeletionMark d) {
      o.put("deletion_time", d.deletionTime());
    } else if (this instanceof NoCompactMark n) {
      o.put("no_compact_time", n.noCompactTime());
      o.put("reason", n.reason());
    } else if (this instanceof NoDownsampleMark n) {
      o.put("no_downsample_time", n.noDownsampleTime());
      o.put("reason", n.reason());
    }
    return GoJson.utf8(GoJson.compact(o));
  }

  record DeletionMark(String id, String details, long deletionTime) implements Marker {
    @Override
    public long time() {
      return deletionTime;
    }

    @Override
    public String fileName() {
      return DELETION_MARK;
    }
  }

  record NoCompactMark(String id, String details, long noCompactTime, String reason) implements Marker {
    @Override
    public long time() {
      return noCompactTime;
    }

    @Override
    public String fileName() {
      return NO_COMPACT_MARK;
    }
  }

  record NoDownsampleMark(String id, String details, long noDownsampleTime, String reason) implements Marker {
    @Override
    public long time() {
      return noDownsampleTime;
    }

    @Override
    public String fileName() {
      return NO_DOWNSAMPLE_MARK;
    }
  }

  /**
   * Parses a marker file. Unparsable JSON and a version other than 1 are {@link CorruptDataException}s naming
   * {@code where}; Thanos logs the first as a partial marker and rejects the second.
   */
  static Marker parse(String fileName, String where, byte[] json) throws CorruptDataException {
    JsonNode n;
    try {
      n = GoJson.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new CorruptDataException(where, 0, "marker is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    if (n == null || !n.isObject()) {
      throw new CorruptDataException(where, 0, "marker is not a JSON object");
    }
    if (n.path("version").asLong(-1) != 1 || !n.path("version").isIntegralNumber()) {
      throw new CorruptDataException(where, 0, "unexpected marker version " + n.get("version") + ", expected 1");
    }
    String id = n.path("id").asText("");
    String details = n.path("details").asText("");
    String reason = n.path("reason").asText("");
    return switch (fileName) {
      case DELETION_MARK -> new DeletionMark(id, details, n.path("deletion_time").asLong());
      case NO_COMPACT_MARK -> new NoCompactMark(id, details, n.path("no_compact_time").asLong(), reason);
      case NO_DOWNSAMPLE_MARK -> new NoDownsampleMark(id, details, n.path("no_downsample_time").asLong(), reason);
      default -> throw new IllegalArgumentException("not a marker file name: " + fileName);
    };
  }

  /** Whether {@code name} is one of the three marker file names. */
  static boolean isMarkerFile(String name) {
    return name.equals(DELETION_MARK) || name.equals(NO_COMPACT_MARK) || name.equals(NO_DOWNSAMPLE_MARK);
  }
}
