package io.tsdbcompactor.sync;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import io.tsdbcompactor.block.SourceList;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FileTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the state of a bucket: every block's meta.json and markers, the partial blocks, and the blocks that are
 * too fresh or already on their way out (Thanos's {@code MetaFetcher} with the compactor's filters, §1.3, §3.3,
 * §3.4 of docs/thanos-compactor.md).
 *
 * <p>One recursive listing finds every block folder, its objects, their sizes and times, and which markers
 * exist; this costs a LIST per 1000 objects instead of a request per block and marker. Then, concurrently,
 * meta.json is read for each block (from the local cache under {@code <data-dir>/meta-syncer/<ULID>/meta.json}
 * when the object's last-modified time is unchanged, so a re-run does not fetch it again) and each existing
 * marker is read. Cache entries of blocks that left the bucket are removed. With a {@link MetaMemo} (a run
 * syncs again after each step that acted), a meta.json or marker whose listed time and size are those an earlier
 * sync parsed is taken from memory instead, so a repeated sync of an unchanged bucket costs its listing alone.
 *
 * <p>Time partitioning, relabel sharding, replica-label removal and deduplication are the caller's (they need
 * the compactor's flags); this class applies the consistency delay and the deletion-mark visibility delay.
 */
public final class BlockSyncer {
  private static final Logger LOG = LoggerFactory.getLogger(BlockSyncer.class);
  /** Sources whose blocks are complete when uploaded, so the consistency delay does not hold them back. */
  private static final Set<String> TRUSTED_SOURCES = Set.of("bucket.repair", "compactor", "compactor.repair");

  /** Settings, with Thanos's defaults. */
  public static final class Options {
    /** Metas and markers read in parallel ({@code --block-meta-fetch-concurrency}), when {@link #metaFetch} is not given. */
    public int concurrency = 32;
    /** The process's level for metadata requests (a run's); null: each sync makes its own pool of {@link #concurrency}. */
    public FanOut metaFetch;
    /** {@code --consistency-delay}. */
    public Duration consistencyDelay = Duration.ofMinutes(30);
    /** {@code --delete-delay}; marked blocks vanish from {@link SyncResult#metas()} after half of it. */
    public Duration deleteDelay = Duration.ofHours(48);
    public Clock clock = Clock.systemUTC();
    /** Told about listing and reading progress (the CLI shows it on a terminal). */
    public Progress progress = Progress.NONE;
    /** What earlier syncs parsed, shared with later ones; null: every meta.json and marker is read each sync. */
    public MetaMemo memo;
  }

  /** Receives progress; calls may come from several threads. */
  public interface Progress {
    Progress NONE = new Progress() {};

    default void listed(long objects) {}

    default void metaRead(int done, int total) {}
  }

  private final Bucket bucket;
  private final Path cacheDir;
  private final Options options;

  /** {@code dataDir} null: no local cache. */
  public BlockSyncer(Bucket bucket, Path dataDir, Options options) {
    this.bucket = bucket;
    this.cacheDir = dataDir == null ? null : dataDir.resolve("meta-syncer");
    this.options = options;
  }

  public BlockSyncer(Bucket bucket, Path dataDir) {
    this(bucket, dataDir, new Options());
  }

  /** What reading one block folder produced. */
  private static final class Fetched {
    BlockMeta meta;
    String partialReason;
    String failure;
    Marker.DeletionMark deletion;
    Marker.NoCompactMark noCompact;
    Marker.NoDownsampleMark noDownsample;
    /**
     * Why a block with a parsed meta.json cannot be worked on: its meta.json's range or resolution, or what is
     * missing or wrong among its objects ({@link BlockFiles}); null when it can.
     */
    String damaged;
  }

  public SyncResult sync() throws IOException {
    Instant now = options.clock.instant();
    Map<String, List<ListEntry>> byBlock = listBlocks();
    List<String> ulids = new ArrayList<>(byBlock.keySet());
    // A compacted block's sources are repeated in its 5m and 1h copies (168 ULIDs for a 14d block): equal lists
    // share one array. It lives for the sync only.
    SourceList.Interner sources = new SourceList.Interner(ulids.size());
    Fetched[] fetched = fetchAll(ulids, byBlock, sources);

    SortedMap<String, BlockMeta> allMetas = new TreeMap<>();
    SortedMap<String, Marker.DeletionMark> deletionMarks = new TreeMap<>();
    SortedMap<String, Marker.NoCompactMark> noCompact = new TreeMap<>();
    SortedMap<String, Marker.NoDownsampleMark> noDownsample = new TreeMap<>();
    SortedMap<String, PartialBlock> partial = new TreeMap<>();
    SortedMap<String, String> failed = new TreeMap<>();
    Set<String> tooFresh = new TreeSet<>();
    Set<String> hidden = new TreeSet<>();
    List<BlockMeta> metas = new ArrayList<>();
    Duration visibility = options.deleteDelay.dividedBy(2);

    for (int i = 0; i < ulids.size(); i++) {
      String ulid = ulids.get(i);
      Fetched f = fetched[i];
      if (f.failure != null) {
        failed.put(ulid, f.failure);
        continue;
      }
      if (f.meta == null) {
        partial.put(ulid, new PartialBlock(ulid, f.partialReason, latestModified(ulid, byBlock.get(ulid))));
        continue;
      }
      allMetas.put(ulid, f.meta);
      if (f.noCompact != null) {
        noCompact.put(ulid, f.noCompact);
      }
      if (f.noDownsample != null) {
        noDownsample.put(ulid, f.noDownsample);
      }
      if (isTooFresh(f.meta, now)) {
        tooFresh.add(ulid);
        continue;
      }
      if (f.damaged != null && f.deletion == null) {
        // Listed with its meta.json, so not an upload in progress: damaged. Left out of every plan, so that it
        // neither stands in for its sources (garbage collection) nor for finer data (retention). A block marked
        // for deletion is on its way out and is deleted when due, as any other.
        failed.put(ulid, f.damaged);
        continue;
      }
      if (f.deletion != null) {
        deletionMarks.put(ulid, f.deletion);
        if (Duration.between(Instant.ofEpochSecond(f.deletion.deletionTime()), now).compareTo(visibility) > 0) {
          hidden.add(ulid);
          continue;
        }
      }
      metas.add(f.meta);
    }
    pruneCache(byBlock.keySet());
    if (options.memo != null) {
      options.memo.retainBlocks(byBlock.keySet());
    }
    SyncResult result = new SyncResult(Collections.unmodifiableList(metas), allMetas, deletionMarks, noCompact,
        noDownsample, partial, tooFresh, hidden, failed, byBlock, now);
    LOG.atInfo().addKeyValue("usable", metas.size()).addKeyValue("too_fresh", tooFresh.size())
        .log("synced bucket " + bucket.name() + ": " + result.describeCounts());
    return result;
  }

  /** Thanos's ConsistencyDelayMetaFilter. */
  private boolean isTooFresh(BlockMeta m, Instant now) {
    if (options.consistencyDelay.isZero() || options.consistencyDelay.isNegative()) {
      return false;
    }
    if (m.thanos != null && TRUSTED_SOURCES.contains(m.thanos.source)) {
      return false;
    }
    Instant made = uploadTime(m);
    if (made == null) {
      made = Instant.ofEpochMilli(Ulid.parse(m.ulid).timestamp());
    }
    return Duration.between(made, now).compareTo(options.consistencyDelay) < 0;
  }

  /** The meta's upload_time, null when zero or absent. */
  static Instant uploadTime(BlockMeta m) {
    if (m.thanos == null || m.thanos.uploadTime == null || m.thanos.uploadTime.startsWith("0001-01-01T00:00:00")) {
      return null;
    }
    try {
      return Instant.parse(m.thanos.uploadTime);
    } catch (DateTimeParseException e) {
      try {
        return java.time.OffsetDateTime.parse(m.thanos.uploadTime).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /** The newest object time under a block folder, else the ULID's time (Thanos's partial-upload age). */
  static Instant latestModified(String ulid, List<ListEntry> objects) {
    Instant latest = null;
    for (ListEntry e : objects) {
      if (e.lastModified() != null && (latest == null || e.lastModified().isAfter(latest))) {
        latest = e.lastModified();
      }
    }
    return latest != null ? latest : Instant.ofEpochMilli(Ulid.parse(ulid).timestamp());
  }

  private Map<String, List<ListEntry>> listBlocks() throws IOException {
    Map<String, List<ListEntry>> byBlock = new TreeMap<>();
    long[] count = {0};
    bucket.list("", true, e -> {
      int slash = e.key().indexOf('/');
      if (slash > 0) {
        String top = e.key().substring(0, slash);
        if (Ulid.isValid(top)) {
          byBlock.computeIfAbsent(top, k -> new ArrayList<>()).add(e);
        }
      }
      if (++count[0] % 1000 == 0) {
        options.progress.listed(count[0]);
      }
      return true;
    });
    options.progress.listed(count[0]);
    return byBlock;
  }

  /**
   * Reads every block's meta.json and markers on the meta-fetch level. Fail-fast: a block that cannot be read
   * (the bucket failing, not a bad meta.json, which is recorded in its {@link Fetched}) fails the sync.
   */
  private Fetched[] fetchAll(List<String> ulids, Map<String, List<ListEntry>> byBlock, SourceList.Interner sources)
      throws IOException {
    Fetched[] out = new Fetched[ulids.size()];
    AtomicInteger done = new AtomicInteger();
    FanOut.Task<Integer> task = i -> {
      String ulid = ulids.get(i);
      out[i] = fetch(ulid, byBlock.get(ulid), sources);
      options.progress.metaRead(done.incrementAndGet(), ulids.size());
    };
    List<Integer> positions = new ArrayList<>(ulids.size());
    for (int i = 0; i < ulids.size(); i++) {
      positions.add(i);
    }
    if (options.metaFetch != null) {
      options.metaFetch.run(positions, FanOut.OnFailure.STOP, task);
    } else {
      FanOut.once("meta-fetch", options.concurrency, positions, FanOut.OnFailure.STOP, task);
    }
    return out;
  }

  private Fetched fetch(String ulid, List<ListEntry> objects, SourceList.Interner sources) throws IOException {
    Fetched f = new Fetched();
    ListEntry metaEntry = null;
    SortedMap<String, ListEntry> markers = new TreeMap<>();
    for (ListEntry e : objects) {
      String rel = e.key().substring(ulid.length() + 1);
      if (rel.equals(BlockMeta.FILE_NAME)) {
        metaEntry = e;
      } else if (Marker.isMarkerFile(rel)) {
        markers.put(rel, e);
      }
    }
    if (metaEntry == null) {
      f.partialReason = PartialBlock.NO_META;
      return f;
    }
    MetaMemo memo = options.memo;
    f.meta = memo == null ? null : memo.get(metaEntry, BlockMeta.class);
    if (f.meta == null) {
      parseMeta(ulid, metaEntry, sources, f);
      if (f.meta == null) {
        if (memo != null) {
          memo.forget(metaEntry);
        }
        return f;
      }
      if (memo != null) {
        memo.put(metaEntry, f.meta);
      }
    }
    for (Map.Entry<String, ListEntry> m : markers.entrySet()) {
      Marker marker = memo == null ? null : memo.get(m.getValue(), Marker.class);
      if (marker == null) {
        try {
          marker = Markers.read(bucket, ulid, m.getKey()).orElse(null);
        } catch (CorruptDataException e) {
          LOG.warn("ignoring unreadable marker: {}", e.getMessage());
        }
        if (marker != null && memo != null) {
          memo.put(m.getValue(), marker);
        }
      }
      if (marker instanceof Marker.DeletionMark d) {
        f.deletion = d;
      } else if (marker instanceof Marker.NoCompactMark n) {
        f.noCompact = n;
      } else if (marker instanceof Marker.NoDownsampleMark n) {
        f.noDownsample = n;
      }
    }
    f.damaged = unusable(f.meta);
    if (f.damaged == null) {
      List<String> problems = BlockFiles.problems(f.meta, objects);
      if (!problems.isEmpty() && f.deletion == null) {
        // The bucket listing is no snapshot: a block uploaded while it ran can show its meta.json without the
        // files listed before it. Listed again on its own, an upload that has finished shows them all.
        problems = BlockFiles.problems(f.meta, bucket.list(ulid, true));
      }
      f.damaged = problems.isEmpty() ? null : String.join("; ", problems);
    }
    return f;
  }

  /** What makes a parsed meta.json unusable for any step, or null. */
  private static String unusable(BlockMeta meta) {
    String where = meta.ulid + "/" + BlockMeta.FILE_NAME;
    if (meta.minTime >= meta.maxTime) {
      // No sample can lie in it: every step would drop the block's samples as outside its range.
      return where + ": minTime " + meta.minTime + " is not before maxTime " + meta.maxTime;
    }
    long res = meta.resolution();
    if (res != Resolution.RAW && res != Resolution.FIVE_MINUTES && res != Resolution.ONE_HOUR) {
      // No step knows what to do with it (Thanos stops its whole run on it): this block is set aside instead.
      return where + ": unexpected downsampling resolution " + res + " (raw 0, 5m 300000 and 1h 3600000 are known)";
    }
    return null;
  }

  /** Reads and parses {@code ulid}'s meta.json into {@code f}: its meta, or why the block is partial or failed. */
  private void parseMeta(String ulid, ListEntry metaEntry, SourceList.Interner sources, Fetched f) throws IOException {
    byte[] json;
    try {
      json = readMeta(ulid, metaEntry);
    } catch (ObjectNotFoundException e) {
      f.partialReason = PartialBlock.META_DISAPPEARED; // being deleted right now
      return;
    }
    String where = ulid + "/" + BlockMeta.FILE_NAME;
    JsonNode tree;
    try {
      tree = GoJson.MAPPER.readTree(json);
    } catch (IOException e) {
      tree = null;
    }
    if (tree == null || !tree.isObject()) {
      f.partialReason = "meta.json is not valid JSON";
      dropCache(ulid);
      return;
    }
    if (tree.path("version").asLong(-1) != 1) {
      f.failure = where + ": unexpected meta file version " + tree.get("version") + ", expected 1";
      dropCache(ulid);
      return;
    }
    BlockMeta meta;
    try {
      meta = BlockMeta.parseTree(where, (com.fasterxml.jackson.databind.node.ObjectNode) tree);
    } catch (CorruptDataException e) {
      f.partialReason = "meta.json does not parse: " + e.getMessage();
      dropCache(ulid);
      return;
    }
    if (meta.compaction.sources instanceof SourceList l) {
      sources.intern(l);
    }
    if (!meta.ulid.equals(ulid)) {
      f.failure = where + ": meta.json names block " + meta.ulid + ", not its folder " + ulid;
      return;
    }
    f.meta = meta;
  }

  /** meta.json bytes, from the cache when the object's time matches the cached file's time. */
  private byte[] readMeta(String ulid, ListEntry entry) throws IOException {
    Path cached = cacheDir == null ? null : cacheDir.resolve(ulid).resolve(BlockMeta.FILE_NAME);
    if (cached != null && entry.lastModified() != null) {
      // One stat for type, time and size: a warm sync of a big bucket does this for every block.
      java.nio.file.attribute.BasicFileAttributes a;
      try {
        a = Files.readAttributes(cached, java.nio.file.attribute.BasicFileAttributes.class);
      } catch (IOException e) {
        a = null; // not cached (or not readable): fetched from the bucket below
      }
      if (a != null && a.isRegularFile() && a.lastModifiedTime().toMillis() == entry.lastModified().toEpochMilli()
          && a.size() == entry.size()) {
        return Files.readAllBytes(cached);
      }
    }
    byte[] json = bucket.getBytes(entry.key());
    if (cached != null && entry.lastModified() != null) {
      Files.createDirectories(cached.getParent());
      FileTree.writeAtomically(cached.resolveSibling(BlockMeta.FILE_NAME + ".tmp"), cached,
          tmp -> Files.write(tmp, json), FileTime.fromMillis(entry.lastModified().toEpochMilli()), false);
    }
    return json;
  }

  private void dropCache(String ulid) throws IOException {
    if (cacheDir != null) {
      FileTree.delete(cacheDir.resolve(ulid));
    }
  }

  private void pruneCache(Set<String> present) throws IOException {
    if (cacheDir == null || !Files.isDirectory(cacheDir)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(cacheDir)) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        if (!present.contains(d.getFileName().toString())) {
          FileTree.delete(d);
        }
      }
    }
  }

}
