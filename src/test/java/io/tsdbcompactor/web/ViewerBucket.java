package io.tsdbcompactor.web;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A known bucket for the viewer's tests: two clusters, all three resolutions, levels 1 to 4, a gap, an overlap and
 * one mark of each kind. Blocks are meta.json plus index and chunk objects of the sizes meta.json lists; the
 * viewer reads nothing else. Times hang off a fixed instant.
 */
public final class ViewerBucket {
  static final Instant BASE = Instant.parse("2026-01-05T00:00:00Z");
  static final Clock CLOCK = Clock.fixed(BASE.plusSeconds(3 * 86400), ZoneOffset.UTC);
  static final long H = 3_600_000L;

  public final List<BlockMeta> metas = new ArrayList<>();
  String noCompactMarked;
  String deletionMarked;
  String noDownsampleMarked;

  private final Random random = new Random(7);
  private final long base = BASE.toEpochMilli();

  /** Writes the blocks and marks into {@code bucket}. */
  public static ViewerBucket write(Bucket bucket) throws IOException {
    ViewerBucket v = new ViewerBucket();
    Map<String, String> eu = Map.of("cluster", "eu1", "replica", "a");
    Map<String, String> us = Map.of("cluster", "us1", "replica", "a");
    v.block(bucket, eu, 0, 0, 2, 1);
    v.block(bucket, eu, 0, 2, 4, 1);
    v.noCompactMarked = v.block(bucket, eu, 0, 4, 6, 1).ulid;
    v.block(bucket, eu, 0, 8, 10, 1); // gap 6h..8h before it
    v.block(bucket, eu, 0, 9, 11, 1); // overlaps the one before
    v.block(bucket, eu, 0, 16, 24, 2);
    v.block(bucket, eu, 300_000, -48, 0, 3);
    v.block(bucket, eu, 3_600_000, -16 * 24, -48, 4);
    v.block(bucket, us, 0, 0, 2, 1);
    v.block(bucket, us, 0, 2, 4, 1);
    v.deletionMarked = v.block(bucket, us, 0, 4, 6, 1).ulid;
    v.noDownsampleMarked = v.block(bucket, us, 0, 6, 8, 1).ulid;
    v.block(bucket, us, 0, 8, 16, 2);
    Markers.markNoCompact(bucket, v.noCompactMarked, "manual", "keeps failing", CLOCK);
    Markers.markForDeletion(bucket, v.deletionMarked, "replaced", CLOCK);
    Markers.markNoDownsample(bucket, v.noDownsampleMarked, "manual", "not worth it", CLOCK);
    return v;
  }

  private BlockMeta block(Bucket bucket, Map<String, String> labels, long resolution, long fromHour, long toHour,
      int level) throws IOException {
    BlockMeta m = new BlockMeta();
    long min = base + fromHour * H;
    m.ulid = Ulid.generate(min + 2 * H, random).toString();
    m.minTime = min;
    m.maxTime = base + toHour * H;
    m.stats.numSeries = 100 + metas.size();
    m.stats.numSamples = 120_000L * (toHour - fromHour);
    m.stats.numChunks = 1000 + metas.size();
    m.compaction.level = level;
    m.compaction.sources = new ArrayList<>(List.of(m.ulid));
    m.thanos().labels = new TreeMap<>(labels);
    m.thanos().resolution = resolution;
    m.thanos().source = level == 1 ? "sidecar" : "compactor";
    int index = 2048 + 16 * metas.size();
    int chunks = 8192;
    m.thanos().files = new ArrayList<>(List.of(new BlockMeta.FileEntry("chunks/000001", chunks),
        new BlockMeta.FileEntry("index", index), new BlockMeta.FileEntry("meta.json", 0)));
    bucket.upload(m.ulid + "/chunks/000001", new byte[chunks]);
    bucket.upload(m.ulid + "/index", new byte[index]);
    bucket.upload(m.ulid + "/meta.json", m.toJsonBytes());
    metas.add(m);
    return m;
  }
}
