package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.ListEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a block's objects, as a listing shows them, are the ones its meta.json promises: an index, chunk
 * segments when it has chunks, and every file of {@code thanos.files} with the size given there. A meta.json is
 * uploaded last and deleted first, so a block that has one and lacks a file is damaged, not half uploaded. Such a
 * block holds no safe copy of its data: the compactor neither plans it nor lets it stand in for its sources
 * ({@link BlockSyncer}), and {@code tools bucket verify} reports the same problems.
 */
public final class BlockFiles {
  private BlockFiles() {}

  /**
   * The problems of block {@code m} given the objects listed under its folder, each naming the file ("index is
   * missing", "chunks/000001 has 3 bytes, meta.json thanos.files says 4096"); empty when there are none.
   */
  public static List<String> problems(BlockMeta m, List<ListEntry> objects) {
    Map<String, Long> sizes = new HashMap<>();
    String folder = m.ulid + "/";
    for (ListEntry e : objects) {
      if (e.key().startsWith(folder)) {
        sizes.put(e.key().substring(folder.length()), e.size());
      }
    }
    List<String> out = new ArrayList<>();
    if (!sizes.containsKey("index")) {
      out.add("index is missing");
    }
    // A block without chunks (no series, or a head with nothing in it) has no segment file to list.
    // thanos.files names the segments where there is one: each missing one is said below.
    boolean hasChunks = m.stats.numChunks > 0 || m.stats.numSamples > 0;
    boolean segmentsNamed = m.thanos != null
        && m.thanos.files.stream().anyMatch(f -> f.relPath != null && f.relPath.startsWith("chunks/"));
    if (hasChunks && !segmentsNamed && sizes.keySet().stream().noneMatch(k -> k.startsWith("chunks/"))) {
      out.add("no chunk segment files under chunks/");
    }
    if (m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        if (f.relPath == null || f.relPath.equals(BlockMeta.FILE_NAME)) {
          continue;
        }
        Long size = sizes.get(f.relPath);
        if (size == null && f.relPath.equals("index")) {
          continue; // said above
        }
        if (size == null) {
          out.add(f.relPath + " is listed in meta.json thanos.files but missing");
        } else if (f.sizeBytes != 0 && size != f.sizeBytes) {
          out.add(f.relPath + " has " + size + " bytes, meta.json thanos.files says " + f.sizeBytes);
        }
      }
    }
    return out;
  }
}
