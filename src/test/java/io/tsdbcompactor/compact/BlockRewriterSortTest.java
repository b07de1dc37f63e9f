package io.tsdbcompactor.compact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.labels.LabelMatchers;
import io.tsdbcompactor.labels.Relabeler;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.TestBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rewrite's relabelling sorts the relabelled series and their symbols outside the heap ({@link RelabelledSeries}):
 * sorted in runs of a single series, a promtool-made block is rewritten to the same bytes, with the same counts, as
 * sorted on the heap in one piece, and no scratch file is left; the merger's own sort of a relabelled input (the
 * library's way) writes the same index and chunks.
 */
class BlockRewriterSortTest {
  /**
   * Renames every series of a namespace after it (so the new order is not the old), merges the pods of a namespace
   * (labeldrop), strips the instance's port, drops weird_labels.
   */
  static final String RELABEL = """
      - source_labels: [__name__]
        regex: weird_labels
        action: drop
      - source_labels: [namespace, __name__]
        regex: '(.+);(.*)'
        target_label: __name__
        replacement: 'a_${1}_${2}'
      - regex: pod
        action: labeldrop
      - source_labels: [instance]
        regex: '([^:]+):\\d+'
        target_label: instance
      """;

  @TempDir Path tmp;

  record Rewritten(BlockRewriter.Result result, Path dir) {}

  Rewritten rewrite(BlockRewriter rewriter, String ulid, String name, boolean dryRun) throws Exception {
    Path src = TestBlocks.BASIC.resolve(ulid);
    BlockMeta meta = BlockMeta.parse("meta.json", Files.readAllBytes(src.resolve("meta.json")));
    Path out = tmp.resolve(name);
    BlockRewriter.Result r = rewriter.rewrite(meta, new FsDirectory(src), new FsDirectory(out),
        "01M8ZZZZZZZZZZZZZZZZZZZZZZ", dryRun, line -> { });
    return new Rewritten(r, out);
  }

  @Test
  void relabelledSeriesSortedInRunsOfOneWriteTheSameBlockAsSortedOnTheHeap() throws Exception {
    Relabeler relabeler = Relabeler.parse(new ObjectMapper(new YAMLFactory()).readTree(RELABEL), "test");
    List<BlockRewriter.Deletion> deletions = List.of(
        new BlockRewriter.Deletion(LabelMatchers.parse("{__name__=\"pod_up\", namespace=\"ns-1\"}"), List.of()));
    BlockRewriter onHeap = new BlockRewriter(deletions, relabeler);
    BlockRewriter inRuns = onHeap.withSortHeapBytes(1);
    for (String ulid : TestBlocks.basicUlids()) {
      Rewritten a = rewrite(onHeap, ulid, ulid + "-heap", false);
      Rewritten b = rewrite(inRuns, ulid, ulid + "-runs", false);
      assertEquals(a.result().counts(), b.result().counts());
      assertTrue(a.result().seriesMerged() > 0, "pods merged: " + a.result().counts());
      assertTrue(a.result().seriesRelabelled() > 0, a.result().counts());
      assertEquals(files(a.dir()), files(b.dir()));
      for (String f : files(a.dir())) {
        assertArrayEquals(Files.readAllBytes(a.dir().resolve(f)), Files.readAllBytes(b.dir().resolve(f)), f);
      }

      // The library's way to relabel an input (BlockMerger.Input's relabel function, sorted by the merger itself,
      // here in runs of one series) writes the same index and chunks as the rewrite's single sort.
      Path src = TestBlocks.BASIC.resolve(ulid);
      BlockMeta meta = BlockMeta.parse("meta.json", Files.readAllBytes(src.resolve("meta.json")));
      LabelMatchers deleted = deletions.get(0).matchers();
      Path direct = tmp.resolve(ulid + "-merger");
      new BlockMerger(CompactorOptions.DedupFunc.NONE).withAggregateMerging().withRelabelSortHeapBytes(1).merge(
          List.of(new BlockMerger.Input(meta, new FsDirectory(src), l -> deleted.matches(l) ? null : relabeler.apply(l))),
          new FsDirectory(direct), new BlockMerger.Output("01M8ZZZZZZZZZZZZZZZZZZZZZZ", java.util.Map.of(),
              meta.thanos().resolution, meta.thanos().extensions));
      for (String f : List.of("index", "chunks/000001")) {
        assertArrayEquals(Files.readAllBytes(a.dir().resolve(f)), Files.readAllBytes(direct.resolve(f)),
            "merger's own sort: " + f);
      }

      Rewritten dry = rewrite(inRuns, ulid, ulid + "-dry", true);
      assertEquals(a.result().counts(), dry.result().counts(), "a dry run counts the same");
      assertFalse(Files.exists(dry.dir()) && files(dry.dir()).size() > 0, "a dry run leaves no file");
    }
  }

  /** The files under {@code dir}, relative, sorted; scratch files would show here as {@code .tmp-...}. */
  static List<String> files(Path dir) throws Exception {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }
}
