package io.tsdbcompactor.job;

import io.tsdbcompactor.retention.RetentionPolicy;

/** {@link RunOptions} with one flag changed, as the tests need them (the command line builds them whole). */
final class RunOptionsFixtures {
  private RunOptionsFixtures() {}

  static RunOptions withRetention(RunOptions o, RetentionPolicy r) {
    return new RunOptions(o.dataDir(), o.consistencyDelay(), o.deleteDelay(), r, o.compactConcurrency(),
        o.downsampleConcurrency(), o.downsampling(), o.replicaLabels(), o.dedupFunc(), o.relabelConfigYaml(),
        o.dryRun(), o.sharding(), o.tuning(), o.timeWindow());
  }

  static RunOptions withSharding(RunOptions o, Sharding s) {
    return new RunOptions(o.dataDir(), o.consistencyDelay(), o.deleteDelay(), o.retention(), o.compactConcurrency(),
        o.downsampleConcurrency(), o.downsampling(), o.replicaLabels(), o.dedupFunc(), o.relabelConfigYaml(),
        o.dryRun(), s, o.tuning(), o.timeWindow());
  }
}
