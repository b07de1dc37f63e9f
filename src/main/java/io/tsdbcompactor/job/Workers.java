package io.tsdbcompactor.job;

import io.tsdbcompactor.sync.FanOut;

/**
 * The worker pools of a {@code compact} process, one {@link FanOut} level per concurrency flag, made once from the
 * flags and closed when the process (or a run that made its own) ends. Each flag bounds its level across the
 * whole process, so the flags add up instead of multiplying: with {@code --compact.concurrency=4} and
 * {@code --block-files-concurrency=2}, at most 2 object transfers are in flight, not 4 × blocks × 2.
 *
 * <pre>
 *   groups      --compact.concurrency              a group's compaction loop
 *   downsamples --downsample.concurrency           one block's download, downsampling, verification, upload
 *      └─ blocks --compact.blocks-fetch-concurrency   one block's download for a compaction
 *           └─ files --block-files-concurrency          one object transferred (a chunk file, the index)
 *   metadata    --block-meta-fetch-concurrency     one block's meta.json and markers read, one mark written,
 *                                                  one block deleted
 * </pre>
 *
 * Within one object transfer a store may use several connections: S3 sends or fetches four parts or ranges of a
 * block's file at once (as Thanos's S3 client sends four parts), on threads of the transfer's own.
 *
 * <p>A level waits only for levels below it (see {@link FanOut} on nesting), and {@code metadata} tasks wait for
 * nothing, so no level can deadlock another. A {@code --wait} process shares one set between its runs and the
 * background clean-up and progress passes, so those do not add their own threads either.
 */
public final class Workers implements AutoCloseable {
  final FanOut groups;
  final FanOut downsamples;
  final FanOut blocks;
  final FanOut files;
  final FanOut metadata;

  private Workers(RunOptions o) {
    this.groups = FanOut.bounded("compact-group", o.compactConcurrency());
    this.downsamples = FanOut.bounded("downsample", o.downsampleConcurrency());
    this.blocks = FanOut.bounded("block-download", o.tuning().blocksFetchConcurrency());
    this.files = FanOut.bounded("block-files", o.tuning().blockFilesConcurrency());
    this.metadata = FanOut.bounded("meta-fetch", o.tuning().metaFetchConcurrency());
  }

  /** The pools the flags in {@code options} ask for; threads start on first use and end when idle. */
  public static Workers forOptions(RunOptions options) {
    return new Workers(options);
  }

  /** Closes every level, top first, each waiting (bounded) for its running tasks. */
  @Override
  public void close() {
    groups.close();
    downsamples.close();
    blocks.close();
    files.close();
    metadata.close();
  }
}
