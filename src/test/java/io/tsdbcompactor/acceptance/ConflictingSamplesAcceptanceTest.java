package io.tsdbcompactor.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlapping blocks whose samples conflict (same series, same timestamp, other value) are merged exactly as
 * Prometheus 2.42's own vertical compaction merges them, which is not what a query over the unmerged blocks
 * returns: Prometheus's querier and its compactor break timestamp ties differently.
 *
 * <p>The expected digest was recorded once (2026-11-25) from Prometheus 2.42 itself: the {@link Scenario#conflict}
 * blocks (without the thanos section) in a Prometheus data directory, {@code prometheus
 * --storage.tsdb.retention.time=100y} left running until its log showed its two "compact blocks" (the
 * overlapping 2h windows), then {@code promtool tsdb dump} of the four resulting blocks, SHA-256 of the output.
 */
class ConflictingSamplesAcceptanceTest {
  static final String PROMETHEUS_COMPACTED_DUMP_SHA256 =
      "415bc00cc2f3bd98e6ea294e7e51630393bce34257235e6c771832a0b7f15165";

  @TempDir Path work;

  static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void conflictsResolvedLikePrometheusCompaction() throws Exception {
    Path bucket = work.resolve("bucket");
    Path in = Scenario.conflict(work, bucket);
    Files.createDirectories(in.resolve("wal"));
    String queried = Tools.promtool("tsdb", "dump", in.toString());

    assertEquals(0, CompactionAcceptanceTest.compact(bucket, "--downsampling.disable"));
    Path out = work.resolve("out");
    int n = 0;
    for (Tools.Meta m : Tools.liveBlocks(bucket)) {
      Tools.copyTree(bucket.resolve(m.ulid()), out.resolve(m.ulid()));
      n++;
    }
    assertEquals(4, n, "[0,2h), the two merged windows, [6h,8h)");
    Files.createDirectories(out.resolve("wal"));
    String compacted = Tools.promtool("tsdb", "dump", out.toString());
    assertEquals(queried.length() - queried.replace("\n", "").length(),
        compacted.length() - compacted.replace("\n", "").length(), "one sample per timestamp either way");
    assertNotEquals(sha256(queried), sha256(compacted), "the fixture has conflicting samples");
    assertEquals(PROMETHEUS_COMPACTED_DUMP_SHA256, sha256(compacted));
  }
}
