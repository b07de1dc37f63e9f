package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.MemoryBucket;
import io.tsdbcompactor.sync.Marker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BucketPortTest {
  @TempDir Path tmp;

  @Test
  void uploadsMetaLastDownloadsBackAndWritesMarkersOnce() throws Exception {
    String ulid = "01M88N6J4ZSJQ3KKRCCCS4DVXH";
    Path local = tmp.resolve("up").resolve(ulid);
    Promtool.copyTree(Path.of("testdata/blocks/basic").resolve(ulid), local);
    BlockMeta meta = BlockMeta.parse("meta.json", Files.readAllBytes(local.resolve("meta.json")));
    meta.thanos().labels = new TreeMap<>(Map.of("cluster", "eu"));
    Files.write(local.resolve("meta.json"), meta.toJsonBytes());

    MemoryBucket bucket = new MemoryBucket();
    BucketPort store = new BucketPort(bucket);
    store.upload(local);
    BlockMeta uploaded = BlockMeta.parse("meta", bucket.getBytes(ulid + "/meta.json"));
    assertEquals(List.of("chunks/000001", "index", "meta.json"),
        uploaded.thanos.files.stream().map(f -> f.relPath).toList());
    assertEquals(Files.size(local.resolve("index")), store.indexSize(ulid));

    bucket.upload(ulid + "/tombstones", Files.readAllBytes(local.resolve("tombstones")));
    Path down = tmp.resolve("down").resolve(ulid);
    store.download(ulid, down);
    for (String f : List.of("index", "chunks/000001", "tombstones")) {
      assertArrayEquals(Files.readAllBytes(local.resolve(f)), Files.readAllBytes(down.resolve(f)), f);
    }

    store.markForDeletion(ulid, GroupCompactor.DELETION_DETAILS);
    byte[] first = bucket.getBytes(ulid + "/deletion-mark.json");
    String mark = new String(first, StandardCharsets.UTF_8);
    assertTrue(mark.startsWith("{\"id\":\"" + ulid + "\",\"version\":1,\"details\":\"source of compacted block\","
        + "\"deletion_time\":"), mark);
    store.markForDeletion(ulid, "other");
    assertArrayEquals(first, bucket.getBytes(ulid + "/deletion-mark.json"), "an existing mark is kept");
    store.markNoCompact(ulid, Marker.REASON_CORRUPTED_BLOCK, "bad chunk");
    String nc = new String(bucket.getBytes(ulid + "/no-compact-mark.json"), StandardCharsets.UTF_8);
    assertTrue(nc.contains("\"reason\":\"corrupted-block\"") && nc.contains("\"details\":\"bad chunk\""), nc);
  }
}
