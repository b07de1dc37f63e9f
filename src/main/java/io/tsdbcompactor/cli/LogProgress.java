package io.tsdbcompactor.cli;

import io.tsdbcompactor.job.RunProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Progress in a pod: structured log lines (logfmt or json) instead of a redrawn terminal line. */
final class LogProgress implements RunProgress {
  private static final Logger LOG = LoggerFactory.getLogger("io.tsdbcompactor.progress");

  @Override
  public void step(String name) {
    LOG.atInfo().addKeyValue("step", name).log("step started");
  }

  @Override
  public void planned(int compactions, int inputBlocks, long inputBytes, int downsamplings, int deletions) {
    LOG.atInfo().addKeyValue("compactions", compactions).addKeyValue("blocks", inputBlocks)
        .addKeyValue("bytes", inputBytes).addKeyValue("downsamplings", downsamplings)
        .addKeyValue("retention_deletions", deletions).log("run planned");
  }

  @Override
  public void compacted(String groupKey, int compactions, int inputBlocks, long inputBytes) {
    if (compactions == 0) {
      return;
    }
    LOG.atInfo().addKeyValue("group", groupKey).addKeyValue("compactions", compactions)
        .addKeyValue("blocks", inputBlocks).addKeyValue("bytes", inputBytes).log("group compacted");
  }
}
