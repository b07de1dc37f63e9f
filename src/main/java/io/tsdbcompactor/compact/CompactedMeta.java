package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The meta.json of a compacted block, as Thanos's {@code Group.compact} and Prometheus's
 * {@code CompactBlockMetas} build it (fact sheet §2.4): new ULID, min/max over the parents, level = highest parent
 * level + 1, sources = sorted union of the parents' sources, parents in plan order, version 1; thanos section
 * from scratch with the group's labels, resolution and extensions, source "compactor", the segment files.
 * {@code files} and {@code upload_time} are filled in at upload; index_stats by the verifier.
 */
public final class CompactedMeta {
  public static final String SOURCE = "compactor";

  private CompactedMeta() {}

  static BlockMeta build(BlockMerger.Output spec, List<BlockMerger.Input> parents, BlockMeta.Stats stats,
      List<String> segmentFiles) {
    BlockMeta m = new BlockMeta();
    m.ulid = spec.ulid();
    m.minTime = Long.MAX_VALUE;
    m.maxTime = Long.MIN_VALUE;
    int level = 0;
    List<String> sources = new ArrayList<>();
    for (BlockMerger.Input in : parents) {
      BlockMeta p = in.meta();
      m.minTime = Math.min(m.minTime, p.minTime);
      m.maxTime = Math.max(m.maxTime, p.maxTime);
      level = Math.max(level, p.compaction.level);
      sources.addAll(p.compaction.sources.isEmpty() ? List.of(p.ulid) : p.compaction.sources);
      m.compaction.parents.add(new BlockMeta.BlockDesc(p.ulid, p.minTime, p.maxTime));
    }
    m.compaction.level = level + 1;
    m.compaction.sources = BlockMeta.sortedUnique(sources);
    m.stats.numSamples = stats.numSamples;
    m.stats.numFloatSamples = stats.numFloatSamples;
    m.stats.numHistogramSamples = stats.numHistogramSamples;
    m.stats.numSeries = stats.numSeries;
    m.stats.numChunks = stats.numChunks;
    m.version = 1;
    BlockMeta.Thanos t = m.thanos();
    t.labels = new TreeMap<>(spec.labels());
    t.resolution = spec.resolution();
    t.source = SOURCE;
    for (String f : segmentFiles) {
      t.segmentFiles.add(f.startsWith("chunks/") ? f.substring("chunks/".length()) : f);
    }
    t.extensions = spec.extensions();
    return m;
  }
}
