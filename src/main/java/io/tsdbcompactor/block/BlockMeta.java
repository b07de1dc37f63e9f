package io.tsdbcompactor.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A block's {@code meta.json}: Prometheus's {@code BlockMeta} plus Thanos's {@code thanos} section.
 *
 * <p>Format (version 1), keys in this order, written with one TAB per level as Go's encoder does:
 * {@code ulid}, {@code minTime} (inclusive ms), {@code maxTime} (exclusive ms), {@code stats} (numSamples,
 * numFloatSamples, numHistogramSamples, numSeries, numChunks, numTombstones; each omitted when 0),
 * {@code compaction} (level always; sources, deletable, parents [{ulid,minTime,maxTime}], failed, hints
 * omitted when empty), {@code version} (must be 1), then {@code thanos} when present: version (omitted when
 * 0), labels (always; null when absent), downsample {resolution}, source, segment_files, files [{rel_path,
 * size_bytes, hash}], rewrites, index_stats {series_max_size, chunk_max_size}, extensions, upload_time.
 * Upstream: Prometheus's <a href="https://github.com/prometheus/prometheus/blob/v2.42.0/tsdb/block.go">BlockMeta</a>
 * and Thanos's <a href="https://github.com/thanos-io/thanos/blob/main/pkg/block/metadata/meta.go">Meta</a>. Summary:
 * {@code docs/thanos-compactor.md} §2.
 *
 * <p>Fields this class does not know survive a read-write round trip: they are kept per object and written
 * after the known keys of that object. A Prometheus-only meta (no thanos section) is written as Prometheus
 * writes it, without a trailing newline; with a thanos section it ends in a newline as Thanos's encoder does.
 */
public final class BlockMeta {
  /** The file name inside a block directory. */
  public static final String FILE_NAME = "meta.json";
  /** Go's zero time, as {@code upload_time} is written when unset. */
  public static final String ZERO_TIME = "0001-01-01T00:00:00Z";

  /** The block's ULID, also its directory name. */
  public String ulid = "00000000000000000000000000";
  /** First timestamp the block may hold, ms (inclusive). */
  public long minTime;
  /** End of the block's range, ms (exclusive). */
  public long maxTime;
  /** Counts of what the block holds. */
  public final Stats stats = new Stats();
  /** Compaction level, sources and parents. */
  public final Compaction compaction = new Compaction();
  /** The meta.json format version; always 1. */
  public int version = 1;
  /** Null for a block Prometheus wrote and nobody annotated. */
  public Thanos thanos;
  /** Unknown top-level keys, in file order. */
  public ObjectNode extra = GoJson.object();

  /** The {@code stats} section; counts are 0 when unknown. */
  public static final class Stats {
    public long numSamples;
    public long numFloatSamples;
    public long numHistogramSamples;
    public long numSeries;
    public long numChunks;
    public long numTombstones;
    public ObjectNode extra = GoJson.object();
  }

  /**
   * The {@code compaction} section: level 1 for a block a Prometheus head wrote, one more than its highest parent
   * for a compacted one; sources are the level-1 ULIDs it contains.
   */
  public static final class Compaction {
    public int level;
    /** Parsed as a {@link SourceList}: ULIDs held as bits; any {@code List} may be assigned. */
    public List<String> sources = new SourceList();
    public boolean deletable;
    public List<BlockDesc> parents = new ArrayList<>();
    public boolean failed;
    public List<String> hints = new ArrayList<>();
    public ObjectNode extra = GoJson.object();
  }

  /** A parent block: its ULID and time range. */
  public static final class BlockDesc {
    public String ulid;
    public long minTime;
    public long maxTime;
    public ObjectNode extra = GoJson.object();

    public BlockDesc() {}

    public BlockDesc(String ulid, long minTime, long maxTime) {
      this.ulid = ulid;
      this.minTime = minTime;
      this.maxTime = maxTime;
    }
  }

  /** The {@code thanos} section: external labels, downsampling resolution, source, files, index stats. */
  public static final class Thanos {
    public int version;
    /** External labels; null is written as {@code null}, as Go writes a nil map. */
    public Map<String, String> labels;
    /** Downsampling resolution in ms; 0 for raw data. */
    public long resolution;
    public String source = "";
    public List<String> segmentFiles = new ArrayList<>();
    public List<FileEntry> files = new ArrayList<>();
    public JsonNode rewrites;
    public long seriesMaxSize;
    public long chunkMaxSize;
    public ObjectNode indexStatsExtra = GoJson.object();
    public JsonNode extensions;
    public String uploadTime = ZERO_TIME;
    public ObjectNode extra = GoJson.object();

    /** The external labels as a label set (empty when absent). */
    public Labels externalLabels() {
      return labels == null ? Labels.EMPTY : Labels.fromMap(labels);
    }
  }

