package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.FilesystemBucket;
import io.tsdbcompactor.job.TickingClock;
import io.tsdbcompactor.job.PromtoolBucket;
import io.tsdbcompactor.sync.BlockSyncer;
import io.tsdbcompactor.sync.SyncResult;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * "Nothing is lost" with bad input, through the real {@code compact} command on a FILESYSTEM bucket of
 * promtool-made blocks uploaded as a sidecar would (thanos section, thanos.files): one block of a group is
 * damaged in one way per case. Each run must exit 1 with a line naming the block and the damaged file, leave the
 * damaged block whole and set aside (no-compact mark with a reason, or skipped as Thanos skips a bad meta.json),
 * compact everything else, and keep every sample: the samples of the visible blocks equal the input's.
 */
class BadInputCompactTest {
  /** The damaged block: an overlap block that overlaps another, so the planner would pick it. */
  static final String VICTIM = "01M88N6J87BTSCQ5QE3Q24EYWG";

  enum Damage {
    CHUNK_BYTE_FLIPPED("chunks/000001", true),
    CHUNK_UNDECODABLE_WITH_VALID_CRC("chunks/000001", true),
    CHUNK_FILE_TRUNCATED("chunks/000001", true),
    CHUNK_FILE_MISSING("chunks/000001", true),
    INDEX_SIZE_MISSTATED_IN_META("index", true),
    CHUNK_REF_PAST_SEGMENT_END("chunks/000001", true),
    INDEX_TRUNCATED("index", true),
    INDEX_BAD_CRC("index", true),
    INDEX_MISSING("index", true),
    TOMBSTONES_GARBAGE("tombstones", true),
    META_NOT_JSON("meta.json", false),
    META_VERSION_2("meta.json", false),
    META_UNKNOWN_RESOLUTION("meta.json", true),
    META_RANGE_NARROWER_THAN_CHUNKS("meta.json", true),
    META_RANGE_SWAPPED("meta.json", true),
    META_WITHOUT_EXTERNAL_LABELS("meta.json", true, "no-external-labels");

    final String file;
    /** Whether the block is marked no-compact (a bad meta.json leaves the block unreadable: skipped instead). */
    final boolean noCompact;
    /** The no-compact mark's reason. */
    final String reason;

    Damage(String file, boolean noCompact) {
      this(file, noCompact, "corrupted-block");
    }

    Damage(String file, boolean noCompact, String reason) {
      this.file = file;
      this.noCompact = noCompact;
      this.reason = reason;
    }
  }

  record Result(int code, String out, String err) {}

  /** "Now" of the runs: fixed at first, one second on per reading, so each run comes after the one before. */
  static final long NOW = java.time.Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();
  static final TickingClock CLOCK = new TickingClock(NOW);

  static Result run(String... args) {
    return CliRun.run(CLOCK, Result::new, args);
  }

