package io.tsdbcompactor.cli;

import io.tsdbcompactor.job.RunProgress;
import java.io.PrintStream;
import java.time.Duration;

/**
 * Progress of a one-off run on a terminal: one line, redrawn in place, with the step, groups done, blocks merged
 * (and their bytes) and an ETA from the planned counts (the plan of the whole run is known at its start). Planned
 * bytes are only printed once, in the plan line: they are an upper bound, merged blocks come out smaller.
 */
final class TerminalProgress implements RunProgress {
  private final PrintStream out;
  private final long start = System.nanoTime();
  private volatile String step = "sync";
  private int plannedBlocks;
  private int plannedDownsamplings;
  private int groups;
  private int blocks;
  private long bytes;
  private int downsamplings;

  TerminalProgress(PrintStream out) {
    this.out = out;
  }

  @Override
  public synchronized void step(String name) {
    step = name;
    draw();
  }

  @Override
  public synchronized void planned(int compactions, int inputBlocks, long inputBytes, int downsamplings, int deletions) {
    plannedBlocks = inputBlocks;
    plannedDownsamplings = downsamplings;
    out.printf("plan: %d compactions of %d blocks (%s), %d downsamplings, %d retention deletions%n",
        compactions, inputBlocks, Summary.bytes(inputBytes), downsamplings, deletions);
  }

  @Override
  public synchronized void compacted(String groupKey, int compactions, int inputBlocks, long inputBytes) {
    groups++;
    draw();
  }

  @Override
  public synchronized void blockMerged(long size) {
    blocks++;
    bytes += size;
    draw();
  }

  @Override
  public synchronized void downsampled(String ulid, long targetResolution, long inputBytes) {
    downsamplings++;
    draw();
  }

  @Override
  public synchronized void done() {
    out.print("\r\033[K");
    out.flush();
  }

  private void draw() {
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    // Work units: merged blocks plus downsampled blocks, each counted once.
    long doneUnits = blocks + downsamplings;
    long totalUnits = Math.max(doneUnits, plannedBlocks + plannedDownsamplings);
    String eta = "--";
    if (doneUnits > 0 && totalUnits > doneUnits) {
      eta = Summary.duration(Duration.ofMillis(elapsedMs * (totalUnits - doneUnits) / doneUnits));
    } else if (doneUnits > 0) {
      eta = "0s";
    }
    out.printf("\r\033[K[%s] groups done %d · blocks merged %d/%d (%s) · downsampled %d/%d · ETA %s",
        step, groups, blocks, plannedBlocks, Summary.bytes(bytes), downsamplings, plannedDownsamplings, eta);
    out.flush();
  }
}
