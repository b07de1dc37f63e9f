package io.tsdbcompactor.job;

import static io.tsdbcompactor.job.RunOptionsFixtures.withSharding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.SyncResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pods of an Indexed Job each touch only their own label sets (all resolutions of them), and together
 * compact them all.
 */
class ShardedRunTest {
  private static final long H = 3_600_000L;

  @Test
  void shardsTouchDisjointGroupsAndTogetherCompactEverything(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    long now = CompactionRunEndToEndTest.NOW;
    // Enough clusters that both shards own at least one group.
    Set<String> groups = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      List<BlockMeta> metas = new SampleBlocks(new SampleBlocks.Spec(3, 8 * H, 600_000, 1,
          Map.of("cluster", "c" + i), 0, i)).write(bucketDir, now);
      groups.add(Sharding.streamKey(metas.get(0).externalLabels()));
    }
    Sharding s0 = new Sharding(2, 0);
    Sharding s1 = new Sharding(2, 1);
    assertTrue(groups.stream().anyMatch(s0::owns) && groups.stream().anyMatch(s1::owns), "both shards have work");

    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      for (Sharding shard : List.of(s0, s1)) {
        SyncResult before = sync(bucket);
        RunReport r = new CompactionRun(bucket, withSharding(RunOptions.defaults(tmp.resolve("data-" + shard.index()))
            .withDelays(Duration.ZERO, Duration.ofHours(48)), shard), new CompactorMetrics(false),
            new TickingClock(now), RunProgress.NONE).run();
        assertEquals(List.of(), r.failures);
        SyncResult after = sync(bucket);
        // Every block this shard marked or created belongs to one of its groups; other groups are untouched.
        for (String ulid : after.deletionMarks().keySet()) {
          if (!before.deletionMarks().containsKey(ulid)) {
            assertTrue(shard.owns(after.allMetas().get(ulid).externalLabels()), "shard " + shard + " marked " + ulid);
          }
        }
        for (BlockMeta m : after.allMetas().values()) {
          if (!before.allMetas().containsKey(m.ulid)) {
            assertTrue(shard.owns(m.externalLabels()), "shard " + shard + " created a block of another shard's group");
          }
        }
      }
      // After both shards: every group is compacted (one unmarked block per 2d window at most, no 8h blocks left
      // outside the newest window).
      SyncResult end = sync(bucket);
      for (String g : groups) {
        long level1Left = end.allMetas().values().stream()
            .filter(m -> Sharding.streamKey(m.externalLabels()).equals(g) && !end.deletionMarks().containsKey(m.ulid) && m.compaction.level == 1).count();
        assertTrue(level1Left <= 6, "group " + g + " was compacted: " + level1Left + " raw 8h blocks left");
      }
    }
  }

  private static SyncResult sync(Bucket bucket) throws Exception {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = Duration.ZERO;
    o.clock = new TickingClock(CompactionRunEndToEndTest.NOW + H); // after the runs
    return new BlockSyncer(bucket, null, o).sync();
  }
}
