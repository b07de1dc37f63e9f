package io.tsdbcompactor.compact;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What group compaction needs from the bucket, and nothing more. {@code BucketPort} implements it on
 * {@code bucket.Bucket} with the {@code sync} package's transfer and marker code; tests use in-memory fakes.
 */
public interface CompactionBucket {

  /** Downloads the block's {@code meta.json}, {@code index} and {@code chunks/} into {@code dir} (created). */
  void download(String ulid, Path dir) throws IOException;

  /**
   * Uploads a local block: chunks, then index, then meta.json last (with {@code thanos.files} and
   * {@code upload_time} filled in), so a half-uploaded block is never taken for a whole one. The directory is
   * the compaction's own output, deleted afterwards without being changed, so its files may be linked into a
   * FILESYSTEM bucket rather than copied ({@code Bucket.uploadDisposable}).
   */
  void upload(Path blockDir) throws IOException;

  /** Writes {@code <ulid>/deletion-mark.json} unless one exists. */
  void markForDeletion(String ulid, String details) throws IOException;

  /** Writes {@code <ulid>/no-compact-mark.json} unless one exists. */
  void markNoCompact(String ulid, String reason, String details) throws IOException;

  /** Size of {@code <ulid>/index} in the bucket (for metas whose thanos.files do not say). */
  long indexSize(String ulid) throws IOException;
}
