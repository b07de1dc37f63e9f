package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.tracing.Span;
import io.tsdbcompactor.tracing.Tracing;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one {@link CompactionBucket} on a {@link Bucket}: what the {@code compact} run and the end-to-end benchmark
 * both drive {@link GroupCompactor} through. Transfers go through {@link BlockTransfer} (downloads with their
 * size checks, temp file then rename, tombstones included; uploads chunks, then index, then meta.json last with
 * {@code thanos.files} and {@code upload_time}); marks through {@link Markers} (Thanos's bytes, never
 * overwritten). It remembers the metas it knows (those it was given and those it uploaded), so index sizes come
 * from meta.json without a request, and tells a {@link Listener} about every mark.
 */
public final class BucketPort implements CompactionBucket {
  /** Told about the marks written through the port (the run counts and reports them). */
  public interface Listener {
    Listener NONE = new Listener() {};

    default void markedForDeletion(String ulid, BlockMeta meta) {}

    default void markedNoCompact(String ulid, String reason, String details) {}
  }

  private final Bucket bucket;
  private final BlockTransfer transfer;
  private final Clock clock;
  private final Map<String, BlockMeta> known = new ConcurrentHashMap<>();
  private final Listener listener;

  public BucketPort(Bucket bucket) {
    this(bucket, new BlockTransfer(bucket), Clock.systemUTC(), Map.of(), Listener.NONE);
  }

  /**
   * @param known metas already read (a sync's), by ULID: their index sizes need no request
   */
  public BucketPort(Bucket bucket, BlockTransfer transfer, Clock clock, Map<String, BlockMeta> known,
      Listener listener) {
    this.bucket = bucket;
    this.transfer = transfer;
    this.clock = clock;
    this.known.putAll(known);
    this.listener = listener;
  }

  /** The meta of a block the port knows (given or uploaded), else null. */
  public BlockMeta meta(String ulid) {
    return known.get(ulid);
  }

  @Override
  public void download(String ulid, Path dir) throws IOException {
    try (Span s = Tracing.span("download").attribute("block", ulid)) {
      transfer.download(ulid, dir);
    }
  }

  /** {@link BlockTransfer#downloadForReading}: from a remote store, the chunk segments come down during the merge. */
  @Override
  public StartedDownload startDownload(String ulid, Path dir) throws IOException {
    BlockTransfer.ArrivingBlock b;
    try (Span s = Tracing.span("download").attribute("block", ulid)) {
      b = transfer.downloadForReading(ulid, dir);
    }
    return new StartedDownload() {
      @Override
      public Directory directory() {
        return b.directory();
      }

      @Override
      public void finish() throws IOException {
        b.finish();
      }

      @Override
      public IOException failure() {
        return b.failure();
      }

      @Override
      public void close() {
        b.close();
      }
    };
  }

  @Override
  public void upload(Path blockDir) throws IOException {
    try (Span s = Tracing.span("upload").attribute("block", blockDir.getFileName().toString())) {
      BlockMeta m = transfer.uploadDisposable(blockDir);
      known.put(m.ulid, m);
    }
  }

  /** Chunk segments and the index go up while the rest of the block is merged and verified. */
  @Override
  public PendingUpload startUpload(Path blockDir) {
    BlockTransfer.EarlyUpload up = transfer.uploadEarly(blockDir);
    return new PendingUpload() {
      @Override
      public io.tsdbcompactor.store.Directory watch(io.tsdbcompactor.store.Directory blockFiles) {
        return up.watch(blockFiles);
      }

      @Override
      public void finish() throws IOException {
        try (Span s = Tracing.span("upload").attribute("block", blockDir.getFileName().toString())) {
          BlockMeta m = up.finish();
          known.put(m.ulid, m);
        }
      }

      @Override
      public void abandon() {
        up.abandon();
      }
    };
  }

  @Override
  public void markForDeletion(String ulid, String details) throws IOException {
    Markers.markForDeletion(bucket, ulid, details, clock);
    listener.markedForDeletion(ulid, known.get(ulid));
  }

  @Override
  public void markNoCompact(String ulid, String reason, String details) throws IOException {
    Markers.markNoCompact(bucket, ulid, reason, details, clock);
    listener.markedNoCompact(ulid, reason, details);
  }

  @Override
  public long indexSize(String ulid) throws IOException {
    BlockMeta m = known.get(ulid);
    if (m != null && m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        if (f.relPath.equals("index") && f.sizeBytes > 0) {
          return f.sizeBytes;
        }
      }
    }
    return bucket.attributes(ulid + "/index").size();
  }
}
