package io.tsdbcompactor.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FaultInjectingBucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.cli.RunPlanSource;
import io.tsdbcompactor.job.Sharding;
import io.tsdbcompactor.retention.RetentionPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The viewer's model: refreshes, failed refreshes, the run's plan per lane, and refused marks. */
class BlockViewerTest {
  @TempDir
  Path dir;

  static BlockViewer.Settings settings(boolean adminDisabled) {
    return new BlockViewer.Settings("cluster", List.of("replica"), Duration.ZERO, Duration.ZERO, 4, null,
        adminDisabled);
  }

  @Test
  void aFailedRefreshKeepsTheLastViewAndSaysWhy() throws Exception {
    try (Bucket fs = ObjstoreConfig.filesystem(dir).open()) {
      ViewerBucket known = ViewerBucket.write(fs);
      FaultInjectingBucket faulty = new FaultInjectingBucket(fs);
      try (BlockViewer v = new BlockViewer(faulty, settings(false), ViewPlan.Source.NONE, ViewerBucket.CLOCK)) {
        assertNull(v.refresh(Duration.ofMinutes(1)).err());
        faulty.failNext(FaultInjectingBucket.Op.LIST, 1);
        BlockViewer.Snapshot s = v.refresh(Duration.ofMinutes(1));
        assertNotNull(s.err());
        assertEquals(known.metas.size(), s.blocks().size(), "the last view is kept");
        assertEquals(ViewerBucket.CLOCK.instant(), s.refreshedAt());
        assertNull(v.refresh(Duration.ofMinutes(1)).err(), "the next refresh recovers");
      }
    }
  }

  @Test
  void lanesCarryTheRunsPendingCompactionsAndRetentionCuts() throws Exception {
    try (Bucket fs = ObjstoreConfig.filesystem(dir).open()) {
      ViewerBucket.write(fs);
      RunPlanSource plan = new RunPlanSource(4, List.of("replica"),
          new RetentionPolicy(Duration.ofDays(4), Duration.ZERO, Duration.ZERO), true, Sharding.NONE);
      try (BlockViewer v = new BlockViewer(fs, settings(false), plan, ViewerBucket.CLOCK)) {
        BlockViewer.Snapshot s = v.refresh(Duration.ofMinutes(1));
        JsonNode data = new ObjectMapper().readTree(ViewJson.view(s, v.settings(), false)).get("data");
        Map<String, Integer> pending = new HashMap<>();
        data.get("groups").forEach(g -> pending.put(g.get("title").asText() + "/" + g.get("resolution").asLong(),
            g.get("pendingCompactions").asInt()));
        // eu1 raw: 0-2h + 2-4h, and the overlapping 8-10h + 9-11h (the no-compact 4-6h block is left out);
        // us1 raw: 0-2h, 2-4h, 6-8h (4-6h is marked for deletion) into one 8h block.
        assertEquals(Map.of("eu1/0", 2, "eu1/300000", 0, "eu1/3600000", 0, "us1/0", 1), pending);
        assertEquals(ViewerBucket.CLOCK.millis() - Duration.ofDays(4).toMillis(),
            data.at("/retentionCuts/0").asLong());
        assertTrue(data.at("/retentionCuts/300000").isMissingNode(), "5m is kept forever");
      }
    }
  }

  @Test
  void marksAreRefusedWhenAdminOperationsAreDisabledOrTheBlockIsUnknown() throws Exception {
    try (Bucket fs = ObjstoreConfig.filesystem(dir).open()) {
      ViewerBucket known = ViewerBucket.write(fs);
      try (BlockViewer off = new BlockViewer(fs, settings(true), ViewPlan.Source.NONE, ViewerBucket.CLOCK);
          BlockViewer on = new BlockViewer(fs, settings(false), ViewPlan.Source.NONE, ViewerBucket.CLOCK)) {
        String id = known.metas.get(0).ulid;
        assertThrows(IllegalStateException.class, () -> off.mark(id, BlockViewer.Action.DELETION, ""));
        assertThrows(IllegalArgumentException.class,
            () -> on.mark("01ARZ3NDEKTSV4RRFFQ69G5FAV", BlockViewer.Action.DELETION, ""));
        assertTrue(on.mark(id, BlockViewer.Action.NO_COMPACTION, "x"));
        assertTrue(!on.mark(id, BlockViewer.Action.NO_COMPACTION, "again"), "an existing mark is left as it is");
      }
    }
  }
}
