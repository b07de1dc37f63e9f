package io.tsdbcompactor.compact;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@link CompactionBucket} on a {@link Bucket}, with Thanos's object layout and byte formats (fact sheet §1, §3.1):
 * blocks are {@code <ULID>/chunks/NNNNNN}, {@code <ULID>/index}, {@code <ULID>/meta.json}; markers are compact
 * JSON without a trailing newline and are never overwritten.
 */
public final class BucketCompactionStore implements CompactionBucket {
  private final Bucket bucket;
  private final Clock clock;

  public BucketCompactionStore(Bucket bucket) {
    this(bucket, Clock.systemUTC());
  }

  public BucketCompactionStore(Bucket bucket, Clock clock) {
    this.bucket = bucket;
    this.clock = clock;
  }

  @Override
  public void download(String ulid, Path dir) throws IOException {
    Files.createDirectories(dir.resolve("chunks"));
    String prefix = ulid + "/";
    for (ListEntry e : bucket.list(prefix, true)) {
      String rel = e.key().substring(prefix.length());
      if (!(rel.equals("index") || rel.equals(BlockMeta.FILE_NAME) || rel.startsWith("chunks/")
          || rel.equals("tombstones"))) {
        continue; // markers and anything else stay in the bucket
      }
      Path target = dir.resolve(rel);
      Files.createDirectories(target.getParent());
      try (InputStream in = bucket.get(e.key())) {
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (!Files.exists(dir.resolve(BlockMeta.FILE_NAME)) || !Files.exists(dir.resolve("index"))) {
      throw new IOException("block " + ulid + " in bucket " + bucket.name() + " has no meta.json or index");
    }
  }

  @Override
  public void upload(Path blockDir) throws IOException {
    String ulid = blockDir.getFileName().toString();
    BlockMeta meta = BlockMeta.parse(blockDir + "/meta.json", Files.readAllBytes(blockDir.resolve("meta.json")));
    if (!meta.ulid.equals(ulid)) {
      throw new IOException("block directory " + blockDir + " holds meta.json of " + meta.ulid);
    }
    if (meta.externalLabels().size() == 0) {
      throw new IOException("empty external labels are not allowed for Thanos block " + ulid);
    }
    List<String> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(blockDir.resolve("chunks"))) {
      s.map(p -> "chunks/" + p.getFileName()).sorted().forEach(files::add);
    }
    files.add("index");
    meta.thanos().files.clear();
    for (String f : files) {
      meta.thanos.files.add(new BlockMeta.FileEntry(f, Files.size(blockDir.resolve(f))));
    }
    meta.thanos.files.add(new BlockMeta.FileEntry(BlockMeta.FILE_NAME, 0));
    meta.thanos.uploadTime = GoJson.rfc3339Nano(clock.instant());
    for (String f : files) {
      bucket.upload(ulid + "/" + f, blockDir.resolve(f));
    }
    bucket.upload(ulid + "/" + BlockMeta.FILE_NAME, meta.toJsonBytes()); // last: the block is whole now
  }

  @Override
  public void markForDeletion(String ulid, String details) throws IOException {
    ObjectNode m = GoJson.object();
    m.put("id", ulid);
    m.put("version", 1);
    if (!details.isEmpty()) {
      m.put("details", details);
    }
    m.put("deletion_time", clock.instant().getEpochSecond());
    writeMarker(ulid, "deletion-mark.json", m);
  }

  @Override
  public void markNoCompact(String ulid, String reason, String details) throws IOException {
    ObjectNode m = GoJson.object();
    m.put("id", ulid);
    m.put("version", 1);
    if (!details.isEmpty()) {
      m.put("details", details);
    }
    m.put("no_compact_time", clock.instant().getEpochSecond());
    m.put("reason", reason);
    writeMarker(ulid, "no-compact-mark.json", m);
  }

  private void writeMarker(String ulid, String file, ObjectNode marker) throws IOException {
    String key = ulid + "/" + file;
    if (bucket.exists(key)) {
      return; // never overwrite a marker (Thanos logs and keeps the first)
    }
    bucket.upload(key, GoJson.utf8(GoJson.compact(marker)));
  }

  @Override
  public long indexSize(String ulid) throws IOException {
    return bucket.attributes(ulid + "/index").size();
  }
}