  /** Group cluster=x holds the victim among the six overlap blocks, cluster=y a copy, cluster=basic the rest. */
  static List<String> buildBucket(Path bucketDir, Path staging) throws IOException {
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      return PromtoolBucket.build(bucket, staging);
    }
  }

  static void damage(Path blockDir, Damage d) throws IOException {
    Path chunk = blockDir.resolve("chunks/000001");
    Path index = blockDir.resolve("index");
    Path meta = blockDir.resolve("meta.json");
    switch (d) {
      case CHUNK_BYTE_FLIPPED -> flip(chunk, Files.size(chunk) / 2);
      case CHUNK_UNDECODABLE_WITH_VALID_CRC -> {
        // the download's size check still passes: only bytes inside the first chunk change
        PromtoolBucket.breakFirstChunkPayload(chunk);
      }
      case CHUNK_FILE_TRUNCATED -> truncate(chunk, Files.size(chunk) / 2);
      case CHUNK_FILE_MISSING -> Files.delete(chunk);
      case INDEX_SIZE_MISSTATED_IN_META -> {
        // The planner's index-size guard reads thanos.files: ten terabytes must not fail the whole group.
        BlockMeta m = BlockMeta.parse(meta.toString(), Files.readAllBytes(meta));
        for (BlockMeta.FileEntry f : m.thanos.files) {
          if (f.relPath.equals("index")) {
            f.sizeBytes = 10_000_000_000_000L;
          }
        }
        Files.write(meta, m.toJsonBytes());
      }
      case CHUNK_REF_PAST_SEGMENT_END -> {
        // The segment keeps its header only, and meta.json's thanos.files agrees, so the download passes and
        // every chunk reference of the index points past the end of the segment.
        truncate(chunk, 8);
        BlockMeta m = BlockMeta.parse(meta.toString(), Files.readAllBytes(meta));
        for (BlockMeta.FileEntry f : m.thanos.files) {
          if (f.relPath.equals("chunks/000001")) {
            f.sizeBytes = 8;
          }
        }
        Files.write(meta, m.toJsonBytes());
      }
      case INDEX_TRUNCATED -> truncate(index, Files.size(index) / 2);
      case INDEX_BAD_CRC -> flip(index, 12); // inside the symbol table, whose CRC32C no longer matches
      case INDEX_MISSING -> Files.delete(index);
      case TOMBSTONES_GARBAGE -> Files.writeString(blockDir.resolve("tombstones"), "garbagegarbage");
      case META_NOT_JSON -> Files.writeString(meta, "{\"ulid\": \"" + VICTIM + "\", \"minTime\": ");
      case META_VERSION_2 -> {
        String json = Files.readString(meta);
        String v2 = json.replaceFirst("\n\t\"version\": 1,\n", "\n\t\"version\": 2,\n");
        assertFalse(v2.equals(json), json);
        Files.writeString(meta, v2);
      }
      case META_UNKNOWN_RESOLUTION -> {
        String json = Files.readString(meta);
        String odd = json.replaceFirst("\"resolution\": 0\\b", "\"resolution\": 12345");
        assertFalse(odd.equals(json), json);
        Files.writeString(meta, odd);
      }
      case META_RANGE_NARROWER_THAN_CHUNKS, META_RANGE_SWAPPED -> {
        // Prometheus's compactor keeps what lies inside the output's range and Thanos halts: either way meta.json
        // and the chunks disagree, and cutting samples off would lose them.
        BlockMeta m = BlockMeta.parse(meta.toString(), Files.readAllBytes(meta));
        long min = m.minTime;
        long max = m.maxTime;
        if (d == Damage.META_RANGE_SWAPPED) {
          m.minTime = max;
          m.maxTime = min;
        } else {
          m.maxTime = min + (max - min) / 2;
        }
        Files.write(meta, m.toJsonBytes());
      }
      case META_WITHOUT_EXTERNAL_LABELS -> {
        // A Prometheus block copied into the bucket as it is: Thanos merges its group, then refuses the upload.
        BlockMeta m = BlockMeta.parse(meta.toString(), Files.readAllBytes(meta));
        m.thanos.labels = new TreeMap<>();
        Files.write(meta, m.toJsonBytes());
      }
      default -> throw new IllegalArgumentException(d.toString());
    }
  }

  static void flip(Path f, long at) throws IOException {
    try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
      r.seek(at);
      int b = r.read();
      r.seek(at);
      r.write(b ^ 0x5A);
    }
  }

  static void truncate(Path f, long size) throws IOException {
    try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
      r.setLength(size);
    }
  }

  static Map<String, Long> listing(Path dir) throws IOException {
    return PromtoolBucket.listing(dir);
  }

  static Set<String> samples(Path bucketDir, Path work, Set<String> skip) throws IOException {
    return PromtoolBucket.samples(bucketDir, work, skip);
  }

  @ParameterizedTest
  @EnumSource(Damage.class)
  void badBlockIsSetAsideNamedAndNothingIsLost(Damage d, @TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    List<String> input = buildBucket(bucketDir, tmp.resolve("staging"));
    Set<String> cleanSamples = samples(bucketDir, tmp.resolve("before"), Set.of(VICTIM));
    Map<String, Long> victimObjects = new TreeMap<>();
    damage(bucketDir.resolve(VICTIM), d);
    Map<String, Long> before = listing(bucketDir);
    before.forEach((k, v) -> {
      if (k.startsWith(VICTIM + "/")) {
        victimObjects.put(k, v);
      }
    });

    String objstore = "type: FILESYSTEM\nconfig:\n  directory: " + bucketDir + "\n";
    // First with Thanos's default delete delay (48h): the run may only add objects (new blocks, markers).
    Result r = run("compact", "--objstore.config=" + objstore, "--data-dir", tmp.resolve("data").toString(),
        "--consistency-delay=0s", "--log.level=error");
    Map<String, Long> added = listing(bucketDir);
    for (Map.Entry<String, Long> e : before.entrySet()) {
      assertEquals(e.getValue(), added.get(e.getKey()), "object " + e.getKey() + " kept unchanged");
    }
    for (String k : added.keySet()) {
      String u = k.substring(0, k.indexOf('/'));
      assertTrue(before.containsKey(k) || !input.contains(u) || k.endsWith("-mark.json"),
          "only new blocks and markers were added: " + k);
    }

    // Exit code and one line naming the block and the file.
    assertEquals(1, r.code(), r.out() + r.err());
    List<String> named = r.err().lines()
        .filter(l -> l.startsWith("compact: ") && l.contains(VICTIM) && l.contains(d.file)).toList();
    assertFalse(named.isEmpty(), "a line names " + VICTIM + " and " + d.file + ":\n" + r.err());
    assertTrue(named.stream().noneMatch(l -> l.contains(tmp.resolve("data").toString())),
        "the file is named as the bucket's object, not as the local copy's path:\n" + named);

    assertNothingLost(bucketDir, d, input, before, victimObjects, cleanSamples, tmp.resolve("after1"));

    // A second run, with a zero delete delay, deletes the sources marked by the first and nothing else.
    Result again = run("compact", "--objstore.config=" + objstore, "--data-dir", tmp.resolve("data").toString(),
        "--consistency-delay=0s", "--delete-delay=0s", "--log.level=error");
    assertTrue(again.code() == 0 || !d.noCompact, "the marked block is not reported again:\n" + again.err());
    assertNothingLost(bucketDir, d, input, before, victimObjects, cleanSamples, tmp.resolve("after2"));
  }

  static void assertNothingLost(Path bucketDir, Damage d, List<String> input, Map<String, Long> before,
      Map<String, Long> victimObjects, Set<String> cleanSamples, Path work) throws IOException {
    // The damaged block is set aside, every one of its objects still there.
    Map<String, Long> after = listing(bucketDir);
    for (Map.Entry<String, Long> e : victimObjects.entrySet()) {
      assertEquals(e.getValue(), after.get(e.getKey()), "object " + e.getKey() + " of the bad block kept unchanged");
    }
    assertFalse(after.containsKey(VICTIM + "/deletion-mark.json"), "the bad block is not marked for deletion");
    for (String k : after.keySet()) {
      assertTrue(!k.endsWith("/no-compact-mark.json") || k.startsWith(VICTIM + "/"), "only the bad block is marked: " + k);
    }
    if (d.noCompact) {
      String mark = Files.readString(bucketDir.resolve(VICTIM + "/no-compact-mark.json"));
      assertTrue(mark.contains("\"reason\":\"" + d.reason + "\""), mark);
      assertTrue(mark.contains(d.file), "the mark's details name the file: " + mark);
    }

    // Every other group is compacted: cluster=y whole, cluster=x without the victim.
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = Duration.ZERO;
    o.deleteDelay = Duration.ZERO;
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      SyncResult s = new BlockSyncer(bucket, null, o).sync();
      Set<String> sourcesOfNew = new HashSet<>();
      int goodBlocks = 0;
      int badCompacted = 0;
      for (BlockMeta m : s.allMetas().values()) {
        if (input.contains(m.ulid)) {
          continue;
        }
        sourcesOfNew.addAll(m.compaction.sources);
        if (m.thanos.labels.get("cluster").equals("y")) {
          goodBlocks++;
        } else if (m.thanos.labels.get("cluster").equals("x")) {
          badCompacted++;
          assertFalse(m.compaction.sources.contains(VICTIM), "the bad block is no source of " + m.ulid);
        }
      }
      assertTrue(goodBlocks > 0, "group cluster=y was compacted");
      assertTrue(badCompacted > 0, "group cluster=x was compacted without the bad block");
      // Objects that vanished belong to input blocks whose data a new block holds.
      for (String k : before.keySet()) {
        if (!after.containsKey(k)) {
          String u = k.substring(0, k.indexOf('/'));
          assertTrue(sourcesOfNew.contains(u), "deleted " + k + " but no new block holds " + u);
        }
      }
    }

    // Every sample of the undamaged blocks is still in the visible blocks.
    Set<String> now = samples(bucketDir, work, Set.of(VICTIM));
    assertEquals(cleanSamples.size(), now.size());
    assertEquals(cleanSamples, now);
  }

  /** A raw block long enough to downsample (48 h) with a damaged chunk: marked no-downsample, nothing lost. */
  @org.junit.jupiter.api.Test
  void corruptBlockDueForDownsamplingIsMarkedNoDownsampleAndKept(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    long h = 3_600_000L;
    long now = NOW;
    List<BlockMeta> input = new io.tsdbcompactor.job.SampleBlocks(new io.tsdbcompactor.job.SampleBlocks.Spec(
        7, 48 * h, 300_000, 1, Map.of("cluster", "ds"), 0, 5)).write(bucketDir, now);
    assertTrue(input.size() >= 2, "two 48h blocks at least: " + input);
    String bad = input.get(0).ulid;
    Set<String> others = new HashSet<>();
    input.forEach(m -> others.add(m.ulid));
    others.remove(bad);
    Set<String> clean = samples(bucketDir, tmp.resolve("before"), Set.of(bad));
    flip(bucketDir.resolve(bad).resolve("chunks/000001"), Files.size(bucketDir.resolve(bad).resolve("chunks/000001")) / 2);
    Map<String, Long> before = listing(bucketDir);

    String objstore = "type: FILESYSTEM\nconfig:\n  directory: " + bucketDir + "\n";
    Result r = run("compact", "--objstore.config=" + objstore, "--data-dir", tmp.resolve("data").toString(),
        "--consistency-delay=0s", "--delete-delay=0s", "--log.level=error");
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().lines().anyMatch(l -> l.startsWith("compact: ") && l.contains("downsample block " + bad)
        && l.contains(bad + "/chunks/000001")), r.err());
    String mark = Files.readString(bucketDir.resolve(bad + "/no-downsample-mark.json"));
    assertTrue(mark.contains("\"reason\":\"corrupted-block\""), mark);

    Map<String, Long> after = listing(bucketDir);
    for (Map.Entry<String, Long> e : before.entrySet()) {
      assertEquals(e.getValue(), after.get(e.getKey()), "object " + e.getKey() + " kept unchanged");
    }
    for (String k : after.keySet()) {
      assertFalse(k.endsWith("/deletion-mark.json"), "nothing marked for deletion: " + k);
    }
    // The good blocks were downsampled; the raw samples are all still there.
    BlockSyncer.Options o = new BlockSyncer.Options();
    o.consistencyDelay = Duration.ZERO;
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      Set<String> downsampled = new HashSet<>();
      for (BlockMeta m : new BlockSyncer(bucket, null, o).sync().allMetas().values()) {
        if (m.resolution() == 300_000) {
          downsampled.addAll(m.compaction.sources);
        }
      }
      assertFalse(downsampled.contains(bad), "the bad block has no 5m block");
      assertTrue(downsampled.containsAll(others), "every good block was downsampled: " + downsampled);
    }
    assertEquals(clean, samples(bucketDir, tmp.resolve("after"), Set.of(bad)), "every raw sample kept");
  }

  /**
   * A compacted block that is damaged holds no safe copy of its sources. The sources are found unmarked beside it
   * (a run that crashed after the upload and before the marks); the block has lost a file, or an earlier run
   * marked it no-compact because it failed to read. Garbage collection must not take the sources for leftovers:
   * their samples stay visible in blocks other than the damaged one.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"chunk file missing", "marked corrupted"})
  void aDamagedCompactedBlockDoesNotStandInForItsSources(String damage, @TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    List<String> input = buildBucket(bucketDir, tmp.resolve("staging"));
    Set<String> inputSamples = samples(bucketDir, tmp.resolve("before"), Set.of());
    String objstore = "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: " + bucketDir + "\n";
    String dataDir = tmp.resolve("data").toString();
    // Thanos's default delete delay: the sources are marked for deletion, not deleted.
    Result first = run("compact", objstore, "--data-dir", dataDir, "--consistency-delay=0s", "--log.level=error");
    assertEquals(0, first.code(), first.out() + first.err());

    List<String> compacted = new java.util.ArrayList<>();
    try (var dirs = Files.list(bucketDir)) {
      dirs.map(d -> d.getFileName().toString()).filter(u -> !input.contains(u)).forEach(compacted::add);
    }
    assertFalse(compacted.isEmpty(), "the first run compacted");
    int unmarked = 0;
    for (String u : input) {
      unmarked += Files.deleteIfExists(bucketDir.resolve(u + "/deletion-mark.json")) ? 1 : 0;
    }
    assertTrue(unmarked > 0, "the first run had marked sources");
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      for (String u : compacted) {
        if (damage.equals("chunk file missing")) {
          bucket.delete(u + "/chunks/000001");
        } else {
          io.tsdbcompactor.sync.Markers.markNoCompact(bucket, u, io.tsdbcompactor.sync.Marker.REASON_CORRUPTED_BLOCK,
              "chunks/000001: checksum mismatch", CLOCK);
        }
      }
    }

    Result r = run("compact", objstore, "--data-dir", dataDir, "--consistency-delay=0s", "--log.level=error");
    if (damage.equals("chunk file missing")) {
      assertEquals(1, r.code(), r.out() + r.err());
      for (String u : compacted) {
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("compact: ") && l.contains(u)
            && l.contains("chunks/000001")), "a line names " + u + " and its missing file:\n" + r.err());
        assertTrue(Files.exists(bucketDir.resolve(u + "/no-compact-mark.json")), u + " is marked no-compact");
      }
    } else {
      assertEquals(0, r.code(), r.out() + r.err());
    }
    Set<String> lost = new java.util.TreeSet<>(inputSamples);
    lost.removeAll(samples(bucketDir, tmp.resolve("after"), Set.copyOf(compacted)));
    assertTrue(lost.isEmpty(), lost.size() + " samples only in the damaged blocks, e.g. "
        + lost.stream().limit(3).toList());
  }

  /**
   * An unreadable deletion-mark.json marks nothing, as in Thanos: the block is compacted like any other, and the
   * mark its compaction writes replaces the unreadable one, so the block does go after the delete delay.
   */
  @org.junit.jupiter.api.Test
  void anUnreadableDeletionMarkIsTakenForNoneAndReplaced(@TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    buildBucket(bucketDir, tmp.resolve("staging"));
    Set<String> inputSamples = samples(bucketDir, tmp.resolve("before"), Set.of());
    Files.writeString(bucketDir.resolve(VICTIM + "/deletion-mark.json"), "{garbage");

    Result r = run("compact", "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: " + bucketDir + "\n",
        "--data-dir", tmp.resolve("data").toString(), "--consistency-delay=0s", "--log.level=error");
    assertEquals(0, r.code(), r.out() + r.err());
    try (Bucket bucket = new FilesystemBucket(bucketDir)) {
      assertEquals("source of compacted block",
          io.tsdbcompactor.sync.Markers.readDeletionMark(bucket, VICTIM).orElseThrow().details());
      SyncResult s = PromtoolBucket.sync(bucket);
      assertTrue(s.allMetas().values().stream().anyMatch(m -> !m.ulid.equals(VICTIM)
          && m.compaction.sources.contains(VICTIM)), "a new block holds the block's data");
    }
    assertEquals(inputSamples, samples(bucketDir, tmp.resolve("after"), Set.of()));
  }

  /**
   * Thanos's downsampling keeps no sample before 1970 (nor stale markers): blocks holding nothing else have nothing
   * to downsample. Each is marked no-downsample once, naming why, nothing is uploaded for it (no partial block is
   * left), and the next run has nothing to redo.
   */
  @org.junit.jupiter.api.Test
  void aBlockWithNothingToDownsampleIsMarkedOnceAndLeavesNoPartialUpload(@TempDir Path tmp) throws Exception {
    Path om = tmp.resolve("pre1970.om");
    try (var w = Files.newBufferedWriter(om)) {
      w.write("# TYPE old gauge\n");
      for (long t = -10 * 86_400; t <= -86_400; t += 1_800) {
        w.write("old{s=\"x\"} 1 " + t + "\n");
      }
      w.write("# EOF\n");
    }
    Path bucketDir = tmp.resolve("bucket");
    io.tsdbcompactor.block.Promtool.run("tsdb", "create-blocks-from", "openmetrics", "-q", om.toString(),
        bucketDir.toString());
    try (var dirs = Files.list(bucketDir)) {
      for (Path d : dirs.toList()) {
        Path metaFile = d.resolve("meta.json");
        BlockMeta m = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
        m.thanos().labels = new TreeMap<>(Map.of("cluster", "old"));
        m.thanos().source = "sidecar";
        Files.write(metaFile, m.toJsonBytes());
      }
    }
    Set<String> input = samples(bucketDir, tmp.resolve("before"), Set.of());
    String objstore = "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: " + bucketDir + "\n";
    String dataDir = tmp.resolve("data").toString();

    Result r = run("compact", objstore, "--data-dir", dataDir, "--consistency-delay=0s", "--delete-delay=0s",
        "--log.level=error");
    assertEquals(1, r.code(), r.out() + r.err());
    List<String> marked = new java.util.ArrayList<>();
    try (var dirs = Files.list(bucketDir)) {
      for (Path d : dirs.toList()) {
        assertTrue(Files.exists(d.resolve("meta.json")), "no partial upload left: " + d);
        Path mark = d.resolve("no-downsample-mark.json");
        if (Files.exists(mark)) {
          assertTrue(Files.readString(mark).contains("\"reason\":\"nothing-to-downsample\""), Files.readString(mark));
          marked.add(d.getFileName().toString());
        }
      }
    }
    assertFalse(marked.isEmpty(), "the compacted blocks due for downsampling are marked");
    for (String u : marked) {
      assertTrue(r.err().lines().anyMatch(l -> l.startsWith("compact: ") && l.contains(u)
          && l.contains("no sample to downsample")), r.err());
    }
    Result again = run("compact", objstore, "--data-dir", dataDir, "--consistency-delay=0s", "--delete-delay=0s",
        "--log.level=error");
    assertEquals(0, again.code(), again.out() + again.err());
    assertEquals(input, samples(bucketDir, tmp.resolve("after"), Set.of()), "every raw sample kept");
  }

  /** The dry run names the blocks the run would set aside, changes nothing, and exits as the run would. */
  @ParameterizedTest
  @EnumSource(value = Damage.class, names = {"META_VERSION_2", "CHUNK_FILE_MISSING", "META_WITHOUT_EXTERNAL_LABELS"})
  void aDryRunNamesTheBlocksTheRunWouldSetAside(Damage d, @TempDir Path tmp) throws Exception {
    Path bucketDir = tmp.resolve("bucket");
    buildBucket(bucketDir, tmp.resolve("staging"));
    damage(bucketDir.resolve(VICTIM), d);
    Map<String, Long> before = listing(bucketDir);
    Result dry = run("compact", "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: " + bucketDir + "\n",
        "--data-dir", tmp.resolve("data").toString(), "--consistency-delay=0s", "--log.level=error", "--dry-run");
    assertEquals(1, dry.code(), dry.out() + dry.err());
    assertTrue(dry.err().lines().anyMatch(l -> l.startsWith("compact: ") && l.contains(VICTIM) && l.contains(d.file)),
        dry.err());
    assertEquals(before, listing(bucketDir), "a dry run changes nothing");
  }
}
