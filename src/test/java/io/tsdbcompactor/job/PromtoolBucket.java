package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.SyncResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Buckets of the promtool-made test blocks as a sidecar uploads them (thanos section, thanos.files), and a view
 * of what a querier of such a bucket sees.
 */
public final class PromtoolBucket {
  public static final Path OVERLAP = Path.of("testdata/blocks/overlap");
  public static final Path BASIC = Path.of("testdata/blocks/basic");

  private PromtoolBucket() {}

  /** A promtool block copied under {@code ulid} with a thanos section. */
  public static Path stage(Path src, String ulid, Path staging, Map<String, String> labels) throws IOException {
    Path dst = staging.resolve(ulid);
    try (Stream<Path> s = Files.walk(src)) {
      for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        Path t = dst.resolve(src.relativize(f).toString());
        Files.createDirectories(t.getParent());
        Files.copy(f, t);
      }
    }
    Path metaFile = dst.resolve("meta.json");
    BlockMeta meta = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    meta.ulid = ulid;
    meta.compaction.sources.clear();
    meta.compaction.sources.add(ulid);
    meta.thanos().labels = new TreeMap<>(labels);
    meta.thanos().source = "sidecar";
    Files.write(metaFile, meta.toJsonBytes());
    return dst;
  }

  /** Another ULID for a copy of a block: the same time part, another random tail. */
  public static String copyUlid(String ulid, char c) {
    return ulid.substring(0, 24) + c + c;
  }

  /**
   * Uploads group cluster=x (the six overlap blocks), group cluster=y (a copy of them under other ULIDs) and
   * group cluster=basic (the three basic blocks, nothing to compact there); returns every input ULID.
   */
  public static List<String> build(Bucket bucket, Path staging) throws IOException {
    List<String> all = new ArrayList<>();
    for (Path b : BlockDumper.blockDirs(OVERLAP)) {
      String u = b.getFileName().toString();
      BlockTransfer.upload(bucket, stage(b, u, staging, Map.of("cluster", "x")));
      BlockTransfer.upload(bucket, stage(b, copyUlid(u, 'Z'), staging, Map.of("cluster", "y")));
      all.add(u);
      all.add(copyUlid(u, 'Z'));
    }
    for (Path b : BlockDumper.blockDirs(BASIC)) {
      String u = b.getFileName().toString();
      BlockTransfer.upload(bucket, stage(b, u, staging, Map.of("cluster", "basic")));
      all.add(u);
    }
    return all;
  }

  public static SyncResult sync(Bucket bucket) throws IOException {
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = Duration.ZERO;
    o.deleteDelay = Duration.ZERO;
    return new BlockSyncer(bucket, null, o).sync();
  }

  /**
   * Every sample of every visible raw block (whole meta.json, no deletion mark) as "external labels, series,
   * value, time" lines, de-duplicated: what a querier of the bucket returns, block boundaries aside.
   */
  public static Set<String> samples(Bucket bucket, Path work, Set<String> skip) throws IOException {
    Set<String> lines = new TreeSet<>();
    SyncResult s = sync(bucket);
    for (BlockMeta m : s.allMetas().values()) {
      if (s.deletionMarks().containsKey(m.ulid) || skip.contains(m.ulid) || m.resolution() != 0) {
        continue;
      }
      String group = m.thanos.labels.toString();
      Path dir = work.resolve(m.ulid);
      BlockTransfer.download(bucket, m.ulid, dir);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new BlockDumper().dump(dir, Long.MIN_VALUE, Long.MAX_VALUE, out);
      for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
        if (!line.isEmpty()) {
          lines.add(group + " " + line);
        }
      }
    }
    return lines;
  }

  public static Set<String> samples(Path bucketDir, Path work, Set<String> skip) throws IOException {
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      return samples(bucket, work, skip);
    }
  }

  /** Object key to size, for every object in a FILESYSTEM bucket's directory. */
  public static Map<String, Long> listing(Path dir) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        out.put(dir.relativize(p).toString().replace('\\', '/'), Files.size(p));
      }
    }
    return out;
  }

  /**
   * Makes the first chunk of a segment claim 0xffxx samples and rewrites its CRC32C to match: a chunk that passes
   * every CRC check and fails to decode.
   */
  public static void breakFirstChunkPayload(Path segment) throws IOException {
    byte[] seg = Files.readAllBytes(segment);
    int pos = 8;
    long len = 0;
    int shift = 0;
    while (true) {
      int b = seg[pos++] & 0xff;
      len |= (long) (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) {
        break;
      }
    }
    int enc = pos;
    if (seg[enc] != 1) {
      throw new IllegalStateException("first chunk of " + segment + " is not XOR");
    }
    seg[enc + 1] = (byte) 0xff;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(seg, enc, 1 + (int) len);
    int c = (int) crc.getValue();
    int at = enc + 1 + (int) len;
    seg[at] = (byte) (c >>> 24);
    seg[at + 1] = (byte) (c >>> 16);
    seg[at + 2] = (byte) (c >>> 8);
    seg[at + 3] = (byte) c;
    Files.write(segment, seg);
  }
}
