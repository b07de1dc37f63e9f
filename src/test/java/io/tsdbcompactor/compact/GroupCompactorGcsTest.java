package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.CountingGcsStorage;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.bucket.GcsBucket;
import io.tsdbcompactor.bucket.GcsConfig;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.job.SampleBlocks;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockTransfer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group compaction on GCS (Google's in-process fake of the service), whose new block goes to resumable uploads
 * chunk by chunk (256 KiB) while it is written: the new block's objects are those the same compaction writes to a
 * FILESYSTEM bucket, byte for byte; when the data directory fills up in the middle of the chunk segment, the group
 * fails with the disk's error, nothing of the new block is left and nothing is marked.
 */
class GroupCompactorGcsTest {
  private static final long H = 3_600_000L;
  private static final long NOW = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();

  @TempDir static Path staging;
  private static List<BlockMeta> input;
  private static Set<String> inputs;

  /** 2,800 series scraped every 15 s in 2h blocks over a day: an 8h block's chunk segment is many chunks long. */
  @BeforeAll
  static void generate() throws IOException {
    input = new SampleBlocks(new SampleBlocks.Spec(1, 2 * H, 15_000L, 400, Map.of("cluster", "gcs"), 3, 5))
        .write(staging, NOW);
    inputs = input.stream().map(m -> m.ulid).collect(Collectors.toSet());
  }

  private static Bucket gcs(CountingGcsStorage store) {
    GcsConfig c = new GcsConfig();
    c.bucket = "thanos";
    c.chunkSizeBytes = 256 * 1024;
    return new GcsBucket(c, store.storage());
  }

  /**
   * The data files (index, chunk segments) of the blocks not among {@code inputs}, each named by its block's time range
   * and its path inside the block (the ULIDs differ between runs).
   */
  private static Map<String, byte[]> newBlockFiles(Bucket bucket, Set<String> inputs) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    for (ListEntry e : bucket.list("", true)) {
      int slash = e.key().indexOf('/');
      String block = e.key().substring(0, slash);
      String rel = e.key().substring(slash + 1);
      if (!inputs.contains(block) && (rel.equals("index") || rel.startsWith("chunks/"))) {
        BlockMeta m = BlockMeta.parse(block, bucket.getBytes(block + "/" + BlockMeta.FILE_NAME));
        files.put(m.minTime + "-" + m.maxTime + " " + rel, bucket.getBytes(e.key()));
      }
    }
    return files;
  }

  private static List<GroupCompactor.Result> compact(Bucket bucket, Path data,
      java.util.function.UnaryOperator<GroupCompactor> setUp) throws IOException {
    for (BlockMeta m : input) {
      BlockTransfer.upload(bucket, staging.resolve(m.ulid));
    }
    GroupCompactor compactor = setUp.apply(new GroupCompactor(new BucketPort(bucket), data,
        CompactorOptions.defaults(), new GroupCompactorTest.CountingMetrics()));
    return GroupCompactorTest.compactEach(compactor, new Grouper(List.of()).group(input), new HashSet<>());
  }

  @Test
  void aBlockSentChunkByChunkWhileWrittenEqualsTheFilesystemRunsBlock(@TempDir Path tmp) throws Exception {
    CountingGcsStorage store = new CountingGcsStorage();
    try (Bucket gcs = gcs(store);
        Bucket fs = new FilesystemBucket(Files.createDirectories(tmp.resolve("fs")))) {
      assertTrue(gcs.uploadsWhileWritten());
      List<GroupCompactor.Result> onGcs = compact(gcs, tmp.resolve("data-gcs"), c -> c);
      compact(fs, tmp.resolve("data-fs"), c -> c);
      assertFalse(onGcs.isEmpty() || onGcs.get(0).created().isEmpty(), "a block was compacted: " + onGcs);

      Map<String, byte[]> expected = newBlockFiles(fs, inputs);
      Map<String, byte[]> actual = newBlockFiles(gcs, inputs);
      assertEquals(expected.keySet(), actual.keySet());
      assertTrue(expected.values().stream().anyMatch(b -> b.length > 4 * 256 * 1024),
          "a file of several chunks: " + expected.keySet());
      for (String f : expected.keySet()) {
        assertArrayEquals(expected.get(f), actual.get(f), f);
      }
    }
    GroupCompactorFaultTest.assertWorkDirEmpty(tmp.resolve("data-gcs"));
  }

  @Test
  void aDiskThatFillsUpWhileTheBlockGoesUpLeavesNothingOfItAndMarksNothing(@TempDir Path tmp) throws Exception {
    CountingGcsStorage store = new CountingGcsStorage();
    try (Bucket gcs = gcs(store)) {
      // Each new block's directory has room for 3 MiB: chunks of its first chunk segment go up first.
      IOException e = assertThrows(IOException.class, () -> compact(gcs, tmp.resolve("data"),
          c -> c.withOutputDirectory(dir -> new GroupCompactorFaultTest.FillingDirectory(FsDirectory.scratch(dir),
              3 * 1024 * 1024))));
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      assertTrue(store.handed() >= 2 * 256 * 1024, "chunks went up before the disk filled: " + store.handed());
      for (ListEntry entry : gcs.list("", true)) {
        String block = entry.key().substring(0, entry.key().indexOf('/'));
        assertTrue(inputs.contains(block), "left in the bucket: " + entry.key());
        assertFalse(entry.key().endsWith("deletion-mark.json"), "marked: " + entry.key());
      }
    }
    GroupCompactorFaultTest.assertWorkDirEmpty(tmp.resolve("data"));
  }
}
