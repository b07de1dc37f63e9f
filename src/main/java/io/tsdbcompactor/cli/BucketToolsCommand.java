package io.tsdbcompactor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tools bucket}: inspect and act on the blocks of a bucket. */
@Command(name = "bucket", mixinStandardHelpOptions = true, description = "Tools for buckets of blocks.")
public final class BucketToolsCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
