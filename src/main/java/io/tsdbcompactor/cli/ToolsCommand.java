package io.tsdbcompactor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tools}: operator tools for single blocks and for buckets. */
@Command(
    name = "tools",
    mixinStandardHelpOptions = true,
    description = "Tools for blocks and buckets.",
    subcommands = {BlockToolsCommand.class, BucketToolsCommand.class})
public final class ToolsCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
