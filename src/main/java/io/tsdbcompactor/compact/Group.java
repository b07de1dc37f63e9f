package io.tsdbcompactor.compact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Blocks that may be compacted together: same external labels (replica labels already removed), same
 * resolution. Metas are kept sorted by minTime, as Thanos keeps them.
 */
public final class Group {
  /** Sorts metas as Thanos's group does: by minTime, ties by ULID so plans are reproducible. */
  public static final Comparator<BlockMeta> BY_MIN_TIME =
      Comparator.<BlockMeta>comparingLong(m -> m.minTime).thenComparing(m -> m.ulid);

  private final String key;
  private final Labels labels;
  private final long resolution;
  private final List<BlockMeta> metas = new ArrayList<>();

  /** An empty group of blocks with these external labels at this resolution. */
  public Group(Labels labels, long resolution) {
    this.labels = labels;
    this.resolution = resolution;
    this.key = key(labels, resolution);
  }

  /**
   * Thanos's group key, {@code "<resolution>@<labels hash>"}: the hash is Prometheus's {@code labels.Hash},
   * xxHash64 over {@code name 0xFF value 0xFF} for each label in name order, printed as an unsigned decimal.
   * It also names the group's work directory.
   */
  public static String key(Labels labels, long resolution) {
    return resolution + "@" + Long.toUnsignedString(labelsHash(labels));
  }

  /** The hash of the external labels in Thanos's group key. */
  public static long labelsHash(Labels labels) {
    XxHash64 h = new XxHash64();
    for (int i = 0; i < labels.size(); i++) {
      h.update(labels.name(i).getBytes(StandardCharsets.UTF_8));
      h.update(0xFF);
      h.update(labels.value(i).getBytes(StandardCharsets.UTF_8));
      h.update(0xFF);
    }
    return h.digest();
  }

  /** Thanos's group key: {@code <resolution>@<labels hash>}. */
  public String key() {
    return key;
  }

  /** The group's external labels, as written into the thanos section of its compacted blocks. */
  public Labels labels() {
    return labels;
  }

  /** The blocks' resolution in ms (0 for raw). */
  public long resolution() {
    return resolution;
  }

  /** The metas, sorted by minTime. */
  public List<BlockMeta> metas() {
    return metas;
  }

  /** Adds a block, keeping the metas sorted by minTime. */
  public void add(BlockMeta meta) {
    metas.add(meta);
    metas.sort(BY_MIN_TIME);
  }

  /** Drops the metas whose ULIDs are given (sources retired by a compaction). */
  public void removeAll(java.util.Collection<String> ulids) {
    metas.removeIf(m -> ulids.contains(m.ulid));
  }

  /**
   * The group's extensions, as Thanos combines them: the map of the first block (by minTime) that has one,
   * reduced to the keys every later map-valued block also has. Null when no block has a map.
   */
  public JsonNode extensions() {
    ObjectNode result = null;
    for (BlockMeta m : metas) {
      JsonNode ext = m.thanos == null ? null : m.thanos.extensions;
      if (ext == null || !ext.isObject()) {
        continue;
      }
      if (result == null) {
        result = ((ObjectNode) ext).deepCopy();
        continue;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = result.fields(); it.hasNext(); ) {
        if (!ext.has(it.next().getKey())) {
          it.remove();
        }
      }
    }
    return result;
  }

  @Override
  public String toString() {
    return "group " + key + " " + labels + " (" + metas.size() + " blocks)";
  }
}
