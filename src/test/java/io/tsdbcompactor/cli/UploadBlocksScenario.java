package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Promtool;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.TestBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code tools bucket upload-blocks} of a promtool-made data directory into an empty bucket of any type. */
final class UploadBlocksScenario {
  private UploadBlocksScenario() {}

  /** A Prometheus data directory: the test blocks plus a wal, a head chunks folder and a lock file. */
  static Path dataDir(Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("prometheus-data"));
    for (String u : TestBlocks.basicUlids()) {
      BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(u), data.resolve(u));
    }
    Files.createDirectories(data.resolve("wal"));
    Files.write(data.resolve("wal/00000000"), new byte[] {1, 2, 3});
    Files.createDirectories(data.resolve("chunks_head"));
    Files.write(data.resolve("chunks_head/000001"), new byte[] {4, 5});
    Files.write(data.resolve("lock"), new byte[0]);
    return data;
  }

  static void uploadsDumpEqualBlocksOnce(Path tmp, String yaml) throws Exception {
    Path data = dataDir(tmp);
    List<String> ulids = TestBlocks.basicUlids();
    var r = BucketToolsCommandTest.run("tools", "bucket", "upload-blocks", "--path=" + data, "--label=cluster=\"eu1\"",
        "--label", "replica=\"a\"", "--objstore.config=" + yaml);
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("uploaded 3 blocks; 0 already in the bucket; 0 failed"), r.out());
    try (Bucket bucket = ObjstoreConfig.parse(yaml).open()) {
      List<Path> downloaded = new ArrayList<>();
      List<Path> sources = new ArrayList<>();
      for (String u : ulids) {
        Path dir = tmp.resolve("downloaded").resolve(u);
        BlockMeta meta = BlockTransfer.download(bucket, u, dir);
        assertEquals(Map.of("cluster", "eu1", "replica", "a"), meta.thanos.labels);
        assertEquals("bucket.upload", meta.thanos.source);
        assertEquals(0, meta.resolution());
        downloaded.add(dir);
        sources.add(data.resolve(u));
      }
      assertEquals(Promtool.dump(tmp, sources, null, null), Promtool.dump(tmp, downloaded, null, null));
      assertTrue(bucket.list("", true).stream().noneMatch(e -> e.key().startsWith("wal/")
          || e.key().startsWith("chunks_head/") || e.key().equals("lock")), "only blocks are uploaded");
      assertFalse(Files.readString(data.resolve(ulids.get(0)).resolve("meta.json")).contains("\"thanos\""),
          "the data directory is left as it was");

      var again = BucketToolsCommandTest.run("tools", "bucket", "upload-blocks", "--path=" + data,
          "--label=cluster=\"eu1\"", "--objstore.config=" + yaml);
      assertEquals(0, again.exit(), again.err());
      assertTrue(again.out().contains("uploaded 0 blocks; 3 already in the bucket"), again.out());
    }
  }

  /** No labels: usage error and nothing written; a corrupt block is reported and skipped, the others go up. */
  static void refusesBadInput(Path tmp, String yaml) throws Exception {
    Path data = dataDir(tmp);
    List<String> ulids = TestBlocks.basicUlids();
    var noLabels = BucketToolsCommandTest.run("tools", "bucket", "upload-blocks", "--path=" + data,
        "--objstore.config=" + yaml);
    assertEquals(2, noLabels.exit());
    assertTrue(noLabels.err().contains("no external labels"), noLabels.err());
    try (Bucket bucket = ObjstoreConfig.parse(yaml).open()) {
      assertTrue(bucket.list("", true).isEmpty());
      Path index = data.resolve(ulids.get(1)).resolve("index");
      byte[] bytes = Files.readAllBytes(index);
      Files.write(index, java.util.Arrays.copyOf(bytes, bytes.length / 2));
      var r = BucketToolsCommandTest.run("tools", "bucket", "upload-blocks", "--path=" + data, "--label=cluster=\"eu1\"",
          "--objstore.config=" + yaml);
      assertEquals(1, r.exit());
      assertTrue(r.err().contains(ulids.get(1)) && r.err().contains("not uploaded"), r.err());
      assertTrue(r.out().contains("uploaded 2 blocks; 0 already in the bucket; 1 failed"), r.out());
      assertTrue(bucket.list(ulids.get(1), true).isEmpty(), "nothing of the corrupt block is uploaded");
    }
  }
}
