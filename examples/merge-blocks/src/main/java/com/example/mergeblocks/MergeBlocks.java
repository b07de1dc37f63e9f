package com.example.mergeblocks;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.compact.BlockMerger;
import io.tsdbcompactor.compact.CompactorOptions;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Merges Prometheus TSDB blocks (overlapping or not) into one new block and prints what it wrote.
 *
 * <p>Usage: {@code MergeBlocks BLOCK_DIR BLOCK_DIR... OUTPUT_PARENT_DIR}; the new block is written to
 * {@code OUTPUT_PARENT_DIR/<new ULID>}.
 */
public final class MergeBlocks {
  private MergeBlocks() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: MergeBlocks BLOCK_DIR BLOCK_DIR... OUTPUT_PARENT_DIR");
      System.exit(2);
    }
    List<BlockMerger.Input> inputs = new ArrayList<>();
    for (int i = 0; i < args.length - 1; i++) {
      FsDirectory dir = new FsDirectory(Path.of(args[i]));
      BlockMeta meta = BlockReader.readMeta(dir);
      System.out.printf("input  %s [%d, %d) %d series, %d samples%n",
          meta.ulid, meta.minTime, meta.maxTime, meta.stats.numSeries, meta.stats.numSamples);
      inputs.add(new BlockMerger.Input(meta, dir));
    }
    inputs.sort(Comparator.comparingLong(in -> in.meta().minTime));

    String ulid = Ulid.generate(Clock.systemUTC().millis()).toString();
    Path out = Files.createDirectories(Path.of(args[args.length - 1]).resolve(ulid));
    BlockMeta merged = new BlockMerger(CompactorOptions.DedupFunc.NONE)
        .merge(inputs, new FsDirectory(out), new BlockMerger.Output(ulid, Map.of(), Resolution.RAW, null));
    if (merged == null) {
      System.out.println("nothing to write: no series left");
      return;
    }
    System.out.printf("output %s [%d, %d) %d series, %d samples, %d chunks, level %d, in %s%n",
        merged.ulid, merged.minTime, merged.maxTime, merged.stats.numSeries, merged.stats.numSamples,
        merged.stats.numChunks, merged.compaction.level, out);

    List<String> problems = BlockVerifier.verify(new FsDirectory(out));
    if (!problems.isEmpty()) {
      problems.forEach(System.err::println);
      System.exit(1);
    }
    System.out.println("verified: index, chunks and meta.json are consistent");
  }
}
