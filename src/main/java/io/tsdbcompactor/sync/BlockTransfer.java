package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FileTree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves whole blocks between a bucket and local directories, in the order that keeps readers safe.
 *
 * <p>Upload (Thanos {@code block.Upload}, docs/thanos-compactor.md §3.1): the folder must be named by a ULID equal to meta.json's, the
 * block must have external labels; then {@code chunks/*} (in name order, several at once), {@code index}, and
 * {@code meta.json} last, re-encoded with {@code thanos.files} (sizes, sorted by path; SHA256 hashes if asked)
 * and {@code thanos.upload_time} set to now. A reader never sees a meta.json before the files it describes. The
 * local meta.json is not changed; {@code tombstones} and any other file are not uploaded.
 *
 * <p>Download: meta.json, index, chunks and (if the bucket has one) tombstones are fetched (several at once, through whatever retrying the bucket
 * does), each written to a temporary file and renamed, sizes checked against the listing and against
 * {@code thanos.files}; meta.json is written last, so an interrupted download has no meta.json.
 */
public final class BlockTransfer {
  private static final Logger LOG = LoggerFactory.getLogger(BlockTransfer.class);
  /** A file being downloaded is written under its name plus this suffix ({@code DataDirLeftovers} knows it). */
  static final String DOWNLOAD_SUFFIX = ".download";

  /** Settings, with Thanos's defaults. */
  public static final class Options {
    /** Files of one block moved at once ({@code --block-files-concurrency}), when {@link #files} is not given. */
    public int filesConcurrency = 1;
    /**
     * The process's level for object transfers (the run's, bounding every transfer of the process together);
     * null: each transfer makes its own pool of {@link #filesConcurrency}.
     */
    public FanOut files;
    /** "" or "SHA256" ({@code --hash-func}): hashes written into thanos.files. */
    public String hashFunc = "";
    /** Thanos refuses blocks without external labels; tests may relax this. */
    public boolean requireExternalLabels = true;
    public Clock clock = Clock.systemUTC();
    /**
     * Refuse to download a block whose deletion-mark.json appeared ({@link BlockGoneException}): a compactor
     * that planned it before another run marked it drops it instead of compacting it a second time.
     */
    public boolean refuseBlocksBeingDeleted;
  }

  private final Bucket bucket;
  private final Options options;

  public BlockTransfer(Bucket bucket, Options options) {
    this.bucket = bucket;
    this.options = options;
    if (!options.hashFunc.isEmpty() && !options.hashFunc.equals("SHA256")) {
      throw new IllegalArgumentException("unsupported hash function " + options.hashFunc + " (\"\" or SHA256)");
    }
  }

  public BlockTransfer(Bucket bucket) {
    this(bucket, new Options());
  }

  /** Downloads block {@code ulid} into {@code blockDir} (created; it becomes the block directory). */
  public static BlockMeta download(Bucket bucket, String ulid, Path blockDir) throws IOException {
    return new BlockTransfer(bucket).download(ulid, blockDir);
  }

  /** Uploads the block directory {@code blockDir}; returns the meta.json as uploaded. */
  public static BlockMeta upload(Bucket bucket, Path blockDir) throws IOException {
    return new BlockTransfer(bucket).upload(blockDir);
  }

  // ------------------------------------------------------------------ upload

  public BlockMeta upload(Path blockDir) throws IOException {
    return upload(blockDir, false);
  }

  /**
   * Uploads a block directory that the caller deletes afterwards without changing it (a compaction's or a
   * downsampling's output): its files go through {@link Bucket#uploadDisposable}, which a FILESYSTEM bucket on
   * the same file system makes a hard link instead of a copy.
   */
  public BlockMeta uploadDisposable(Path blockDir) throws IOException {
    return upload(blockDir, true);
  }

  private BlockMeta upload(Path blockDir, boolean disposable) throws IOException {
    String ulid = blockDir.getFileName().toString();
    if (!Ulid.isValid(ulid)) {
      throw new IllegalArgumentException("block directory " + blockDir + " is not named by a ULID");
    }
    Path metaFile = blockDir.resolve(BlockMeta.FILE_NAME);
    BlockMeta meta = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    if (!meta.ulid.equals(ulid)) {
      throw new CorruptDataException(metaFile.toString(), 0, "meta.json names block " + meta.ulid
          + " but the directory is " + ulid);
    }
    if (options.requireExternalLabels && meta.externalLabels().size() == 0) {
      throw new IllegalArgumentException("block " + ulid + ": empty external labels are not allowed for Thanos block.");
    }
    Path index = blockDir.resolve("index");
    if (!Files.isRegularFile(index)) {
      throw new NoSuchFileException(index.toString(), null, "block " + ulid + " has no index file");
    }
    List<String> chunkFiles = new ArrayList<>();
    Path chunksDir = blockDir.resolve("chunks");
    if (!Files.isDirectory(chunksDir)) {
      throw new NoSuchFileException(chunksDir.toString(), null, "block " + ulid + " has no chunks directory");
    }
    try (Stream<Path> s = Files.list(chunksDir)) {
      s.filter(Files::isRegularFile).map(p -> "chunks/" + p.getFileName()).sorted().forEach(chunkFiles::add);
    }

    BlockMeta up = meta.copy();
    BlockMeta.Thanos t = up.thanos();
    t.files = new ArrayList<>();
    for (String rel : chunkFiles) {
      t.files.add(fileEntry(blockDir, rel));
    }
    t.files.add(fileEntry(blockDir, "index"));
    t.files.add(new BlockMeta.FileEntry(BlockMeta.FILE_NAME, 0));
    t.files.sort((a, b) -> compareBytes(a.relPath, b.relPath));

    // The index, often the biggest file, goes through the same --block-files-concurrency pool as the chunk files
    // (not on the caller's thread after them); only meta.json must wait for all of them.
    List<String> dataFiles = new ArrayList<>(chunkFiles);
    dataFiles.add("index");
    transferFiles(dataFiles, rel -> {
      if (disposable) {
        bucket.uploadDisposable(ulid + "/" + rel, blockDir.resolve(rel));
      } else {
        bucket.upload(ulid + "/" + rel, blockDir.resolve(rel));
      }
    });
    t.uploadTime = GoJson.rfc3339Nano(options.clock.instant());
    bucket.upload(ulid + "/" + BlockMeta.FILE_NAME, up.toJsonBytes());
    LOG.info("uploaded block {} ({} chunk files) to bucket {}", ulid, chunkFiles.size(), bucket.name());
    return up;
  }

  /** Fail-fast: one file that cannot be moved spoils the block, so the others are stopped. */
  private <T> void transferFiles(List<T> items, FanOut.Task<T> task) throws IOException {
    if (options.files != null) {
      options.files.run(items, FanOut.OnFailure.STOP, task);
    } else {
      FanOut.once("block-files", options.filesConcurrency, items, FanOut.OnFailure.STOP, task);
    }
  }

  private BlockMeta.FileEntry fileEntry(Path blockDir, String rel) throws IOException {
    Path p = blockDir.resolve(rel);
    BlockMeta.FileEntry e = new BlockMeta.FileEntry(rel, Files.size(p));
    if (options.hashFunc.equals("SHA256")) {
      e.hashFunc = "SHA256";
      e.hashValue = sha256(p);
    }
    return e;
  }

  private static String sha256(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int compareBytes(String a, String b) {
    return java.util.Arrays.compareUnsigned(GoJson.utf8(a), GoJson.utf8(b));
  }

  // ------------------------------------------------------------------ download

  public BlockMeta download(String ulid, Path blockDir) throws IOException {
    if (!Ulid.isValid(ulid)) {
      throw new IllegalArgumentException("not a block ULID: " + ulid);
    }
    List<ListEntry> objects = bucket.list(ulid, true);
    ListEntry metaEntry = null;
    List<ListEntry> files = new ArrayList<>();
    for (ListEntry e : objects) {
      String rel = e.key().substring(ulid.length() + 1);
      if (rel.equals(BlockMeta.FILE_NAME)) {
        metaEntry = e;
      } else if (rel.equals(Marker.DELETION_MARK) && options.refuseBlocksBeingDeleted) {
        throw new BlockGoneException(ulid, "block " + ulid + " in bucket " + bucket.name()
            + " was marked for deletion after it was planned", null);
      } else if (rel.equals("index") || rel.startsWith("chunks/") || rel.equals("tombstones")) {
        // tombstones too: Thanos's block.Download fetches every object of the block, so deletions made in
        // Prometheus before the block was copied into the bucket are honoured when it is compacted.
        files.add(e);
      }
    }
    if (metaEntry == null) {
      throw new BlockGoneException(ulid, "block " + ulid + " in bucket " + bucket.name()
          + " has no meta.json (partial upload or being deleted)", null);
    }
    String metaKey = metaEntry.key();
    byte[] metaBytes;
    try {
      metaBytes = bucket.getBytes(metaKey);
    } catch (ObjectNotFoundException e) {
      throw gone(ulid, e);
    }
    BlockMeta meta = BlockMeta.parse(metaKey, metaBytes);
    Files.createDirectories(blockDir.resolve("chunks"));
    try {
      transferFiles(files, e -> {
        String rel = e.key().substring(ulid.length() + 1);
        fetchFile(e.key(), blockDir.resolve(rel), e.size());
      });
    } catch (ObjectNotFoundException e) {
      throw gone(ulid, e);
    }
    if (meta.thanos != null) {
      for (BlockMeta.FileEntry fe : meta.thanos.files) {
        if (fe.relPath.equals(BlockMeta.FILE_NAME)) {
          continue;
        }
        Path p = blockDir.resolve(fe.relPath);
        if (!Files.isRegularFile(p)) {
          throw new CorruptDataException(metaKey, 0, "thanos.files lists " + fe.relPath + " but the bucket has no such object");
        }
        if (fe.sizeBytes != 0 && Files.size(p) != fe.sizeBytes) {
          throw new CorruptDataException(ulid + "/" + fe.relPath, Files.size(p), "size is " + Files.size(p)
              + " bytes but meta.json thanos.files says " + fe.sizeBytes);
        }
      }
    }
    FileTree.writeAtomically(blockDir.resolve(BlockMeta.FILE_NAME), DOWNLOAD_SUFFIX, metaBytes);
    LOG.info("downloaded block {} ({} files) to {}", ulid, files.size() + 1, blockDir);
    return meta;
  }

  private BlockGoneException gone(String ulid, ObjectNotFoundException e) {
    return new BlockGoneException(ulid, "block " + ulid + " in bucket " + bucket.name()
        + " is being deleted: " + e.getMessage(), e);
  }

  private void fetchFile(String key, Path target, long expectedSize) throws IOException {
    Files.createDirectories(target.getParent());
    FileTree.writeAtomically(target.resolveSibling(target.getFileName() + DOWNLOAD_SUFFIX), target, tmp -> {
      long n = bucket.download(key, tmp);
      if (n != expectedSize) {
        throw new CorruptDataException(key, n, "downloaded " + n + " bytes but the listing says " + expectedSize);
      }
    }, null, false);
  }
}
