package io.tsdbcompactor.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code compact}: one compaction run over a bucket (or repeated runs with --wait). */
@Command(name = "compact", mixinStandardHelpOptions = true, description = "Compacts, downsamples and applies retention to the blocks of a bucket.")
public final class CompactCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("compact: not implemented yet");
    return 2;
  }
}
