package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockCopier;
import io.tsdbcompactor.block.BlockDumper;
import io.tsdbcompactor.block.BlockVerifier;
import io.tsdbcompactor.store.FsDirectory;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tools block}: dump, verify and copy local block directories. Exit codes: 0 success, 1 bad data or
 * I/O failure (one line on stderr naming the block and file), 2 bad usage.
 */
@Command(name = "block", mixinStandardHelpOptions = true, description = "Tools for local block directories.",
    subcommands = {BlockToolsCommand.Dump.class, BlockToolsCommand.Verify.class, BlockToolsCommand.Copy.class})
public final class BlockToolsCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  static int fail(String command, Exception e) {
    String m = e.getMessage();
    if (e instanceof NoSuchFileException) {
      m = ((NoSuchFileException) e).getFile() + ": no such file or directory";
    }
    System.err.println("tools block " + command + ": " + (m == null ? e.toString() : m));
    return 1;
  }

  @Command(name = "dump", mixinStandardHelpOptions = true,
      description = "Prints every sample of a block, or of a directory of blocks (overlapping blocks merged), "
          + "exactly as promtool tsdb dump does: {labels} VALUE TIMESTAMP.")
  static final class Dump implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A block directory or a directory of blocks.")
    Path dir;

    @Option(names = "--min-time", paramLabel = "MS", description = "First timestamp to print (inclusive).")
    long minTime = Long.MIN_VALUE;

    @Option(names = "--max-time", paramLabel = "MS", description = "Last timestamp to print (inclusive).")
    long maxTime = Long.MAX_VALUE;

    @Override
    public Integer call() {
      PrintStream stdout = System.out;
      OutputStream out = new BufferedOutputStream(stdout, 1 << 16);
      try {
        new BlockDumper().dump(dir, minTime, maxTime, out);
        out.flush();
        return 0;
      } catch (IOException | RuntimeException e) {
        try {
          out.flush();
        } catch (IOException ignored) {
          // Reporting the first error matters more.
        }
        return fail("dump", e);
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
    @Parameters(index = "0", paramLabel = "SRC", description = "The block directory to copy.")
    Path src;

    @Parameters(index = "1", paramLabel = "DST", description = "Directory to create the new block in.")
    Path dst;

    @Option(names = "--recode", description = "Decode and re-encode XOR chunks instead of copying their bytes.")
    boolean recode;

    @Override
    public Integer call() {
      try {
        Path out = BlockCopier.copy(src, dst, recode);
        System.out.println(out);
        return 0;
      } catch (IOException | RuntimeException e) {
        return fail("copy", e);
      }
    }
  }
}
