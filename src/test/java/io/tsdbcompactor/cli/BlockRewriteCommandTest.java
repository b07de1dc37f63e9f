package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.Promtool;
import io.tsdbcompactor.sync.TestBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tools block rewrite} on promtool-made block directories, checked by promtool. */
class BlockRewriteCommandTest {
  @TempDir
  Path tmp;

  private List<Path> children(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void writesTheBlockWithoutTheSelectedSeriesAndLeavesTheSourceAlone() throws Exception {
    String ulid = TestBlocks.basicUlids().get(1);
    Path src = tmp.resolve("src").resolve(ulid); // promtool reads only ULID-named block directories
    BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(ulid), src);
    byte[] index = Files.readAllBytes(src.resolve("index"));
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    String config = "- matchers: 'weird_labels'\n- matchers: '{__name__=\"node_temperature_celsius\", instance!=\"\"}'\n";

    var dry = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(),
        "--rewrite.to-delete-config", config);
    assertEquals(0, dry.exit(), dry.err());
    assertTrue(dry.out().contains("deleted series {__name__=\"weird_labels\""), dry.out());
    assertEquals(List.of(), children(dst), "a dry run writes nothing");

    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(),
        "--rewrite.to-delete-config", config, "--no-dry-run");
    assertEquals(0, r.exit(), r.err());
    List<Path> made = children(dst);
    assertEquals(2, made.size(), made.toString()); // the block and its change log
    Path block = made.stream().filter(Files::isDirectory).findFirst().orElseThrow();
    String expected = Promtool.dump(tmp, List.of(src), null, null).lines()
        .filter(l -> !l.startsWith("{__name__=\"weird_labels\"") && !l.startsWith("{__name__=\"node_temperature_celsius\""))
        .reduce("", (a, b) -> a + b + "\n");
    assertEquals(expected, Promtool.dump(tmp, List.of(block), null, null));
    assertEquals(0, Promtool.run("tsdb", "analyze", dst.toString(), block.getFileName().toString()).exitCode());
    assertTrue(java.util.Arrays.equals(index, Files.readAllBytes(src.resolve("index"))), "source unchanged");
    assertTrue(Files.readString(dst.resolve(block.getFileName() + ".change.log")).contains("deleted series"));
  }

  @Test
  void relabelsALocalBlock() throws Exception {
    String ulid = TestBlocks.basicUlids().get(2);
    Path src = tmp.resolve("src").resolve(ulid);
    BucketToolsCommandTest.copyTree(TestBlocks.BASIC.resolve(ulid), src);
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.to-relabel-config", BucketRewriteRelabelTest.RELABEL);
    assertEquals(0, r.exit(), r.err());
    Path block = children(dst).stream().filter(Files::isDirectory).findFirst().orElseThrow();
    BucketRewriteRelabelTest.assertDumpIsRelabelled(Promtool.dump(tmp, List.of(src), null, null),
        Promtool.dump(tmp, List.of(block), null, null), BucketRewriteRelabelTest::expectedRelabel);
    assertEquals(0, Promtool.run("tsdb", "analyze", dst.toString(), block.getFileName().toString()).exitCode());
    assertTrue(Files.readString(dst.resolve(block.getFileName() + ".change.log")).contains("relabelled series "));
    var bad = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.to-relabel-config", "- source_labels: [a]\n  regex: '[z-a]'\n  action: drop\n");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("invalid regex \"[z-a]\""), bad.err());
    assertEquals(2, children(dst).size(), "the bad config wrote nothing");
  }

  @Test
  void rewritesHistogramBlocks() throws Exception {
    Path histograms = Path.of("testdata/blocks/histogram");
    Path src;
    try (Stream<Path> s = Files.list(histograms)) {
      src = s.filter(p -> Files.exists(p.resolve("meta.json"))).sorted().findFirst().orElseThrow();
    }
    String first = Promtool.dump(tmp, List.of(src), null, null).lines().findFirst().orElseThrow();
    String name = first.substring("{__name__=\"".length(), first.indexOf('"', "{__name__=\"".length()));
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var r = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(), "--no-dry-run",
        "--rewrite.add-change-log=false", "--rewrite.to-delete-config", "- matchers: '{__name__=\"" + name + "\"}'");
    assertEquals(0, r.exit(), r.err());
    List<Path> made = children(dst);
    String expected = Promtool.dump(tmp, List.of(src), null, null).lines()
        .filter(l -> !l.startsWith("{__name__=\"" + name + "\""))
        .reduce("", (a, b) -> a + b + "\n");
    if (made.isEmpty()) {
      assertEquals("", expected, "no block only when every series went");
    } else {
      assertEquals(expected, Promtool.dump(tmp, made, null, null));
    }
  }

  @Test
  void badInputIsAUsageErrorAndWritesNothing() throws Exception {
    Path src = TestBlocks.BASIC.resolve(TestBlocks.basicUlids().get(0));
    Path dst = Files.createDirectories(tmp.resolve("dst"));
    var badMatcher = BucketToolsCommandTest.run("tools", "block", "rewrite", src.toString(), dst.toString(),
        "--no-dry-run", "--rewrite.to-delete-config", "- matchers: '{job=\"a\"'");
    assertEquals(2, badMatcher.exit());
    assertTrue(badMatcher.err().contains("bad selector"), badMatcher.err());
    assertEquals(2, BucketToolsCommandTest.run("tools", "block", "rewrite", tmp.toString(), dst.toString(),
        "--no-dry-run", "--rewrite.to-delete-config", "- matchers: '{job=\"a\"}'").exit(), "not a block");
    assertEquals(List.of(), children(dst));
  }
}
