package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.GrowingFile;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import io.tsdbcompactor.chunkfile.ChunkSegmentWriter;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.ArrivingBytes;
import io.tsdbcompactor.store.ArrivingDirectory;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.IndexOutput;
import io.tsdbcompactor.store.WatchedDirectory;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>Download: meta.json, index, chunks and (if the bucket has one) tombstones are fetched (several at once, through
 * whatever retrying the bucket does), each written to a temporary file and renamed, sizes checked against the listing
 * and against {@code thanos.files} before anything is fetched; meta.json is written last, so an interrupted download
 * has no meta.json. {@link #downloadWhileRead} lets a reader start once the index is there, the chunk segments still
 * coming down.
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
    return upload(blockDir, disposable, Set.of(), NO_HOOKS);
  }

  /** What an early upload's finish learns from {@link #upload(Path, boolean, Set, UploadHooks)} as it goes. */
  private interface UploadHooks {
    /** The data files about to be sent (those not sent early), after the block was checked. */
    void sending(List<String> dataFiles);

    /** Every data file is in the bucket; meta.json goes next unless this throws. */
    void beforeMeta() throws IOException;
  }

  private static final UploadHooks NO_HOOKS = new UploadHooks() {
    @Override
    public void sending(List<String> dataFiles) {}

    @Override
    public void beforeMeta() {}
  };

  /** Uploads the block, except the data files in {@code uploaded} (already in the bucket); meta.json last. */
  private BlockMeta upload(Path blockDir, boolean disposable, Set<String> uploaded, UploadHooks hooks)
      throws IOException {
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
    dataFiles.removeAll(uploaded);
    hooks.sending(dataFiles);
    transferFiles(dataFiles, rel -> uploadFile(blockDir, rel, disposable));
    hooks.beforeMeta();
    t.uploadTime = GoJson.rfc3339Nano(options.clock.instant());
    bucket.upload(ulid + "/" + BlockMeta.FILE_NAME, up.toJsonBytes());
    LOG.info("uploaded block {} ({} chunk files) to bucket {}", ulid, chunkFiles.size(), bucket.name());
    return up;
  }

  private void uploadFile(Path blockDir, String rel, boolean disposable) throws IOException {
    String key = blockDir.getFileName() + "/" + rel;
    if (disposable) {
      bucket.uploadDisposable(key, blockDir.resolve(rel));
    } else {
      bucket.upload(key, blockDir.resolve(rel));
    }
  }

  /**
   * Starts the upload of a block that is still being written into {@code blockDir} (named by its ULID), a
   * compaction's output that is deleted afterwards without being changed ({@link #uploadDisposable}).
   */
  public EarlyUpload uploadEarly(Path blockDir) {
    String ulid = blockDir.getFileName().toString();
    if (!Ulid.isValid(ulid)) {
      throw new IllegalArgumentException("block directory " + blockDir + " is not named by a ULID");
    }
    return new EarlyUpload(blockDir);
  }

  /**
   * How often a file being written tells its upload how far it has got: small beside a part (S3's: 5 MiB at least,
   * 64 MiB by default; Azure's blocks: 8 MiB), so that a part goes up soon after the writer has got past it.
   */
  static final long GROWTH_STEP = 4 << 20;

  /**
   * The upload of a block being written, through the directory {@link #watch} returns. Where the bucket takes an
   * object in parts ({@link Bucket#uploadsWhileWritten}: S3, Azure), each data file ({@code chunks/*}, {@code index}) goes up
   * part by part while the writer writes it, on a thread of its own (it mostly waits for the writer, so it is not
   * counted in {@code --block-files-concurrency}), and is complete soon after the file is: what is left to send
   * when the merge ends is the last part of each file, not the last chunk segment (up to 512 MiB) and the whole
   * index. Elsewhere each data file goes up as soon as it is whole ({@link #written}), on as many threads as a
   * block's files are moved with ({@code --block-files-concurrency}, or the process's level when there is one).
   * Either way it happens while the rest of the block is still being merged and verified. {@link #finish} waits for
   * them, uploads what is left and meta.json last, exactly as {@link #uploadDisposable} does: readers never see a
   * block before its files. A block that will not be finished (it failed verification, or it is to be written
   * again in parts) is taken back with {@link #abandon}, or by closing it unfinished: its uploads stop and the
   * objects that went up are deleted; a crash in between leaves them as a partial upload, which the clean-up step deletes, as it does any
   * upload cut off before its meta.json (and a file's upload never completed, which is no object: S3's lifecycle
   * rules remove its parts, Azure its uncommitted blocks).
   */
  public final class EarlyUpload implements WatchedDirectory.Watcher, Closeable {
    private final Path blockDir;
    private final String ulid;
    private final ThreadPoolExecutor pool;
    /** The uploads of files still being written: one thread each, while their writers go on. */
    private final ExecutorService growingPool;
    private final Map<String, GrowingFile> growing = new HashMap<>();
    /** Every file that went up while it was written, whole or not: a block given up stops all their uploads. */
    private final List<GrowingFile> sentWhileWritten = new ArrayList<>();
    private final Map<String, Future<?>> started = new LinkedHashMap<>();
    /** Uploads of files thrown away while they were written, failing by themselves. */
    private final List<Future<?>> stopping = new ArrayList<>();
    private final Set<String> rewritten = new HashSet<>();
    /** Set by {@link #finish}: files written later go up with the rest. */
    private boolean closing;
    /** Set once meta.json may be on its way: from then on nothing is deleted. */
    private boolean finishing;
    /** The data files {@link #finish} sends itself (those not sent while written). */
    private final Set<String> sentAtFinish = new HashSet<>();
    private boolean abandoned;

    private EarlyUpload(Path blockDir) {
      this.blockDir = blockDir;
      this.ulid = blockDir.getFileName().toString();
      int threads = Math.max(1, options.files != null ? options.files.workers() : options.filesConcurrency);
      AtomicInteger n = new AtomicInteger();
      this.pool = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "upload-" + ulid + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      pool.allowCoreThreadTimeOut(true);
      AtomicInteger g = new AtomicInteger();
      this.growingPool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "upload-" + ulid + "-growing-" + g.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }

    /** The directory to write the block's files through: it tells this upload of each as it grows and ends. */
    public Directory watch(Directory blockFiles) {
      return new WatchedDirectory(blockFiles, GROWTH_STEP, this);
    }

    private boolean isDataFile(String rel) {
      return rel.equals("index") || rel.startsWith("chunks/");
    }

    /** A data file being written starts going up now where the bucket takes its parts as they are written. */
    @Override
    public synchronized boolean opened(String rel, IndexOutput out) throws IOException {
      if (closing || abandoned || !isDataFile(rel) || !bucket.uploadsWhileWritten()) {
        return false;
      }
      if (started.containsKey(rel)) {
        // Written again after it went up: finish sends it again, after the first upload has ended.
        rewritten.add(rel);
        return false;
      }
      java.nio.channels.FileChannel reader = out.openReader();
      if (reader == null) {
        return false;
      }
      GrowingFile file = new GrowingFile(blockDir.resolve(rel), reader);
      growing.put(rel, file);
      sentWhileWritten.add(file);
      started.put(rel, growingPool.submit(() -> {
        try (file) {
          bucket.uploadWhileWritten(ulid + "/" + rel, file);
        }
        return null;
      }));
      return true;
    }

    @Override
    public void grew(String rel, long length) {
      GrowingFile file;
      synchronized (this) {
        file = growing.get(rel);
      }
      if (file != null) {
        file.grew(length);
      }
    }

    @Override
    public void closed(String rel, long length) {
      GrowingFile file;
      synchronized (this) {
        file = growing.remove(rel);
      }
      if (file != null) {
        file.whole(length);
      } else {
        written(rel);
      }
    }

    /**
     * A file thrown away before it was whole: its upload fails by itself, and {@link #finish} waits for it to end
     * without taking its failure for the block's.
     */
    @Override
    public void aborted(String rel) {
      GrowingFile file;
      synchronized (this) {
        file = growing.remove(rel);
        if (file != null) {
          stopping.add(started.remove(rel));
        }
      }
      if (file != null) {
        file.abandoned();
      }
    }

    /**
     * The file {@code rel} of the block is whole under its name: chunk segments and the index go up now (one
     * reported again is sent again by {@link #finish}).
     */
    public synchronized void written(String rel) {
      if (closing || abandoned || !isDataFile(rel)) {
        return;
      }
      if (started.containsKey(rel)) {
        // Written again after it went up: finish sends it again, after the first upload has ended.
        rewritten.add(rel);
        return;
      }
      started.put(rel, pool.submit(() -> {
        transferFiles(List.of(rel), r -> uploadFile(blockDir, r, true));
        return null;
      }));
    }

    /**
     * Waits for the files already on their way (the first failure is thrown), then uploads the rest and meta.json
     * last; returns the meta.json as uploaded.
     */
    public BlockMeta finish() throws IOException {
      List<Map.Entry<String, Future<?>>> inFlight;
      List<GrowingFile> unclosed;
      synchronized (this) {
        if (abandoned) {
          throw new IllegalStateException("upload of block " + ulid + " was abandoned");
        }
        closing = true;
        pool.shutdown();
        growingPool.shutdown();
        inFlight = new ArrayList<>(started.entrySet());
        unclosed = new ArrayList<>(growing.values());
        growing.clear();
      }
      // Every file of a block is closed before it is finished; one that was not would be waited for forever.
      for (GrowingFile file : unclosed) {
        file.abandoned();
      }
      for (Map.Entry<String, Future<?>> f : inFlight) {
        await(f.getKey(), f.getValue());
      }
      List<Future<?>> ending;
      synchronized (this) {
        ending = new ArrayList<>(stopping);
      }
      for (Future<?> f : ending) {
        // No upload outlives the block's finish; what a thrown-away file's upload failed with is no failure.
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while finishing the upload of " + ulid);
        } catch (ExecutionException | CancellationException expected) {
          // Its file was thrown away: the upload could only fail.
        }
      }
      synchronized (this) {
        if (abandoned) {
          throw new InterruptedIOException("upload of block " + ulid + " was abandoned");
        }
      }
      Set<String> current = new HashSet<>(started.keySet());
      current.removeAll(rewritten);
      // Until meta.json is on its way the block can still be taken back: a block that fails its last checks (no
      // chunks directory, no external labels) or a data file that fails to go up leaves nothing behind.
      return upload(blockDir, true, current, new UploadHooks() {
        @Override
        public void sending(List<String> dataFiles) {
          synchronized (EarlyUpload.this) {
            sentAtFinish.addAll(dataFiles);
          }
        }

        @Override
        public void beforeMeta() throws IOException {
          synchronized (EarlyUpload.this) {
            if (abandoned) {
              throw new InterruptedIOException("upload of block " + ulid + " was abandoned");
            }
            finishing = true;
          }
        }
      });
    }

    private void await(String rel, Future<?> f) throws IOException {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while uploading " + ulid + "/" + rel);
      } catch (CancellationException e) {
        throw new InterruptedIOException("upload of " + ulid + "/" + rel + " was stopped");
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException("upload of " + ulid + "/" + rel + " failed", c);
      }
    }

    /**
     * The block will not be finished: stops its uploads and deletes the objects that went up (best effort; what
     * is left is a partial upload for the clean-up step). Does nothing once {@link #finish} got as far as
     * meta.json, whose upload may have reached the bucket whatever its outcome.
     */
    public void abandon() {
      List<String> sent;
      List<GrowingFile> uploading;
      synchronized (this) {
        if (finishing || abandoned) {
          return;
        }
        abandoned = true;
        sent = new ArrayList<>(started.keySet());
        for (String rel : sentAtFinish) {
          if (!started.containsKey(rel)) {
            sent.add(rel);
          }
        }
        uploading = new ArrayList<>(sentWhileWritten);
        growing.clear();
        // Interrupts uploads of whole files, which only a store that takes no file while it is written (FILESYSTEM:
        // a local copy) has; on S3, Azure and GCS every data file goes up through watch().
        pool.shutdownNow();
        // Not interrupted: an upload of a file written through watch() stops by itself once its file is thrown
        // away (below), whole or not, after the parts it is sending, and then aborts its multipart upload. An
        // interrupt would cut off a part being read from the file, and close the file's reader, which all its parts
        // share.
        growingPool.shutdown();
      }
      for (GrowingFile file : uploading) {
        file.abandoned();
      }
      try {
        long grace = System.nanoTime() + FanOut.STOP_GRACE.toNanos();
        boolean stopped = pool.awaitTermination(FanOut.STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)
            && growingPool.awaitTermination(Math.max(0, grace - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (!stopped) {
          growingPool.shutdownNow();
          LOG.warn("uploads of abandoned block {} did not stop within {}; its objects are left for the clean-up",
              ulid, FanOut.STOP_GRACE);
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        // An upload stopped before it started never closed the reader of its file.
        for (GrowingFile file : uploading) {
          try {
            file.close();
          } catch (IOException ignored) {
            // A reader of a local file: nothing was lost.
          }
        }
      }
      for (String rel : sent) {
        try {
          bucket.delete(ulid + "/" + rel);
        } catch (IOException | RuntimeException e) {
          LOG.warn("could not delete {}/{} of abandoned block {} from bucket {}: {}; left for the clean-up", ulid, rel,
              ulid, bucket.name(), e.getMessage());
        }
      }
      if (!sent.isEmpty()) {
        LOG.info("abandoned the upload of block {}: deleted its {} files already sent", ulid, sent.size());
      }
    }

    /**
     * Takes the block back unless {@link #finish} got as far as meta.json ({@link #abandon}), so that a
     * try-with-resources around the writing and the finish leaves nothing behind on any failure.
     */
    @Override
    public void close() {
      abandon();
    }
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
    Listed block = list(ulid);
    fetchWhole(block, blockDir);
    return block.meta();
  }

  private void fetchWhole(Listed block, Path blockDir) throws IOException {
    Files.createDirectories(blockDir.resolve("chunks"));
    try {
      transferFiles(block.files(), e -> fetchFile(e.key(), blockDir.resolve(block.rel(e)), e.size()));
    } catch (ObjectNotFoundException e) {
      throw gone(block.ulid(), e);
    }
    FileTree.writeAtomically(blockDir.resolve(BlockMeta.FILE_NAME), DOWNLOAD_SUFFIX, block.metaBytes());
    LOG.info("downloaded block {} ({} files) to {}", block.ulid(), block.files().size() + 1, blockDir);
  }

  /**
   * Downloads block {@code ulid} into {@code blockDir} to be read: from a remote store while it is read
   * ({@link #downloadWhileRead}); from a local file system ({@link Bucket#isLocalFileSystem}) whole before, its
   * file-to-file copies being quick. What a compaction and a downsampling read their sources through.
   */
  public ArrivingBlock downloadForReading(String ulid, Path blockDir) throws IOException {
    if (!bucket.isLocalFileSystem()) {
      return downloadWhileRead(ulid, blockDir);
    }
    Listed block = list(ulid);
    fetchWhole(block, blockDir);
    ArrivingBlock whole = new ArrivingBlock(block, blockDir, List.of(), Map.of());
    whole.finished = true;
    return whole;
  }

  /**
   * Starts downloading block {@code ulid} into {@code blockDir} so that it can be read before it is all there: the
   * index and tombstones come down first, then, in the background, the chunk segments, each written in place into
   * a file of its final size ({@link Bucket#downloadInto}) and read through {@link ArrivingBlock#directory()},
   * whose reads wait for their bytes. A merge or a downsampling reads the segments front to back, series by
   * series, so it works while the rest comes down instead of after. The checks are the full download's: sizes
   * against the listing and {@code thanos.files}; meta.json is written once everything has arrived
   * ({@link ArrivingBlock#finish()}).
   *
   * <p>The segments come down on the block's own thread, one after another (each in the bucket's own way: S3 in
   * ranges, several at once), outside the {@link Options#files} pool: a merge reads all its inputs at once, so all
   * of them come down at once. Every segment's header is fetched before the first segment's body, as a reader
   * opens every segment at the start.
   */
  public ArrivingBlock downloadWhileRead(String ulid, Path blockDir) throws IOException {
    Listed block = list(ulid);
    List<ListEntry> segments = fetchAllButSegments(block, blockDir);
    Map<String, ArrivingBytes> arriving = new LinkedHashMap<>();
    for (ListEntry e : segments) {
      String rel = block.rel(e);
      try (RandomAccessFile f = new RandomAccessFile(blockDir.resolve(rel).toFile(), "rw")) {
        f.setLength(e.size());
      }
      arriving.put(rel, new ArrivingBytes(e.key(), e.size()));
    }
    ArrivingBlock b = new ArrivingBlock(block, blockDir, segments, arriving);
    b.thread.start();
    return b;
  }

  /**
   * Downloads what a reader of block {@code ulid}'s series and their chunk references needs, the index and the
   * tombstones, into {@code blockDir}, after the listing's checks; the chunk segments are not fetched. Returns the
   * block's meta.json, which is not written there: the directory is not a whole block. What a dry run that only
   * counts series reads, however big the block.
   */
  public BlockMeta downloadIndex(String ulid, Path blockDir) throws IOException {
    Listed block = list(ulid);
    fetchAllButSegments(block, blockDir);
    return block.meta();
  }

  /** Fetches the block's files other than its chunk segments (created empty: {@code chunks/}); returns the segments. */
  private List<ListEntry> fetchAllButSegments(Listed block, Path blockDir) throws IOException {
    Files.createDirectories(blockDir.resolve("chunks"));
    List<ListEntry> first = new ArrayList<>();
    List<ListEntry> segments = new ArrayList<>();
    for (ListEntry e : block.files()) {
      (block.rel(e).startsWith("chunks/") ? segments : first).add(e);
    }
    try {
      transferFiles(first, e -> fetchFile(e.key(), blockDir.resolve(block.rel(e)), e.size()));
    } catch (ObjectNotFoundException e) {
      throw gone(block.ulid(), e);
    }
    return segments;
  }

  /** What reads an arriving block ({@link ArrivingBlock#read}): a downsampling, a rewrite. */
  @FunctionalInterface
  public interface Reading<T> {
    T read(BlockMeta meta, Directory blockFiles) throws IOException;
  }

  /**
   * A block whose chunk segments are still coming down ({@link #downloadWhileRead}), or one already whole
   * ({@link #downloadForReading} from a local file system). One thread fetches the segments in order;
   * {@link #finish()} waits for it and fails as it failed; {@link #close()} stops it.
   */
  public final class ArrivingBlock implements Closeable {
    private final Listed block;
    private final Path blockDir;
    private final List<ListEntry> segments;
    private final Map<String, ArrivingBytes> arriving;
    private final Thread thread;
    private volatile boolean abandoned;
    /** The download's own failure (not its abandonment); set by the thread before it ends. */
    private volatile IOException failure;
    private boolean finished;

    private ArrivingBlock(Listed block, Path blockDir, List<ListEntry> segments, Map<String, ArrivingBytes> arriving) {
      this.block = block;
      this.blockDir = blockDir;
      this.segments = segments;
      this.arriving = arriving;
      this.thread = new Thread(this::fetchSegments, "block-download-" + block.meta().ulid);
      thread.setDaemon(true);
    }

    public BlockMeta meta() {
      return block.meta();
    }

    /** The block's directory, whose chunk segments' reads wait until their bytes have arrived. */
    public Directory directory() {
      return new ArrivingDirectory(new FsDirectory(blockDir), arriving);
    }

    /**
     * Reads the block through {@code reading} while it comes down, then waits for the rest of it ({@link #finish}).
     * On failure the download is stopped, and what is thrown is the download's own failure if it had one (the
     * reading's error, its consequence, kept as suppressed), else the reading's ({@link ArrivingBytes#failureToReport}).
     */
    public <T> T read(Reading<T> reading) throws IOException {
      try {
        T result = reading.read(meta(), directory());
        finish();
        return result;
      } catch (IOException | RuntimeException e) {
        close();
        throw ArrivingBytes.failureToReport(e, failure);
      }
    }

    private void fetchSegments() {
      IOException error = null;
      String key = null;
      try {
        if (segments.size() > 1) {
          // A reader opens every segment at once and checks its header, so each header comes before the first
          // segment's body: a block of many 512 MiB segments is read from its first chunk on.
          for (ListEntry e : segments) {
            key = e.key();
            fetchHead(e, arriving.get(block.rel(e)));
          }
        }
        for (ListEntry e : segments) {
          key = e.key();
          ArrivingBytes a = arriving.get(block.rel(e));
          long n = bucket.downloadInto(e.key(), blockDir.resolve(block.rel(e)), e.size(), (offset, count) -> {
            if (abandoned) {
              throw new CancellationException("download of block " + block.meta().ulid + " abandoned");
            }
            a.arrived(offset, count);
          });
          if (n != e.size()) {
            throw new CorruptDataException(e.key(), n, "downloaded " + n + " bytes but the listing says " + e.size());
          }
          if (!a.complete()) {
            throw new IOException("download of " + e.key() + " ended at byte " + a.prefix() + " of " + e.size());
          }
        }
      } catch (ObjectNotFoundException e) {
        error = gone(block.meta().ulid, e);
      } catch (CorruptDataException e) {
        error = e;
      } catch (IOException | RuntimeException | Error e) {
        error = new IOException("download of " + key + " from bucket " + bucket.name() + " failed: " + e.getMessage(), e);
      }
      if (error != null) {
        if (!abandoned) {
          failure = error;
        }
        for (ArrivingBytes a : arriving.values()) {
          a.fail(error);
        }
      }
    }

    private void fetchHead(ListEntry e, ArrivingBytes a) throws IOException {
      int n = (int) Math.min(ChunkSegmentWriter.HEADER_SIZE, e.size());
      byte[] head;
      try (InputStream in = bucket.getRange(e.key(), 0, n)) {
        head = in.readNBytes(n);
      }
      if (head.length != n) {
        throw new CorruptDataException(e.key(), head.length, "the first " + n + " bytes ended after " + head.length);
      }
      try (FileChannel out = FileChannel.open(blockDir.resolve(block.rel(e)), StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(head);
        while (b.hasRemaining()) {
          out.write(b, b.position());
        }
      }
      a.arrived(0, n);
    }

    /**
     * Waits for the rest of the block and writes its meta.json: the block is then whole, as {@link #download}
     * leaves it. Throws the download's failure (a {@link CorruptDataException} when the bucket's objects contradict
     * the listing, {@link BlockGoneException} when they went away, else the bucket's error).
     */
    public void finish() throws IOException {
      if (finished) {
        return;
      }
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted waiting for block " + block.meta().ulid + " to download");
      }
      if (failure != null) {
        throw failure;
      }
      if (abandoned) {
        throw new IOException("download of block " + block.meta().ulid + " was abandoned");
      }
      FileTree.writeAtomically(blockDir.resolve(BlockMeta.FILE_NAME), DOWNLOAD_SUFFIX, block.metaBytes());
      finished = true;
      LOG.info("downloaded block {} ({} files) to {}, read while it came down", block.meta().ulid,
          block.files().size() + 1, blockDir);
    }

    /** The download's own failure so far, or null (an abandoned download has none). */
    public IOException failure() {
      return failure;
    }

    /**
     * Stops fetching what has not arrived (the thread is told, and interrupted) and waits for the thread; the files
     * stay for the caller to delete.
     */
    @Override
    public void close() {
      if (!thread.isAlive()) {
        return;
      }
      abandoned = true;
      IOException stop = new IOException("download of block " + block.meta().ulid + " abandoned");
      for (ArrivingBytes a : arriving.values()) {
        a.fail(stop);
      }
      thread.interrupt(); // a transfer waiting on the network stops at its next step instead of its timeout
      boolean interrupted = false;
      while (true) {
        try {
          thread.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A block's meta.json as listed and read, and the objects to fetch with it. */
  private record Listed(String ulid, BlockMeta meta, byte[] metaBytes, List<ListEntry> files) {
    String rel(ListEntry e) {
      return e.key().substring(ulid.length() + 1);
    }
  }

  /** Whether the block's deletion mark reads: the sync, like Thanos, takes an unreadable one for none. */
  private boolean readableMark(String ulid) throws IOException {
    try {
      return Markers.read(bucket, ulid, Marker.DELETION_MARK).isPresent();
    } catch (CorruptDataException e) {
      return false;
    }
  }

  /**
   * Lists block {@code ulid}, reads its meta.json and checks the listed sizes against {@code thanos.files}, before
   * anything is fetched: the objects to fetch are the index, the chunk segments and tombstones.
   */
  private Listed list(String ulid) throws IOException {
    if (!Ulid.isValid(ulid)) {
      throw new IllegalArgumentException("not a block ULID: " + ulid);
    }
    List<ListEntry> objects = bucket.list(ulid, true);
    ListEntry metaEntry = null;
    Map<String, ListEntry> files = new LinkedHashMap<>();
    for (ListEntry e : objects) {
      String rel = e.key().substring(ulid.length() + 1);
      if (rel.equals(BlockMeta.FILE_NAME)) {
        metaEntry = e;
      } else if (rel.equals(Marker.DELETION_MARK) && options.refuseBlocksBeingDeleted && readableMark(ulid)) {
        throw new BlockGoneException(ulid, "block " + ulid + " in bucket " + bucket.name()
            + " was marked for deletion after it was planned", null);
      } else if (rel.equals("index") || rel.startsWith("chunks/") || rel.equals("tombstones")) {
        // tombstones too: Thanos's block.Download fetches every object of the block, so deletions made in
        // Prometheus before the block was copied into the bucket are honoured when it is compacted.
        files.put(rel, e);
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
    if (meta.thanos != null) {
      for (BlockMeta.FileEntry fe : meta.thanos.files) {
        if (fe.relPath.equals(BlockMeta.FILE_NAME)) {
          continue;
        }
        ListEntry e = files.get(fe.relPath);
        if (e == null) {
          throw new CorruptDataException(metaKey, 0, "thanos.files lists " + fe.relPath + " but the bucket has no such object");
        }
        if (fe.sizeBytes != 0 && e.size() != fe.sizeBytes) {
          throw new CorruptDataException(ulid + "/" + fe.relPath, e.size(), "size is " + e.size()
              + " bytes but meta.json thanos.files says " + fe.sizeBytes);
        }
      }
    }
    return new Listed(ulid, meta, metaBytes, new ArrayList<>(files.values()));
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