  /** One entry of {@code thanos.files}. */
  public static final class FileEntry {
    public String relPath;
    public long sizeBytes;
    public String hashFunc;
    public String hashValue;
    public ObjectNode extra = GoJson.object();

    public FileEntry() {}

    public FileEntry(String relPath, long sizeBytes) {
      this.relPath = relPath;
      this.sizeBytes = sizeBytes;
    }
  }

  /** The external labels, empty for a Prometheus-only block. */
  public Labels externalLabels() {
    return thanos == null ? Labels.EMPTY : thanos.externalLabels();
  }

  /** Downsampling resolution in ms, 0 for raw data. */
  public long resolution() {
    return thanos == null ? 0 : thanos.resolution;
  }

  /**
   * The original blocks this block's data came from ({@code compaction.sources}); a block Prometheus wrote without
   * any is its own source.
   */
  public List<String> sourcesOrSelf() {
    return compaction.sources.isEmpty() ? List.of(ulid) : compaction.sources;
  }

  /** The block's size as its meta.json lists it ({@code thanos.files}); 0 when it lists none. */
  public long sizeBytes() {
    long s = 0;
    if (thanos != null) {
      for (FileEntry f : thanos.files) {
        s += f.sizeBytes;
      }
    }
    return s;
  }

  /** The thanos section, created empty if the block had none. */
  public Thanos thanos() {
    if (thanos == null) {
      thanos = new Thanos();
    }
    return thanos;
  }

  /** A deep copy (via the JSON form, so unknown fields are copied too). */
  public BlockMeta copy() {
    try {
      return parse("copy", toJsonBytes());
    } catch (IOException e) {
      throw new IllegalStateException("meta.json failed to round-trip", e);
    }
  }

  // ---------------------------------------------------------------- reading

