package io.tsdbcompactor.compact;

import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FsDirectory;
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
   * Starts the download of a block to be read while it may still be coming down: its chunk segments' reads
   * ({@link StartedDownload#directory()}) wait for their bytes; {@link StartedDownload#finish} waits for the rest
   * and fails as the download failed. By default the whole block is downloaded first.
   */
  default StartedDownload startDownload(String ulid, Path dir) throws IOException {
    download(ulid, dir);
    Directory d = new FsDirectory(dir);
    return new StartedDownload() {
      @Override
      public Directory directory() {
        return d;
      }

      @Override
      public void finish() {}

      @Override
      public IOException failure() {
        return null;
      }

      @Override
      public void close() {}
    };
  }

  /** A block's download begun for a reader ({@link #startDownload}). */
  interface StartedDownload extends java.io.Closeable {
    /** The block's directory; reads of what has not arrived yet wait for it. */
    Directory directory();

    /** Waits for the rest of the block; throws what the download failed with (corrupt objects, a gone block). */
    void finish() throws IOException;

    /** What the download failed with by itself so far, else null. */
    IOException failure();

    /** Stops what is still coming down and waits for it to stop; the files stay for the caller to delete. */
    @Override
    void close();
  }

  /**
   * Uploads a local block: chunks, then index, then meta.json last (with {@code thanos.files} and
   * {@code upload_time} filled in), so a half-uploaded block is never taken for a whole one. The directory is
   * the compaction's own output, deleted afterwards without being changed, so its files may be linked into a
   * FILESYSTEM bucket rather than copied ({@code Bucket.uploadDisposable}).
   */
  void upload(Path blockDir) throws IOException;

  /**
   * Starts the upload of a block that is still being written into {@code blockDir}: the writer writes its files
   * through {@link PendingUpload#watch}, which tells the upload of each as it grows and once it is whole, so that
   * they may go up at once, and {@link PendingUpload#finish} completes it as {@link #upload} would, meta.json last.
   * By default nothing moves before {@code finish}.
   */
  default PendingUpload startUpload(Path blockDir) {
    return new PendingUpload() {
      @Override
      public Directory watch(Directory blockFiles) {
        return blockFiles;
      }

      @Override
      public void finish() throws IOException {
        upload(blockDir);
      }

      @Override
      public void abandon() {}
    };
  }

  /** A block's upload begun while it is being written ({@link #startUpload}). */
  interface PendingUpload {
    /**
     * The directory to write the block's files through (its files under {@code blockDir}): it tells this upload of
     * each file as it is written.
     */
    Directory watch(Directory blockFiles);

    /** Uploads the rest of the block, meta.json last; returns once the whole block is in the bucket. */
    void finish() throws IOException;

    /**
     * The block will not be uploaded (it failed verification, or it is written again in parts): stops its
     * uploads and deletes what went up, best effort. Does nothing once {@link #finish} may have sent meta.json.
     */
    void abandon();
  }

  /** Writes {@code <ulid>/deletion-mark.json} unless one exists. */
  void markForDeletion(String ulid, String details) throws IOException;

  /** Writes {@code <ulid>/no-compact-mark.json} unless one exists. */
  void markNoCompact(String ulid, String reason, String details) throws IOException;

  /** Size of {@code <ulid>/index} in the bucket (for metas whose thanos.files do not say). */
  long indexSize(String ulid) throws IOException;
}
