package io.tsdbcompactor.examples;

import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.SeriesSampleIterator;
import io.tsdbcompactor.compact.BlockMerger;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.Grouper;
import io.tsdbcompactor.compact.Planner;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The examples of {@code docs/library.md}, compiled and run by {@code LibraryExamplesTest}. Each region between
 * a {@code tag::} and an {@code end::} comment appears verbatim in the document ({@code LibraryDocTest} checks
 * it). They use the published API only.
 */
final class LibraryExamples {
  private LibraryExamples() {}

  // tag::dump[]
  /** Prints a block's meta.json summary, each series with its sample count, then promtool's dump. */
  static void printBlock(Path blockDir, PrintStream out) throws IOException {
    try (BlockReader block = BlockReader.open(new FsDirectory(blockDir))) {
      BlockMeta meta = block.meta();
      out.printf("block %s [%d, %d): %d series, %d samples%n",
          meta.ulid, meta.minTime, meta.maxTime, meta.stats.numSeries, meta.stats.numSamples);
      BlockReader.Series series = block.series();
      SeriesSampleIterator samples = new SeriesSampleIterator();
      while (series.next()) {
        samples.reset(series.labels().toString(), series.chunksWithoutDeleted(), null);
        long count = 0;
        double last = Double.NaN;
        while (samples.next()) {
          count++;
          last = samples.value();
        }
        out.println(series.labels() + " " + count + " samples, last value " + last);
      }
      // Every sample, exactly as `promtool tsdb dump` prints it:
      new BlockDumper().dump(List.of(block), Long.MIN_VALUE, Long.MAX_VALUE, out);
    }
  }
  // end::dump[]

  // tag::merge[]
  /**
   * Merges blocks (overlapping or not) into one new block under {@code parentDir}: samples of a series
   * from all inputs, duplicates kept once, chunks that overlap nothing copied byte for byte.
   */
  static BlockMeta mergeBlocks(List<Path> blockDirs, Path parentDir, Clock clock) throws IOException {
    List<BlockMerger.Input> inputs = new ArrayList<>();
    for (Path dir : blockDirs) {
      FsDirectory d = new FsDirectory(dir);
      inputs.add(new BlockMerger.Input(BlockReader.readMeta(d), d));
    }
    inputs.sort(Comparator.comparingLong(in -> in.meta().minTime));
    String ulid = Ulid.generate(clock.millis()).toString();
    Path out = Files.createDirectories(parentDir.resolve(ulid));
    BlockMerger merger = new BlockMerger(CompactorOptions.DedupFunc.NONE); // or PENALTY for HA replicas
    // The thanos section of the new meta.json: no external labels, raw resolution, no extensions.
    return merger.merge(inputs, new FsDirectory(out), new BlockMerger.Output(ulid, Map.of(), Resolution.RAW, null));
  }
  // end::merge[]

  // tag::downsample[]
  /** Writes the 5m downsampled copy of a raw block (Thanos's AggrChunks) into a new block under parentDir. */
  static BlockMeta downsampleTo5m(Path rawBlockDir, Path parentDir, Clock clock) throws IOException {
    Ulid ulid = Ulid.generate(clock.millis());
    Path out = Files.createDirectories(parentDir.resolve(ulid.toString()));
    BlockDownsampler.Result result =
        BlockDownsampler.downsample(new FsDirectory(rawBlockDir), new FsDirectory(out), Resolution.FIVE_MINUTES, ulid);
    return result.meta(); // the same again with Resolution.ONE_HOUR on the 5m block gives the 1h one
  }
  // end::downsample[]

  // tag::plan[]
  /**
   * The compactions Thanos's planner would run, one group after the other, for the blocks under
   * {@code bucketDir} (one directory per block): each step lists the ULIDs merged into one block.
   */
  static List<List<String>> planCompactions(Path bucketDir, List<String> replicaLabels, Clock clock)
      throws IOException {
    List<BlockMeta> metas = new ArrayList<>();
    try (var dirs = Files.list(bucketDir)) {
      for (Path dir : dirs.filter(d -> Files.exists(d.resolve(BlockMeta.FILE_NAME))).toList()) {
        metas.add(BlockReader.readMeta(new FsDirectory(dir)));
      }
    }
    Planner planner = new Planner(CompactorOptions.COMPACTION_SET); // 1h, 2h, 8h, 2d, 14d
    List<List<String>> steps = new ArrayList<>();
    for (Group group : new Grouper(replicaLabels).group(metas)) {
      List<BlockMeta> blocks = new ArrayList<>(group.metas()); // sorted by minTime
      for (List<BlockMeta> plan = planner.plan(blocks, Set.of()); !plan.isEmpty();
          plan = planner.plan(blocks, Set.of())) {
        steps.add(plan.stream().map(m -> m.ulid).toList());
        // Without running it, stand for the compaction's output: one block spanning its inputs.
        BlockMeta merged = new BlockMeta();
        merged.ulid = Ulid.generate(clock.millis()).toString();
        merged.minTime = plan.stream().mapToLong(m -> m.minTime).min().orElseThrow();
        merged.maxTime = plan.stream().mapToLong(m -> m.maxTime).max().orElseThrow();
        merged.compaction.level = 1 + plan.stream().mapToInt(m -> m.compaction.level).max().orElseThrow();
        blocks.removeAll(plan);
        blocks.add(merged);
        blocks.sort(Group.BY_MIN_TIME);
      }
    }
    return steps;
  }
  // end::plan[]
}
