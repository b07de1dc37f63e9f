package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.sync.TestBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tools bucket ...} through {@link Main#run}, on a bucket the subclass provides. The commands run at a fixed
 * "now" ({@link #NOW}); the blocks are uploaded then, and ages are set relative to it.
 */
abstract class BucketToolsCommandTest {
  static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir
  Path tmp;
  String yaml;
  Bucket bucket;
  List<String> ulids;

  record Result(int exit, String out, String err) {}

  /** Objstore YAML of a fresh, empty bucket. */
  abstract String newBucketYaml() throws Exception;

  /** Makes an object look written {@code age} before {@link #NOW}, or returns false if the store cannot. */
  abstract boolean age(String key, Duration age) throws Exception;

  /** The bucket of {@link #yaml} as the test writes to it. */
  Bucket openBucket() throws Exception {
    return ObjstoreConfig.parse(yaml).open();
  }

  @BeforeEach
  void fill() throws Exception {
    yaml = newBucketYaml();
    bucket = openBucket();
    ulids = TestBlocks.basicUlids();
    BlockTransfer.Options uploadedNow = new BlockTransfer.Options();
    uploadedNow.clock = CLOCK;
    for (String u : ulids) {
      new BlockTransfer(bucket, uploadedNow).upload(TestBlocks.copyWithLabels(u, tmp.resolve("src"), Map.of("cluster", "eu1")));
    }
  }

  @AfterEach
  void close() throws Exception {
    bucket.close();
  }

  static Result run(String... args) {
    return CliRun.run(CLOCK, Result::new, args);
  }

  Result tool(String... args) {
    List<String> all = new ArrayList<>(List.of("tools", "bucket"));
    all.addAll(List.of(args));
    all.add("--objstore.config=" + yaml);
    return run(all.toArray(new String[0]));
  }

  @Test
  void lsFormats() throws Exception {
    Result r = tool("ls");
    assertEquals(0, r.exit(), r.err());
    assertEquals(String.join("\n", ulids) + "\n", r.out());
    Result wide = tool("ls", "-o", "wide");
    assertTrue(wide.out().startsWith(ulids.get(0) + " -- 2023-11-14T22:13:19Z - 2023-11-14T23:59:50Z Diff: 1h46m31s, "
        + "Compaction: 1, Downsample: 0, Source: sidecar\n"), wide.out());
    Result json = tool("ls", "-o", "json");
    assertEquals(0, json.exit());
    assertEquals(3, json.out().split("\n}\n").length);
    assertTrue(json.out().contains("\"upload_time\": \"20"), "uploaded meta with upload_time");
    Result table = tool("ls", "-o", "table");
    assertTrue(table.out().startsWith("ULID "), table.out());
    assertEquals(4, table.out().split("\n").length);
    assertEquals(2, tool("ls", "-o", "yaml").exit());
  }

  @Test
  void inspectShowsBlocksMarkersAndPartials() throws Exception {
    String partial = Ulid.generate(NOW.toEpochMilli(), new Random(3)).toString();
    bucket.upload(partial + "/chunks/000001", new byte[] {1, 2});
    assertEquals(0, tool("mark", "--id", ulids.get(1), "--marker", "no-compact-mark.json", "--details", "manual test").exit());
    Result r = tool("inspect");
    assertEquals(0, r.exit(), r.err());
    String[] lines = r.out().split("\n");
    assertTrue(lines[0].startsWith("ULID"), lines[0]);
    assertTrue(lines[0].contains("#SERIES") && lines[0].contains("MARKERS"));
    assertTrue(lines[1].startsWith(ulids.get(0)), r.out());
    assertTrue(lines[1].contains("| 70 ") && lines[1].contains("| 6,234 ") && lines[1].contains("| 82 "), lines[1]);
    assertTrue(lines[1].contains("cluster=eu1") && lines[1].contains("| sidecar"), lines[1]);
    assertTrue(lines[2].endsWith("| no-compact"), lines[2]);
    assertTrue(r.out().contains(partial + "  no meta.json"), r.out());
    assertEquals(1, tool("inspect", "-l", "cluster=\"eu2\"").out().split("\n\n")[0].split("\n").length);
    assertEquals(4, tool("inspect", "-l", "cluster=\"eu1\"", "--sort-by", "ULID").out().split("\n\n")[0].split("\n").length);
    assertTrue(tool("inspect", "-o", "csv").out().startsWith("ULID,FROM,UNTIL"));

    // Blocks the compactor sets aside are listed with why: the compactor's failure lines point here.
    String badVersion = Ulid.generate(NOW.toEpochMilli(), new Random(4)).toString();
    bucket.upload(badVersion + "/meta.json", ("{\"ulid\":\"" + badVersion + "\",\"version\":99}").getBytes());
    bucket.delete(ulids.get(2) + "/index");
    Result failed = tool("inspect");
    assertEquals(0, failed.exit(), failed.err());
    assertTrue(failed.out().contains(badVersion + "  " + badVersion + "/meta.json: unexpected meta file version 99"),
        failed.out());
    assertTrue(failed.out().contains(ulids.get(2) + "  index is missing"), failed.out());
  }

  @Test
  void lsAndInspectSelectByRelabelRulesAndTimeWithinTheTimeout() throws Exception {
    List<BlockMeta> metas = new ArrayList<>();
    for (String u : ulids) {
      metas.add(BlockMeta.parse(u, bucket.getBytes(u + "/meta.json")));
    }
    metas.sort(java.util.Comparator.comparingLong(m -> m.maxTime));
    String keepFirst = "- action: keep\n  source_labels: [__block_id]\n  regex: " + ulids.get(0) + "\n";
    assertEquals(ulids.get(0) + "\n", tool("ls", "--selector.relabel-config=" + keepFirst).out());
    Path rules = Files.writeString(tmp.resolve("relabel.yml"), "- action: drop\n  source_labels: [cluster]\n  regex: eu1\n");
    Result none = tool("ls", "--selector.relabel-config-file=" + rules);
    assertEquals(0, none.exit(), none.err());
    assertEquals("", none.out());
    // Thanos's time-partition filter: a block is listed iff it touches [min, max]
    String afterFirst = java.time.Instant.ofEpochMilli(metas.get(0).maxTime + 1).toString();
    List<String> later = metas.subList(1, metas.size()).stream().map(m -> m.ulid).sorted().toList();
    assertEquals(later, tool("ls", "--min-time=" + afterFirst).out().lines().toList());
    assertEquals(List.of(metas.get(0).ulid), tool("ls", "--max-time=" + java.time.Instant.ofEpochMilli(metas.get(0).maxTime - 1))
        .out().lines().toList());
    assertEquals(ulids, tool("ls", "--max-time=-1d").out().lines().toList(), "relative to the command's now");
    assertEquals("", tool("ls", "--min-time=-1d").out());
    Result inspect = tool("inspect", "--min-time=" + afterFirst, "--selector.relabel-config=" + keepFirst);
    assertEquals(0, inspect.exit(), inspect.err());
    assertEquals(1, inspect.out().split("\n\n")[0].split("\n").length, "the header only: " + inspect.out());

    Result template = tool("ls", "-o", "{{.ULID}} {{.Thanos.Labels.cluster}} {{.Compaction.Level}} {{.Thanos.Labels}} "
        + "{{.Stats.NumSamples}} {{.Thanos.Labels.nope}}");
    assertEquals(0, template.exit(), template.err());
    assertEquals(ulids.get(0) + " eu1 1 map[cluster:eu1] 6234 <no value>", template.out().lines().findFirst().orElseThrow());

    Result slow = tool("ls", "--timeout=0s");
    assertEquals(1, slow.exit());
    assertTrue(slow.err().contains("took longer than --timeout=0s"), slow.err());
    assertEquals(2, tool("ls", "-o", "{{range .}}x{{end}}").exit(), "templates beyond field paths are refused");
    assertEquals(2, tool("ls", "-o", "yaml").exit());
    Result badRules = tool("ls", "--selector.relabel-config=- action: labeldrop\n  regex: cluster\n");
    assertEquals(2, badRules.exit());
    assertTrue(badRules.err().contains("labeldrop is not supported"), "only keep, drop and hashmod select blocks: "
        + badRules.err());
    assertEquals(2, tool("inspect", "--selector.relabel-config=[not yaml").exit());
    assertEquals(2, tool("ls", "--min-time=yesterday").exit());
    assertEquals(2, tool("inspect", "--min-time=2030-01-01T00:00:00Z", "--max-time=2029-01-01T00:00:00Z").exit());
  }

  @Test
  void inspectHasThanosColumnsUntilDownAndCompactionFailed() throws Exception {
    Markers.markNoCompact(bucket, ulids.get(1), Marker.REASON_CORRUPTED_BLOCK, "chunk CRC", CLOCK);
    Markers.markNoCompact(bucket, ulids.get(2), Marker.REASON_MANUAL, "operator", CLOCK);
    Result r = tool("inspect", "-o", "tsv", "--sort-by", "ULID");
    assertEquals(0, r.exit(), r.err());
    List<String[]> rows = r.out().split("\n\n")[0].lines().map(l -> l.split("\t", -1)).toList();
    assertEquals(List.of("ULID", "FROM", "UNTIL", "RANGE", "UNTIL-DOWN", "#SERIES", "#SAMPLES", "#CHUNKS", "COMP-LEVEL",
        "COMP-FAILED", "LABELS", "RESOLUTION", "SOURCE", "MARKERS"), List.of(rows.get(0)));
    BlockMeta first = BlockMeta.parse("m", bucket.getBytes(ulids.get(0) + "/meta.json"));
    String[] row = rows.get(1);
    assertEquals(ulids.get(0), row[0]);
    assertEquals(java.time.Instant.ofEpochSecond(Math.floorDiv(first.minTime, 1000)).toString(), row[1]);
    assertEquals(io.tsdbcompactor.bucket.GoDuration.format(Duration.ofHours(40).minusMillis(first.maxTime - first.minTime)),
        row[4], "raw blocks are downsampled once their range reaches 40h");
    assertTrue(row[4].startsWith("38h"), row[4]);
    assertEquals("6,234", row[6]);
    assertEquals(List.of("false", "true", "false"), rows.subList(1, 4).stream().map(x -> x[9]).toList(),
        "a no-compact mark the compactor wrote on a failure counts, an operator's does not");
    assertEquals("0s", row[11]);
    List<String> bySamples = tool("inspect", "-o", "csv", "--sort-by", "#SAMPLES,ULID").out().split("\n\n")[0].lines()
        .skip(1).map(l -> l.substring(0, 26)).toList();
    List<String> expected = ulids.stream().sorted(java.util.Comparator.comparingLong((String u) -> {
      try {
        return BlockMeta.parse(u, bucket.getBytes(u + "/meta.json")).stats.numSamples;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).thenComparing(u -> u)).toList();
    assertEquals(expected, bySamples);
    assertEquals(0, tool("inspect", "--sort-by", "UNTIL-DOWN", "--sort-by", "COMP-FAILED").exit());
    assertEquals(2, tool("inspect", "--sort-by", "BOGUS").exit());
  }

  @Test
  void markWritesOnceAndRemoves() throws Exception {
    String id = ulids.get(0);
    Result r = tool("mark", "--id", id, "--marker", "deletion-mark.json", "--details", "operator said so");
    assertEquals(0, r.exit(), r.err());
    Marker.DeletionMark m = Markers.readDeletionMark(bucket, id).orElseThrow();
    assertEquals("operator said so", m.details());
    assertEquals(NOW.getEpochSecond(), m.deletionTime(), "marked at the command's now");
    Result again = tool("mark", "--id", id, "--marker", "deletion-mark.json", "--details", "other");
    assertEquals(0, again.exit());
    assertTrue(again.out().contains("already has"));
    assertEquals("operator said so", Markers.readDeletionMark(bucket, id).orElseThrow().details());
    assertEquals(0, tool("mark", "--id", id, "--marker", "no-downsample-mark.json").exit());
    assertEquals(Marker.REASON_MANUAL, Markers.readNoDownsampleMark(bucket, id).orElseThrow().reason());
    assertEquals(0, tool("mark", "--id", id, "--marker", "deletion-mark.json", "--remove").exit());
    assertFalse(Markers.exists(bucket, id, Marker.DELETION_MARK));
    String missing = Ulid.generate(1_700_000_000_000L, new Random(1)).toString();
    assertEquals(1, tool("mark", "--id", missing, "--marker", "deletion-mark.json").exit());
    assertFalse(bucket.exists(missing + "/deletion-mark.json"));
    assertEquals(2, tool("mark", "--id", id, "--marker", "bogus.json").exit());
    assertEquals(2, tool("mark", "--id", "nope", "--marker", "deletion-mark.json").exit());
  }

  @Test
  void verifyFindsMissingFilesWrongSizesAndOverlaps() throws Exception {
    Result ok = tool("verify");
    assertEquals(0, ok.exit(), ok.out() + ok.err());
    assertTrue(ok.out().contains("verified 3 blocks: no problems"), ok.out());
    assertTrue(ok.out().contains("issues checked: overlapped_blocks, duplicated_compaction, block_files, "
        + "unreadable_meta\n"), ok.out());
    Result withIndex = tool("verify", "--index");
    assertEquals(0, withIndex.exit(), withIndex.out() + withIndex.err());

    bucket.upload(ulids.get(0) + "/index", new byte[] {1, 2, 3});
    bucket.delete(ulids.get(1) + "/chunks/000001");
    Result bad = tool("verify");
    assertEquals(1, bad.exit());
    assertTrue(bad.out().contains("block " + ulids.get(0) + ": index has 3 bytes, meta.json thanos.files says"), bad.out());
    assertTrue(bad.out().contains("block " + ulids.get(1) + ": chunks/000001 is listed in meta.json thanos.files but missing"),
        bad.out());
    Result badIndex = tool("verify", "--index", "--id", ulids.get(0));
    assertEquals(1, badIndex.exit());
    assertTrue(badIndex.out().contains(ulids.get(0)), badIndex.out());
  }

  @Test
  void verifyListsOverlapsCompactMergesAsInformationAndHeldOnesAsProblems() throws Exception {
    Path overlap = Path.of("testdata/blocks/overlap");
    List<String> ids;
    try (var s = Files.list(overlap)) {
      ids = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    for (String id : ids) {
      Path src = overlap.resolve(id);
      Path dst = tmp.resolve("ov").resolve(id);
      copyTree(src, dst);
      BlockMeta meta = BlockMeta.parse("m", Files.readAllBytes(dst.resolve("meta.json")));
      meta.thanos().labels = new java.util.TreeMap<>(Map.of("cluster", "ov"));
      Files.write(dst.resolve("meta.json"), meta.toJsonBytes());
      BlockTransfer.upload(bucket, dst);
    }
    // compact merges overlaps (vertical compaction is always on): information, exit 0
    Result r = tool("verify");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("info: group 0@{cluster=\"ov\"}: blocks ")
        && l.endsWith("overlap; compact merges them (vertical compaction)")), r.out());
    assertFalse(r.out().contains("cluster=\"eu1\""), r.out());
    // a no-compact mark keeps compact from merging them: a problem, exit 1
    Markers.markNoCompact(bucket, ids.get(0), Marker.REASON_MANUAL, "held");
    Result held = tool("verify", "--issues=overlapped_blocks");
    assertEquals(1, held.exit(), held.out());
    assertTrue(held.out().lines().anyMatch(l -> l.startsWith("group 0@{cluster=\"ov\"}: blocks ")
        && l.endsWith("and block " + ids.get(0) + " is marked no-compact: compact will not merge them")), held.out());
    assertEquals(2, tool("verify", "--issues=no_such_issue").exit());
  }

  // ---------------------------------------------------------------------------------------------- verify --repair

  /** Replaces block {@code id} in the bucket with a copy whose index {@link BrokenBlocks#breakIndex} damaged. */
  BrokenBlocks.Damage uploadBroken(String id, long cutMillis) throws Exception {
    Path dir = TestBlocks.copyWithLabels(id, tmp.resolve("broken"), Map.of("cluster", "eu1"));
    BrokenBlocks.Damage damage = BrokenBlocks.breakIndex(dir, cutMillis);
    for (var e : bucket.list(id, true)) {
      bucket.delete(e.key());
    }
    BlockTransfer.Options o = new BlockTransfer.Options();
    o.clock = CLOCK;
    new BlockTransfer(bucket, o).upload(dir);
    return damage;
  }

  @Test
  void verifyRepairRewritesABlockWithIndexIssuesAndMarksItAfterTheUpload() throws Exception {
    String id = ulids.get(0);
    long cut = 30 * 60_000L;
    BrokenBlocks.Damage damage = uploadBroken(id, cut);
    assertTrue(damage.seriesReordered() > 0 && damage.seriesWithDuplicatedChunk() > 0
        && damage.seriesWithUnsortedLabels() > 0, damage.toString());
    String backupYaml = "type: FILESYSTEM\nconfig:\n  directory: " + Files.createDirectories(tmp.resolve("backup")) + "\n";

    List<String> before = keys();
    Result found = tool("verify", "--index", "--id", id);
    assertEquals(1, found.exit(), found.out());
    assertTrue(found.out().contains("label names of a series out of order"), found.out());
    assertEquals(before, keys(), "without --repair nothing is written");

    Result r = tool("verify", "--repair", "--id", id, "--objstore-backup.config=" + backupYaml);
    assertEquals(0, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("index_known_issues (with repair)"), "a repair checks the index by default: " + r.out());
    String line = r.out().lines().filter(l -> l.startsWith("repaired: block " + id)).findFirst().orElseThrow();
    assertTrue(line.contains(damage.seriesWithUnsortedLabels() + " series with label names out of order"), line);
    assertTrue(line.contains(" chunks out of order"), line);
    assertTrue(line.contains("duplicated chunks") && line.contains("chunks outside the block's time range"), line);
    assertTrue(line.contains("; found: ") && line.contains("label names of a series out of order"),
        "the line also says what the verification found: " + line);
    String newId = line.replaceAll(".* rewritten as (\\w+) .*", "$1");
    assertTrue(Ulid.isValid(newId), line);

    Marker.DeletionMark mark = Markers.readDeletionMark(bucket, id).orElseThrow();
    assertEquals("manual verify-repair", mark.details());
    try (Bucket backup = ObjstoreConfig.parse(backupYaml).open()) {
      assertSameObjects(bucket, backup, id);
    }
    BlockMeta broken = BlockMeta.parse(id, bucket.getBytes(id + "/meta.json"));
    Path after = tmp.resolve("after").resolve(newId);
    BlockMeta m = BlockTransfer.download(bucket, newId, after);
    assertEquals("bucket.repair", m.thanos.source);
    assertEquals(broken.minTime, m.minTime);
    assertEquals(damage.newMaxTime(), m.maxTime);
    assertEquals(broken.compaction.level, m.compaction.level);
    assertEquals(List.of(newId), m.compaction.sources);
    assertTrue(io.tsdbcompactor.job.DuplicateBlocks.find(List.of(broken, m), BucketVerifyCommand::groupKey).isEmpty(),
        "garbage collection running before the broken block is marked must not take the repaired one for a duplicate");
    assertEquals(broken.compaction.sources.get(0), m.thanos.rewrites.get(0).get("sources").get(0).asText());
    assertEquals(Map.of("cluster", "eu1"), m.thanos.labels);

    // the repaired block holds exactly the source's samples inside the block's range, as promtool reads them
    Path original = TestBlocks.copyWithLabels(id, tmp.resolve("original"), Map.of("cluster", "eu1"));
    String expected = io.tsdbcompactor.block.Promtool.dump(tmp, List.of(original), null, null).lines()
        .filter(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)) < damage.newMaxTime())
        .reduce("", (a, b) -> a + b + "\n");
    assertEquals(expected, io.tsdbcompactor.block.Promtool.dump(tmp, List.of(after), null, null));
    assertEquals(expected.lines().count(), m.stats.numSamples);
    var analyze = io.tsdbcompactor.block.Promtool.run("tsdb", "analyze", tmp.resolve("after").toString(), newId);
    assertEquals(0, analyze.exitCode(), analyze.stderr());

    Result again = tool("verify", "--index", "--repair");
    assertEquals(0, again.exit(), again.out());
    assertTrue(again.out().contains("0 repaired"), "the marked block is left alone, the repaired one is sound: " + again.out());
  }

  @Test
  void verifyRepairLeavesABlockItCannotRepairUnmarked() throws Exception {
    String id = ulids.get(1);
    byte[] chunks = bucket.getBytes(id + "/chunks/000001");
    chunks[chunks.length / 2] ^= 0x55; // a chunk's bytes no longer match its CRC: its samples are lost, not repairable
    bucket.upload(id + "/chunks/000001", chunks);
    List<String> before = keys();
    Result r = tool("verify", "--index", "--repair");
    assertEquals(1, r.exit(), r.out());
    assertTrue(r.out().contains("block " + id + ": not repaired, nothing written or marked: block " + id
        + ": cannot repair"), r.out());
    assertEquals(before, keys(), "no block written, nothing marked");
  }

  @Test
  void verifyRepairMarksDuplicatedCompactionsKeepingTheOldest() throws Exception {
    String id = ulids.get(2);
    Path copy = TestBlocks.copyWithLabels(id, tmp.resolve("dup"), Map.of("cluster", "eu1"));
    String twin = Ulid.generate(NOW.toEpochMilli(), new Random(11)).toString();
    Path twinDir = tmp.resolve("dup").resolve(twin);
    Files.move(copy, twinDir);
    BlockMeta meta = BlockMeta.parse("m", Files.readAllBytes(twinDir.resolve("meta.json")));
    meta.ulid = twin;
    meta.compaction.sources = List.of(id); // a second compaction of the same source, uploaded later
    Files.write(twinDir.resolve("meta.json"), meta.toJsonBytes());
    BlockTransfer.upload(bucket, twinDir);

    Result dry = tool("verify", "--issues=duplicated_compaction");
    assertEquals(0, dry.exit(), dry.out());
    assertTrue(dry.out().contains("info: group 0@{cluster=\"eu1\"}: block " + twin + " holds only data of block " + id),
        dry.out());
    assertFalse(Markers.exists(bucket, twin, Marker.DELETION_MARK));

    Result other = tool("verify", "--issues=duplicated_compaction", "--repair", "--id", ulids.get(0));
    assertEquals(0, other.exit(), other.out());
    assertFalse(Markers.exists(bucket, twin, Marker.DELETION_MARK), "--id restricts the repair to the blocks named");

    Result r = tool("verify", "--issues=duplicated_compaction", "--repair");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("repaired: group 0@{cluster=\"eu1\"}: block " + twin + " holds only data of block "
        + id + ": marked " + twin + " for deletion"), r.out());
    assertEquals("manual verify-repair", Markers.readDeletionMark(bucket, twin).orElseThrow().details());
    assertFalse(Markers.exists(bucket, id, Marker.DELETION_MARK), "the oldest of the two stays");
  }

  @Test
  void verifyRefusesUnknownBlocksAndBadFlagsWritingNothing() throws Exception {
    List<String> before = keys();
    Result unknown = tool("verify", "--index", "--repair", "--id", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    assertEquals(2, unknown.exit(), unknown.out());
    assertTrue(unknown.err().contains("block 01ARZ3NDEKTSV4RRFFQ69G5FAV not found"), unknown.err());
    Result invalid = tool("verify", "--repair", "--id", "not-a-ulid");
    assertEquals(2, invalid.exit());
    assertTrue(invalid.err().contains("invalid ULID 'not-a-ulid'"), invalid.err());
    assertEquals(2, tool("verify", "--repair", "--objstore-backup.config=type: NOPE\n").exit());
    assertEquals(before, keys());
  }

  @Test
  void cleanupDeletesOnlyWhatIsDue() throws Exception {
    String due = ulids.get(0);
    String notDue = ulids.get(1);
    Markers.markForDeletion(bucket, due, "old", Clock.offset(CLOCK, Duration.ofHours(-49)));
    Markers.markForDeletion(bucket, notDue, "new", Clock.offset(CLOCK, Duration.ofSeconds(-5)));
    String partial = Ulid.generate(1_600_000_000_000L, new Random(5)).toString(); // ULID from 2020
    bucket.upload(partial + "/index", new byte[] {1});

    // the blocks were uploaded just now: without this, the consistency delay hides them and their marks, as in Thanos
    Result dry = tool("cleanup", "--dry-run", "--consistency-delay=0s");
    assertEquals(0, dry.exit(), dry.err());
    assertTrue(dry.out().contains("would delete block " + due), dry.out());
    assertTrue(bucket.exists(due + "/meta.json"));

    Result fresh = tool("cleanup");
    assertTrue(fresh.out().contains("deleted 0 marked"), fresh.out());
    Result r = tool("cleanup", "--consistency-delay=0s");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("deleted block " + due), r.out());
    assertFalse(r.out().contains(notDue), r.out());
    assertEquals(List.of(), bucket.list(due, true));
    assertTrue(bucket.exists(notDue + "/meta.json"));
    // a partial upload is judged by its newest object, not by its old ULID: it stays
    assertTrue(bucket.exists(partial + "/index"), r.out());

    if (age(partial + "/index", Duration.ofHours(49))) {
      Result r2 = tool("cleanup", "--consistency-delay=0s");
      assertTrue(r2.out().contains("deleted partial block " + partial), r2.out());
      assertFalse(bucket.exists(partial + "/index"));
    }
    Result zero = tool("cleanup", "--delete-delay=0s", "--consistency-delay=0s");
    assertTrue(zero.out().contains("deleted block " + notDue), zero.out());
    assertEquals(List.of(ulids.get(2)), List.of(tool("ls").out().split("\n")));
  }

  @Test
  void secretsStayOutOfHelpAndErrors() {
    String secret = "Sup3r-S3cret-Value-XYZ";
    Result help = run("tools", "bucket", "ls", "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("--objstore.config-file"));
    Result bad = run("tools", "bucket", "ls", "--objstore.config=type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: a\n"
        + "  secret_key: " + secret + "\n  bogus_key: 1\n");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("bogus_key"), bad.err());
    assertFalse(bad.err().contains(secret) || bad.out().contains(secret));
    Result badYaml = run("tools", "bucket", "ls", "--objstore.config=type: S3\nconfig: {secret_key: \"" + secret + "\n");
    assertEquals(2, badYaml.exit());
    assertFalse(badYaml.err().contains(secret), badYaml.err());
    Result none = run("tools", "bucket", "ls");
    assertEquals(2, none.exit());
    assertTrue(none.err().contains("--objstore.config-file"), none.err());
  }

  static void copyTree(Path src, Path dst) throws Exception {
    try (var s = Files.walk(src)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = dst.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- replicate

  /** Objstore YAML of the bucket replicated to: a fresh FILESYSTEM bucket. */
  String newTargetYaml() throws Exception {
    return "type: FILESYSTEM\nconfig:\n  directory: " + Files.createDirectories(tmp.resolve("replica")) + "\n";
  }

  @Test
  void replicateCopiesCompleteUnmarkedBlocksByteForByteAndIdempotently() throws Exception {
    String target = newTargetYaml();
    String partial = Ulid.generate(NOW.toEpochMilli(), new Random(5)).toString();
    bucket.upload(partial + "/index", new byte[] {1, 2, 3});
    assertEquals(0, tool("mark", "--id", ulids.get(2), "--marker", "deletion-mark.json").exit());
    assertEquals(0, tool("mark", "--id", ulids.get(1), "--marker", "no-compact-mark.json").exit());

    Result first = tool("replicate", "--single-run", "--objstore-to.config=" + target);
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().contains("replicated 2 blocks; 0 already in"), first.out());
    try (Bucket to = ObjstoreConfig.parse(target).open()) {
      assertSameObjects(bucket, to, ulids.get(0));
      assertSameObjects(bucket, to, ulids.get(1));
      assertFalse(to.exists(ulids.get(1) + "/no-compact-mark.json"), "markers stay in the source");
      assertTrue(to.list(ulids.get(2), true).isEmpty(), "a block marked for deletion is not copied");
      assertTrue(to.list(partial, true).isEmpty(), "a partial block is not copied");

      Result again = tool("replicate", "--single-run", "--objstore-to.config=" + target);
      assertEquals(0, again.exit(), again.err());
      assertTrue(again.out().contains("replicated 0 blocks; 2 already in"), again.out());
      assertSameObjects(bucket, to, ulids.get(0));
    }
  }

  @Test
  void replicateSelectsByMatcherLevelResolutionTimeAndId() throws Exception {
    String target = newTargetYaml();
    assertTrue(tool("replicate", "--single-run", "--objstore-to.config=" + target, "--matcher", "{cluster=~\"us.*\"}")
        .out().contains("replicated 0 blocks"));
    assertTrue(tool("replicate", "--single-run", "--objstore-to.config=" + target, "--compaction", "2")
        .out().contains("replicated 0 blocks"));
    assertTrue(tool("replicate", "--single-run", "--objstore-to.config=" + target, "--resolution", "5m")
        .out().contains("replicated 0 blocks"));
    assertTrue(tool("replicate", "--single-run", "--objstore-to.config=" + target, "--max-time", "2000-01-01T00:00:00Z")
        .out().contains("replicated 0 blocks"));
    assertTrue(tool("replicate", "--single-run", "--objstore-to.config=" + target, "--min-time", "-1d")
        .out().contains("replicated 0 blocks"), "blocks of 2023 end before a day before NOW");
    Result one = tool("replicate", "--objstore-to.config=" + target, "--id", ulids.get(1));
    assertEquals(0, one.exit(), one.err());
    assertEquals("replicated block " + ulids.get(1), one.out().split("\n")[0]);
    Result rest = tool("replicate", "--single-run", "--objstore-to.config=" + target, "--matcher", "{cluster=\"eu1\"}");
    assertTrue(rest.out().contains("replicated 2 blocks; 1 already in"), rest.out());
  }

  @Test
  void replicateRefusesBadInputWritingNothing() throws Exception {
    String target = newTargetYaml();
    Result badMatcher = tool("replicate", "--single-run", "--objstore-to.config=" + target, "--matcher", "{cluster=~\"(\"}");
    assertEquals(2, badMatcher.exit());
    assertTrue(badMatcher.err().contains("invalid regex"), badMatcher.err());
    Result unknown = tool("replicate", "--objstore-to.config=" + target, "--id", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    assertTrue(unknown.exit() != 0);
    assertTrue(unknown.err().contains("01ARZ3NDEKTSV4RRFFQ69G5FAV not found"), unknown.err());
    assertEquals(2, tool("replicate", "--single-run").exit(), "no target bucket");
    assertEquals(2, tool("replicate", "--single-run", "--objstore-to.config=" + target, "--min-time", "yesterday").exit());
    try (Bucket to = ObjstoreConfig.parse(target).open()) {
      assertTrue(to.list("", true).isEmpty(), "nothing written");
    }
  }

  /** Every object of the block except markers is in {@code to} with the same bytes. */
  static void assertSameObjects(Bucket from, Bucket to, String ulid) throws Exception {
    List<String> keys = new ArrayList<>();
    for (var e : from.list(ulid, true)) {
      if (!Marker.isMarkerFile(e.key().substring(e.key().lastIndexOf('/') + 1))) {
        keys.add(e.key());
        assertTrue(java.util.Arrays.equals(from.getBytes(e.key()), to.getBytes(e.key())), e.key() + " differs");
      }
    }
    assertTrue(keys.contains(ulid + "/meta.json") && keys.contains(ulid + "/index"), keys.toString());
    assertEquals(keys, to.list(ulid, true).stream().map(e -> e.key()).toList());
  }

  // ---------------------------------------------------------------------------------------------- rewrite

  static final String DELETE_POD_UP = "- matchers: '{__name__=\"pod_up\"}'\n";

  List<String> keys() throws Exception {
    return bucket.list("", true).stream().map(e -> e.key()).toList();
  }

  @Test
  void rewriteDryRunPrintsWhatWouldGoAndWritesNothing() throws Exception {
    List<String> before = keys();
    Result r = tool("rewrite", "--id", ulids.get(0), "--rewrite.to-delete-config", DELETE_POD_UP,
        "--tmp.dir", tmp.resolve("work").toString());
    assertEquals(0, r.exit(), r.err());
    long lines = r.out().lines().filter(l -> l.startsWith("deleted series {__name__=\"pod_up\"")).count();
    assertTrue(lines > 0, r.out());
    assertTrue(r.out().contains("dry run: block " + ulids.get(0) + ": " + lines + " of 70 series deleted"), r.out());
    assertEquals(before, keys());
  }

  @Test
  void rewriteDeletesSeriesAndSamplesVerifiesUploadsAndMarksTheSource() throws Exception {
    String id = ulids.get(0);
    BlockMeta source = BlockTransfer.download(bucket, id, tmp.resolve("before").resolve(id));
    long cutFrom = source.minTime;
    long cutTo = source.minTime + 30 * 60_000L;
    String config = DELETE_POD_UP + "- matchers: '{__name__=~\"http_.*\"}'\n  intervals:\n  - mint: " + cutFrom
        + "\n    maxt: " + cutTo + "\n";
    Result r = tool("rewrite", "--id", id, "--no-dry-run", "--delete-blocks", "--rewrite.to-delete-config", config,
        "--tmp.dir", tmp.resolve("work").toString());
    assertEquals(0, r.exit(), r.err());
    String newId = r.out().lines().filter(l -> l.contains(" rewritten as ")).findFirst().orElseThrow()
        .replaceAll(".* rewritten as (\\w+):.*", "$1");
    assertTrue(Markers.exists(bucket, id, Marker.DELETION_MARK), "source marked after the upload");
    Path changeLog = tmp.resolve("work").resolve(newId).resolve("change.log");
    assertTrue(Files.readString(changeLog).contains("deleted series {__name__=\"pod_up\""));
    assertTrue(Files.readString(changeLog).contains("deleted samples [" + cutFrom + ", " + cutTo + "] of series {__name__=\"http_requests_total\""));

    Path after = tmp.resolve("after").resolve(newId);
    BlockMeta m = BlockTransfer.download(bucket, newId, after);
    assertEquals(source.minTime, m.minTime);
    assertEquals(source.maxTime, m.maxTime);
    assertEquals(source.compaction.level, m.compaction.level);
    assertEquals(List.of(newId), m.compaction.sources);
    assertEquals("bucket.rewrite", m.thanos.source);
    assertEquals(Map.of("cluster", "eu1"), m.thanos.labels);
    assertEquals(id, m.thanos.rewrites.get(0).get("sources").get(0).asText());

    String expected = io.tsdbcompactor.block.Promtool.dump(tmp, List.of(tmp.resolve("before").resolve(id)), null, null)
        .lines().filter(l -> !l.startsWith("{__name__=\"pod_up\""))
        .filter(l -> {
          long t = Long.parseLong(l.substring(l.lastIndexOf(' ') + 1));
          return !(l.startsWith("{__name__=\"http_") && t >= cutFrom && t <= cutTo);
        })
        .reduce("", (a, b) -> a + b + "\n");
    String actual = io.tsdbcompactor.block.Promtool.dump(tmp, List.of(after), null, null);
    assertEquals(expected, actual);
    assertTrue(actual.contains("http_requests_total"), "samples after the interval are kept");
    assertTrue(m.stats.numSamples == actual.lines().count(), "stats count the samples left");
    var analyze = io.tsdbcompactor.block.Promtool.run("tsdb", "analyze", tmp.resolve("after").toString(), newId);
    assertEquals(0, analyze.exitCode(), analyze.stderr());
  }

  @Test
  void rewriteRefusesBadInputWritingAndMarkingNothing() throws Exception {
    List<String> before = keys();
    String work = tmp.resolve("work").toString();
    Result badMatcher = tool("rewrite", "--id", ulids.get(0), "--no-dry-run", "--delete-blocks", "--tmp.dir", work,
        "--rewrite.to-delete-config", "- matchers: '{__name__=~\"(\"}'");
    assertEquals(2, badMatcher.exit());
    assertTrue(badMatcher.err().contains("invalid regex"), badMatcher.err());
    Result unknown = tool("rewrite", "--id", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--id", ulids.get(0), "--no-dry-run",
        "--delete-blocks", "--tmp.dir", work, "--rewrite.to-delete-config", DELETE_POD_UP);
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().contains("block 01ARZ3NDEKTSV4RRFFQ69G5FAV not found"), unknown.err());
    Result notYaml = tool("rewrite", "--id", ulids.get(0), "--no-dry-run", "--tmp.dir", work,
        "--rewrite.to-delete-config", "matchers: [");
    assertEquals(2, notYaml.exit());
    assertEquals(2, tool("rewrite", "--id", ulids.get(0), "--no-dry-run", "--tmp.dir", work,
        "--rewrite.to-relabel-config", "- action: explode").exit());
    assertEquals(2, tool("rewrite", "--id", "not-a-ulid", "--rewrite.to-delete-config", DELETE_POD_UP).exit());
    bucket.upload(ulids.get(1) + "/index", new byte[] {0, 1, 2, 3});
    List<String> withBrokenIndex = keys();
    Result unreadable = tool("rewrite", "--id", ulids.get(1), "--no-dry-run", "--delete-blocks", "--tmp.dir", work,
        "--rewrite.to-delete-config", DELETE_POD_UP);
    assertEquals(1, unreadable.exit());
    assertTrue(unreadable.err().contains(ulids.get(1)), unreadable.err());
    assertEquals(withBrokenIndex, keys(), "nothing written, nothing marked");
    assertEquals(before.size(), withBrokenIndex.size());
  }

  // ---------------------------------------------------------------------------------------------- retention

  @Test
  void retentionMarksExactlyTheExpiredBlocks() throws Exception {
    List<BlockMeta> metas = new ArrayList<>();
    for (String u : ulids) {
      metas.add(BlockMeta.parse(u, bucket.getBytes(u + "/meta.json")));
    }
    metas.sort(java.util.Comparator.comparingLong(m -> m.maxTime));
    // A raw retention ending between the first two blocks' ends: derived from the blocks and NOW, any day.
    long keepMillis = NOW.toEpochMilli() - (metas.get(0).maxTime + metas.get(1).maxTime) / 2;
    String keep = keepMillis + "ms";
    List<String> expired = metas.stream()
        .filter(m -> NOW.toEpochMilli() > Math.floorDiv(m.maxTime, 1000L) * 1000L + keepMillis).map(m -> m.ulid).toList();
    assertEquals(1, expired.size(), "the fixture: exactly the first block is past the retention");

    Result fresh = tool("retention", "--retention.resolution-raw=" + keep, "--downsampling.disable");
    assertEquals(0, fresh.exit(), fresh.err());
    assertTrue(fresh.out().contains("marked 0 blocks"), "blocks uploaded NOW are within the consistency delay: " + fresh.out());

    Result held = tool("retention", "--retention.resolution-raw=" + keep, "--consistency-delay=0s");
    assertEquals(0, held.exit(), held.err());
    assertTrue(held.out().contains("kept block " + expired.get(0)), "no downsampled copy: the last copy is kept: " + held.out());
    for (String u : ulids) {
      assertFalse(Markers.exists(bucket, u, Marker.DELETION_MARK));
    }

    Result r = tool("retention", "--retention.resolution-raw=" + keep, "--consistency-delay=0s", "--downsampling.disable");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("marked 1 blocks for deletion"), r.out());
    for (String u : ulids) {
      assertEquals(expired.contains(u), Markers.exists(bucket, u, Marker.DELETION_MARK), u);
    }
    assertEquals(2, tool("retention", "--retention.resolution-raw=soon").exit(), "a bad duration is a usage error");
  }
}
