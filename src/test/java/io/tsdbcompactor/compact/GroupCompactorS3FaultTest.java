package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.bucket.S3FaultProxy;
import io.tsdbcompactor.bucket.S3ProxyServer;
import io.tsdbcompactor.bucket.S3TestBuckets;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group compaction on S3 (S3Proxy, a counting proxy in front) whose new block goes up part by part while it is
 * written, when the data directory fills up in the middle of the block's chunk segment: the group fails with the
 * disk's error, every multipart upload it began is completed or aborted (none is left to a lifecycle rule), no
 * object of the new block is left in the bucket, nothing is marked and the work directory is empty.
 */
class GroupCompactorS3FaultTest {
  private static final long H = 3_600_000L;
  private static final long NOW = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();
  private static final long PART = 5L * 1024 * 1024;
  private static final Pattern UPLOAD_ID = Pattern.compile("[?&]uploadId=([^&]+)");

  @Test
  void aDiskThatFillsUpWhileTheBlockGoesUpPartByPartAbortsItsUploadsAndMarksNothing(@TempDir Path tmp)
      throws Exception {
    // 5,600 series scraped every 15 s in 2h blocks over a day: an 8h block's chunk segment is several parts long.
    SampleBlocks gen = new SampleBlocks(new SampleBlocks.Spec(1, 2 * H, 15_000L, 800, Map.of("cluster", "s3"), 3, 5));
    Path staging = tmp.resolve("staging");
    List<BlockMeta> input = gen.write(staging, NOW);
    Set<String> inputs = input.stream().map(m -> m.ulid).collect(Collectors.toSet());

    try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")));
         S3FaultProxy proxy = new S3FaultProxy(server.port(), 0, 1)) {
      S3TestBuckets.create(server.config("thanos"));
      String yaml = server.yaml("thanos", PART).replace(server.endpoint(), proxy.endpoint());
      try (Bucket s3 = ObjstoreConfig.parse(yaml).open()) {
        for (BlockMeta m : input) {
          BlockTransfer.upload(s3, staging.resolve(m.ulid));
        }
        int before = proxy.requestLines().size();

        // Each new block's directory has room for 12 MiB: two parts of its first chunk segment go up first.
        GroupCompactor compactor = new GroupCompactor(new BucketPort(s3), tmp.resolve("data"),
            CompactorOptions.defaults(), new GroupCompactorTest.CountingMetrics())
            .withOutputDirectory(dir -> new GroupCompactorFaultTest.FillingDirectory(FsDirectory.scratch(dir),
                12 * 1024 * 1024));
        IOException e = assertThrows(IOException.class, () -> GroupCompactorTest.compactEach(compactor,
            new Grouper(List.of()).group(input), new HashSet<>()));
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());

        List<String> lines = proxy.requestLines().subList(before, proxy.requestLines().size());
        Set<String> withParts = uploadIds(lines, l -> l.startsWith("PUT ") && l.contains("partNumber="));
        Set<String> completed = uploadIds(lines, l -> l.startsWith("POST "));
        Set<String> aborted = uploadIds(lines, l -> l.startsWith("DELETE "));
        long created = lines.stream().filter(l -> l.startsWith("POST ") && l.matches(".*[?&]uploads(=|&|$).*")).count();
        assertFalse(aborted.isEmpty(), "no multipart upload was aborted: " + lines);
        assertTrue(withParts.stream().anyMatch(aborted::contains), "an aborted upload had sent parts: " + lines);
        assertEquals(created, completed.size() + aborted.size(), "every upload begun was ended: " + lines);
        Set<String> ended = new HashSet<>(completed);
        ended.addAll(aborted);
        assertTrue(ended.containsAll(withParts), "uploads left with parts: " + lines);

        for (ListEntry entry : s3.list("", true)) {
          String block = entry.key().substring(0, entry.key().indexOf('/'));
          assertTrue(inputs.contains(block), "left in the bucket: " + entry.key());
          assertFalse(entry.key().endsWith("deletion-mark.json"), "marked: " + entry.key());
        }
      }
    }
    GroupCompactorFaultTest.assertWorkDirEmpty(tmp.resolve("data"));
  }

  private static Set<String> uploadIds(List<String> lines, java.util.function.Predicate<String> which) {
    Set<String> ids = new HashSet<>();
    for (String l : lines) {
      Matcher m = UPLOAD_ID.matcher(l);
      if (which.test(l) && m.find()) {
        ids.add(m.group(1));
      }
    }
    return ids;
  }
}
