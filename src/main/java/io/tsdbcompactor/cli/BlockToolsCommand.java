package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockCopier;
import io.tsdbcompactor.block.BlockReader;
import io.tsdbcompactor.block.ChunkSampleDecoder;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.downsample.AggrChunkDump;
import io.tsdbcompactor.downsample.AggrType;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.store.FsDirectory;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tools block}: dump, verify and copy local block directories. Exit codes: 0 success, 1 bad data or
 * I/O failure (one line on stderr naming the block and file), 2 bad usage.
 */
@Command(name = "block", mixinStandardHelpOptions = true, description = "Tools for local block directories.",
    subcommands = {BlockToolsCommand.Dump.class, BlockToolsCommand.Verify.class, BlockToolsCommand.Copy.class,
        BlockRewriteCommand.class})
public final class BlockToolsCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  static int fail(String command, Exception e) {
    System.err.println("tools block " + command + ": " + ErrorText.of(e));
    return 1;
  }

  @Command(name = "dump", mixinStandardHelpOptions = true,
      description = "Prints every sample of a block, or of a directory of blocks (overlapping blocks merged), "
          + "exactly as promtool tsdb dump does: {labels} VALUE TIMESTAMP. Downsampled blocks (resolution > 0) "
          + "are printed one window per line with all their aggregates, after the raw blocks, unless "
          + "--aggregate picks one aggregate to print in promtool's format.")
  static final class Dump implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A block directory or a directory of blocks.")
    Path dir;

    @Option(names = "--min-time", paramLabel = "MS", description = "First timestamp to print (inclusive).")
    long minTime = Long.MIN_VALUE;

    @Option(names = "--max-time", paramLabel = "MS", description = "Last timestamp to print (inclusive).")
    long maxTime = Long.MAX_VALUE;

    @Option(names = "--aggregate", paramLabel = "AGGR",
        description = "For downsampled blocks: print this aggregate as plain samples "
            + "(count, sum, min, max, counter, avg).")
    String aggregate;

    @Override
    public Integer call() {
      OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
      List<BlockReader> raw = new ArrayList<>();
      List<BlockReader> downsampled = new ArrayList<>();
      try {
        ChunkSampleDecoder decoder = aggregate == null ? null : decoder(aggregate);
        for (Path p : BlockDumper.blockDirs(dir)) {
          BlockReader r = BlockReader.open(new FsDirectory(p));
          (r.meta().resolution() > 0 && decoder == null ? downsampled : raw).add(r);
        }
        BlockDumper dumper = new BlockDumper();
        if (decoder != null) {
          dumper.withDecoder(ChunkEncoding.AGGR, decoder);
        }
        dumper.dump(raw, minTime, maxTime, out);
        if (!downsampled.isEmpty()) {
          downsampled.sort((a, b) -> Long.compare(a.meta().minTime, b.meta().minTime));
          Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
          for (BlockReader r : downsampled) {
            AggrChunkDump.dump(r, minTime, maxTime, w);
          }
          w.flush();
        }
        out.flush();
        return 0;
      } catch (CommandLine.ParameterException e) {
        System.err.println("tools block dump: " + ErrorText.of(e));
        return 2;
      } catch (IOException | RuntimeException e) {
        try {
          out.flush();
        } catch (IOException ignored) {
          // Reporting the first error matters more.
        }
        return fail("dump", e);
      } finally {
        closeAll(raw);
        closeAll(downsampled);
      }
    }

    private static ChunkSampleDecoder decoder(String name) {
      if (name.equals("avg")) {
        return AggrChunkDump.averageDecoder();
      }
      for (AggrType t : AggrType.values()) {
        if (t.name().equalsIgnoreCase(name)) {
          return AggrChunkDump.decoder(t);
        }
      }
      throw new CommandLine.ParameterException(new CommandLine(new Dump()),
          "--aggregate must be one of count, sum, min, max, counter, avg; got " + name);
    }
  }

  private static void closeAll(List<BlockReader> readers) {
    for (BlockReader r : readers) {
      try {
        r.close();
      } catch (IOException ignored) {
        // Read-only.
      }
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Checks a block (or every block of a directory): checksums, index order, chunk ranges, "
          + "meta.json stats. Lists every problem; exit code 1 if there is any.")
  static final class Verify implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A block directory or a directory of blocks.")
    Path dir;

    @Override
    public Integer call() {
      List<Path> blocks;
      try {
        blocks = BlockDumper.blockDirs(dir);
      } catch (IOException | RuntimeException e) {
        return fail("verify", e);
      }
      if (blocks.isEmpty()) {
        System.err.println("tools block verify: no blocks in " + dir);
        return 1;
      }
      int bad = 0;
      for (Path b : blocks) {
        List<String> problems = BlockVerifier.verify(new FsDirectory(b));
        if (problems.isEmpty()) {
          System.out.println("OK " + b);
        } else {
          bad++;
          for (String p : problems) {
            System.err.println(p);
          }
        }
      }
      System.out.flush();
      return bad == 0 ? 0 : 1;
    }
  }

  @Command(name = "copy", mixinStandardHelpOptions = true,
      description = "Writes a copy of block SRC with a new ULID into directory DST (tombstones applied, stats "
          + "recomputed). Chunks are copied byte for byte unless --recode is given.")
  static final class Copy implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SRC", description = "The block directory to copy.")
    Path src;

    @Parameters(index = "1", paramLabel = "DST", description = "Directory to create the new block in.")
    Path dst;

    @Option(names = "--recode", description = "Decode and re-encode XOR chunks instead of copying their bytes.")
    boolean recode;

    @Override
    public Integer call() {
      try {
        Path out = BlockCopier.copy(src, dst, recode, CliEnvironment.of(spec).clock());
        System.out.println(out);
        return 0;
      } catch (IOException | RuntimeException e) {
        return fail("copy", e);
      }
    }
  }
}
