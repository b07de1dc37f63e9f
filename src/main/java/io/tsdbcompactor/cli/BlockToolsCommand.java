package io.tsdbcompactor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tools block}: dump, verify and copy local block directories. */
@Command(name = "block", mixinStandardHelpOptions = true, description = "Tools for local block directories.")
public final class BlockToolsCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
