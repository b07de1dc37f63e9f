package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The meta.json of a compacted block, as Thanos's {@code Group.compact} and Prometheus's
 * {@code CompactBlockMetas} build it (docs/thanos-compactor.md §2.4): new ULID, min/max over the parents, level = highest parent
 * level + 1, sources = sorted union of the parents' sources, parents in plan order, version 1; thanos section
 * from scratch with the group's labels, resolution and extensions, source "compactor", the segment files.
 * {@code files} and {@code upload_time} are filled in at upload; index_stats by the verifier.
 */
public final class CompactedMeta {
  public static final String SOURCE = "compactor";

  private CompactedMeta() {}

  static BlockMeta build(BlockMerger.Output spec, List<BlockMerger.Input> parents, BlockMeta.Stats stats,
      List<String> segmentFiles) {
    List<BlockMeta> metas = new ArrayList<>(parents.size());
    for (BlockMerger.Input in : parents) {
      metas.add(in.meta());
    }
    BlockMeta m = header(spec, metas);
    m.stats.numSamples = stats.numSamples;
    m.stats.numFloatSamples = stats.numFloatSamples;
    m.stats.numHistogramSamples = stats.numHistogramSamples;
    m.stats.numSeries = stats.numSeries;
    m.stats.numChunks = stats.numChunks;
    for (String f : segmentFiles) {
      m.thanos().segmentFiles.add(f.startsWith("chunks/") ? f.substring("chunks/".length()) : f);
    }
    return m;
  }

  /**
   * The meta.json a compaction of {@code parents} is expected to produce, before any sample is read: the same
   * header as {@link #build}; samples are the parents' sum and {@code thanos.files} lists one index whose size is
   * the sum of the parents' sizes (upper bounds: the merge drops duplicates and shares symbols). The dry run and
   * the run's progress totals plan with it.
   */
  public static BlockMeta planned(BlockMerger.Output spec, List<BlockMeta> parents) {
    BlockMeta m = header(spec, parents);
    long samples = 0;
    long size = 0;
    for (BlockMeta p : parents) {
      samples += p.stats.numSamples;
      if (p.thanos != null) {
        for (BlockMeta.FileEntry f : p.thanos.files) {
          size += f.sizeBytes;
        }
      }
    }
    m.stats.numSamples = samples;
    m.thanos().files = new ArrayList<>(List.of(new BlockMeta.FileEntry("index", size)));
    return m;
  }

  private static BlockMeta header(BlockMerger.Output spec, List<BlockMeta> parents) {
    BlockMeta m = new BlockMeta();
    m.ulid = spec.ulid();
    m.minTime = Long.MAX_VALUE;
    m.maxTime = Long.MIN_VALUE;
    int level = 0;
    List<String> sources = new ArrayList<>();
    for (BlockMeta p : parents) {
      m.minTime = Math.min(m.minTime, p.minTime);
      m.maxTime = Math.max(m.maxTime, p.maxTime);
      level = Math.max(level, p.compaction.level);
      sources.addAll(p.compaction.sources.isEmpty() ? List.of(p.ulid) : p.compaction.sources);
      m.compaction.parents.add(new BlockMeta.BlockDesc(p.ulid, p.minTime, p.maxTime));
    }
    m.compaction.level = level + 1;
    m.compaction.sources = BlockMeta.sortedUnique(sources);
    m.version = 1;
    BlockMeta.Thanos t = m.thanos();
    t.labels = new TreeMap<>(spec.labels());
    t.resolution = spec.resolution();
    t.source = SOURCE;
    t.extensions = spec.extensions();
    return m;
  }
}
