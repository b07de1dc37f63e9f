package io.tsdbcompactor.job;

/**
 * What a run tells its observer as it goes: on a terminal, a progress line with groups, blocks, bytes and an
 * ETA; in a pod, structured log lines. Calls come from the run's threads, possibly several at once.
 */
public interface RunProgress {
  RunProgress NONE = new RunProgress() {};

  /** A named step starts ("compact raw", "downsample 5m -> 1h", "retention", ...). */
  default void step(String name) {}

  /** The plan at the start: what the whole run is expected to do (from the dry-run pass over the first sync). */
  default void planned(int compactions, int inputBlocks, long inputBytes, int downsamplings, int deletions) {}

  /** A compaction retired one of its input blocks (called as each compaction completes). */
  default void blockMerged(long bytes) {}

  /** One group finished a step: its blocks merged and their bytes. */
  default void compacted(String groupKey, int compactions, int inputBlocks, long inputBytes) {}

  /** One block downsampled. */
  default void downsampled(String ulid, long targetResolution, long inputBytes) {}

  /** The run ended (success or not). */
  default void done() {}
}
