package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;

/**
 * {@link CompactionBucket} on a {@link Bucket}, with Thanos's object layout and byte formats (fact sheet §1, §3.1).
 * Uploads and markers go through the {@code sync} package ({@link BlockTransfer}: chunks, index, then meta.json
 * with {@code thanos.files} and {@code upload_time}; {@link Markers}: compact JSON, never overwritten). Downloads
 * are done here because a block's {@code tombstones}, when a tool uploaded one, must come along: compaction
 * applies it.
 */
public final class BucketCompactionStore implements CompactionBucket {
  private final Bucket bucket;
  private final Clock clock;
  private final BlockTransfer transfer;

  public BucketCompactionStore(Bucket bucket) {
    this(bucket, new BlockTransfer.Options());
  }

  /** @param transferOptions upload settings ({@code --hash-func}, {@code --block-files-concurrency}, clock) */
  public BucketCompactionStore(Bucket bucket, BlockTransfer.Options transferOptions) {
    this.bucket = bucket;
    this.clock = transferOptions.clock;
    this.transfer = new BlockTransfer(bucket, transferOptions);
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
    transfer.upload(blockDir);
  }

  @Override
  public void markForDeletion(String ulid, String details) throws IOException {
    Markers.markForDeletion(bucket, ulid, details, clock);
  }

  @Override
  public void markNoCompact(String ulid, String reason, String details) throws IOException {
    Markers.markNoCompact(bucket, ulid, reason, details, clock);
  }

  @Override
  public long indexSize(String ulid) throws IOException {
    return bucket.attributes(ulid + "/index").size();
  }
}