  /** Parses meta.json; {@code where} names the file in errors (e.g. "01ABC.../meta.json"). */
  public static BlockMeta parse(String where, byte[] json) throws CorruptDataException {
    JsonNode root;
    try {
      root = GoJson.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new CorruptDataException(where, 0, "meta.json is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CorruptDataException(where, 0, "meta.json is not a JSON object");
    }
    return parseTree(where, (ObjectNode) root);
  }

  /**
   * As {@link #parse(String, byte[])} on a meta.json already read as a tree, which this consumes (its known fields
   * are taken out of it), so a caller that looked at the tree first does not parse the bytes a second time.
   */
  public static BlockMeta parseTree(String where, ObjectNode root) throws CorruptDataException {
    try {
      return fromTree(where, root);
    } catch (IllegalArgumentException e) {
      throw new CorruptDataException(where, 0, e.getMessage());
    }
  }

  private static BlockMeta fromTree(String where, ObjectNode root) throws CorruptDataException {
    BlockMeta m = new BlockMeta();
    m.ulid = text(take(root, "ulid"), "ulid");
    if (!Ulid.isValid(m.ulid)) {
      throw new CorruptDataException(where, 0, "meta.json ulid " + m.ulid + " is not a ULID");
    }
    m.minTime = number(take(root, "minTime"), "minTime");
    m.maxTime = number(take(root, "maxTime"), "maxTime");
    JsonNode v = take(root, "version");
    if (v == null || !v.canConvertToLong() || v.asLong() != 1) {
      throw new CorruptDataException(where, 0, "unexpected meta file version " + v + ", expected 1");
    }
    m.version = 1;
    ObjectNode stats = object(take(root, "stats"), "stats");
    if (stats != null) {
      m.stats.numSamples = optNumber(take(stats, "numSamples"), "stats.numSamples");
      m.stats.numFloatSamples = optNumber(take(stats, "numFloatSamples"), "stats.numFloatSamples");
      m.stats.numHistogramSamples = optNumber(take(stats, "numHistogramSamples"), "stats.numHistogramSamples");
      m.stats.numSeries = optNumber(take(stats, "numSeries"), "stats.numSeries");
      m.stats.numChunks = optNumber(take(stats, "numChunks"), "stats.numChunks");
      m.stats.numTombstones = optNumber(take(stats, "numTombstones"), "stats.numTombstones");
      m.stats.extra = rest(stats);
    }
    ObjectNode comp = object(take(root, "compaction"), "compaction");
    if (comp != null) {
      m.compaction.level = (int) optNumber(take(comp, "level"), "compaction.level");
      m.compaction.sources = new SourceList(strings(take(comp, "sources"), "compaction.sources"));
      m.compaction.deletable = bool(take(comp, "deletable"));
      JsonNode parents = take(comp, "parents");
      if (parents != null && !parents.isNull()) {
        if (!parents.isArray()) {
          throw new IllegalArgumentException("compaction.parents is not an array");
        }
        for (JsonNode p : parents) {
          ObjectNode po = object(p, "compaction.parents[]");
          BlockDesc d = new BlockDesc();
          d.ulid = text(take(po, "ulid"), "parents.ulid");
          d.minTime = optNumber(take(po, "minTime"), "parents.minTime");
          d.maxTime = optNumber(take(po, "maxTime"), "parents.maxTime");
          d.extra = rest(po);
          m.compaction.parents.add(d);
        }
      }
      m.compaction.failed = bool(take(comp, "failed"));
      m.compaction.hints = strings(take(comp, "hints"), "compaction.hints");
      m.compaction.extra = rest(comp);
    }
    ObjectNode th = object(take(root, "thanos"), "thanos");
    if (th != null) {
      Thanos t = new Thanos();
      t.version = (int) optNumber(take(th, "version"), "thanos.version");
      if (t.version != 0 && t.version != 1) {
        throw new CorruptDataException(where, 0, "unexpected thanos meta version " + t.version);
      }
      JsonNode labels = take(th, "labels");
      if (labels != null && !labels.isNull()) {
        ObjectNode lo = object(labels, "thanos.labels");
        t.labels = new TreeMap<>(Labels::compareStrings);
        for (Iterator<Map.Entry<String, JsonNode>> it = lo.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          t.labels.put(e.getKey(), text(e.getValue(), "thanos.labels." + e.getKey()));
        }
      }
      ObjectNode ds = object(take(th, "downsample"), "thanos.downsample");
      if (ds != null) {
        t.resolution = optNumber(ds.remove("resolution"), "thanos.downsample.resolution");
      }
      JsonNode source = take(th, "source");
      t.source = source == null || source.isNull() ? "" : text(source, "thanos.source");
      t.segmentFiles = strings(take(th, "segment_files"), "thanos.segment_files");
      JsonNode files = take(th, "files");
      if (files != null && !files.isNull()) {
        for (JsonNode f : files) {
          ObjectNode fo = object(f, "thanos.files[]");
          FileEntry e = new FileEntry();
          e.relPath = text(take(fo, "rel_path"), "thanos.files.rel_path");
          e.sizeBytes = optNumber(take(fo, "size_bytes"), "thanos.files.size_bytes");
          ObjectNode hash = object(take(fo, "hash"), "thanos.files.hash");
          if (hash != null) {
            e.hashFunc = hash.path("hashFunc").asText(null);
            e.hashValue = hash.path("value").asText(null);
          }
          e.extra = rest(fo);
          t.files.add(e);
        }
      }
      t.rewrites = take(th, "rewrites");
      ObjectNode is = object(take(th, "index_stats"), "thanos.index_stats");
      if (is != null) {
        t.seriesMaxSize = optNumber(take(is, "series_max_size"), "index_stats.series_max_size");
        t.chunkMaxSize = optNumber(take(is, "chunk_max_size"), "index_stats.chunk_max_size");
        t.indexStatsExtra = rest(is);
      }
      t.extensions = take(th, "extensions");
      JsonNode up = take(th, "upload_time");
      t.uploadTime = up == null || up.isNull() ? ZERO_TIME : text(up, "thanos.upload_time");
      t.extra = rest(th);
      m.thanos = t;
    }
    m.extra = rest(root);
    return m;
  }

  private static JsonNode take(ObjectNode o, String key) {
    return o.remove(key);
  }

  private static ObjectNode object(JsonNode n, String what) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw new IllegalArgumentException(what + " is not a JSON object");
    }
    return (ObjectNode) n;
  }

  private static String text(JsonNode n, String what) {
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException(what + " must be a string, found " + n);
    }
    return n.textValue();
  }

  private static long number(JsonNode n, String what) {
    if (n == null) {
      throw new IllegalArgumentException(what + " is missing");
    }
    return optNumber(n, what);
  }

  private static long optNumber(JsonNode n, String what) {
    if (n == null || n.isNull()) {
      return 0;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new IllegalArgumentException(what + " must be a 64-bit integer, found " + n);
    }
    return n.longValue();
  }

  private static boolean bool(JsonNode n) {
    return n != null && n.asBoolean(false);
  }

  private static List<String> strings(JsonNode n, String what) {
    List<String> out = new ArrayList<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isArray()) {
      throw new IllegalArgumentException(what + " is not an array");
    }
    for (JsonNode s : n) {
      out.add(text(s, what + "[]"));
    }
    return out;
  }

  // ---------------------------------------------------------------- writing

  /** The file's bytes, in Go's layout (see the class comment). */
  public byte[] toJsonBytes() {
    String s = GoJson.indent(toTree());
    if (thanos != null) {
      s += "\n";
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public ObjectNode toTree() {
    ObjectNode root = GoJson.object();
    root.put("ulid", ulid);
    root.put("minTime", minTime);
    root.put("maxTime", maxTime);
    ObjectNode st = root.putObject("stats");
    putNonZero(st, "numSamples", stats.numSamples);
    putNonZero(st, "numFloatSamples", stats.numFloatSamples);
    putNonZero(st, "numHistogramSamples", stats.numHistogramSamples);
    putNonZero(st, "numSeries", stats.numSeries);
    putNonZero(st, "numChunks", stats.numChunks);
    putNonZero(st, "numTombstones", stats.numTombstones);
    putExtra(st, stats.extra);
    ObjectNode co = root.putObject("compaction");
    co.put("level", compaction.level);
    if (!compaction.sources.isEmpty()) {
      ArrayNode a = co.putArray("sources");
      compaction.sources.forEach(a::add);
    }
    if (compaction.deletable) {
      co.put("deletable", true);
    }
    if (!compaction.parents.isEmpty()) {
      ArrayNode a = co.putArray("parents");
      for (BlockDesc d : compaction.parents) {
        ObjectNode p = a.addObject();
        p.put("ulid", d.ulid);
        p.put("minTime", d.minTime);
        p.put("maxTime", d.maxTime);
        putExtra(p, d.extra);
      }
    }
    if (compaction.failed) {
      co.put("failed", true);
    }
    if (!compaction.hints.isEmpty()) {
      ArrayNode a = co.putArray("hints");
      compaction.hints.forEach(a::add);
    }
    putExtra(co, compaction.extra);
    root.put("version", version);
    if (thanos != null) {
      Thanos t = thanos;
      ObjectNode th = root.putObject("thanos");
      if (t.version != 0) {
        th.put("version", t.version);
      }
      if (t.labels == null) {
        th.putNull("labels");
      } else {
        ObjectNode l = th.putObject("labels");
        TreeMap<String, String> sorted = new TreeMap<>(Labels::compareStrings);
        sorted.putAll(t.labels);
        sorted.forEach(l::put);
      }
      th.putObject("downsample").put("resolution", t.resolution);
      th.put("source", t.source == null ? "" : t.source);
      if (!t.segmentFiles.isEmpty()) {
        ArrayNode a = th.putArray("segment_files");
        t.segmentFiles.forEach(a::add);
      }
      if (!t.files.isEmpty()) {
        ArrayNode a = th.putArray("files");
        for (FileEntry f : t.files) {
          ObjectNode fo = a.addObject();
          fo.put("rel_path", f.relPath);
          putNonZero(fo, "size_bytes", f.sizeBytes);
          if (f.hashFunc != null && !f.hashFunc.isEmpty()) {
            ObjectNode h = fo.putObject("hash");
            h.put("hashFunc", f.hashFunc);
            h.put("value", f.hashValue);
          }
          putExtra(fo, f.extra);
        }
      }
      if (t.rewrites != null && !t.rewrites.isNull() && t.rewrites.size() > 0) {
        th.set("rewrites", t.rewrites);
      }
      ObjectNode is = th.putObject("index_stats");
      putNonZero(is, "series_max_size", t.seriesMaxSize);
      putNonZero(is, "chunk_max_size", t.chunkMaxSize);
      putExtra(is, t.indexStatsExtra);
      if (t.extensions != null && !t.extensions.isNull()) {
        th.set("extensions", t.extensions);
      }
      th.put("upload_time", t.uploadTime == null ? ZERO_TIME : t.uploadTime);
      putExtra(th, t.extra);
    }
    putExtra(root, extra);
    return root;
  }

  private static void putNonZero(ObjectNode o, String key, long v) {
    if (v != 0) {
      o.put(key, v);
    }
  }

  /**
   * What is left of a parsed object once its known keys are taken: itself when it holds unknown keys, else a new
   * empty object, which holds no hash table (the parsed one keeps the table its keys filled, about 100 bytes a
   * section: 8 sections a block, 100,000 blocks in a big bucket's sync).
   */
  private static ObjectNode rest(ObjectNode parsed) {
    return parsed.isEmpty() ? GoJson.object() : parsed;
  }

  private static void putExtra(ObjectNode o, ObjectNode extra) {
    if (extra == null) {
      return;
    }
    Set<String> known = new java.util.HashSet<>();
    o.fieldNames().forEachRemaining(known::add);
    for (Iterator<Map.Entry<String, JsonNode>> it = extra.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!known.contains(e.getKey())) {
        o.set(e.getKey(), e.getValue());
      }
    }
  }

  /** Sorts and de-duplicates sources, as Prometheus does for compacted blocks. */
  public static List<String> sortedUnique(List<String> in) {
    return new SourceList(new java.util.TreeSet<>(in));
  }

  @Override
  public String toString() {
    return ulid + "[" + minTime + "," + maxTime + ") level " + compaction.level
        + (thanos == null ? "" : " res " + thanos.resolution + " " + thanos.externalLabels());
  }
}
