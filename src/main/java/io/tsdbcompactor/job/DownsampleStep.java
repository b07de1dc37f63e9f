package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.compact.OutputVerifier;
import io.tsdbcompactor.downsample.BlockDownsampler;
import io.tsdbcompactor.downsample.DownsampleSelector;
import io.tsdbcompactor.downsample.Resolution;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.sync.BlockGoneException;
import io.tsdbcompactor.sync.BlockTransfer;
import io.tsdbcompactor.sync.FanOut;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import io.tsdbcompactor.tracing.Span;
import io.tsdbcompactor.tracing.Tracing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downsamples blocks of one resolution to the next: those Thanos's rules pick ({@link DownsampleSelector}), and
 * those retention is about to remove that no coarser block covers yet
 * ({@link io.tsdbcompactor.retention.RetentionPlanner#mustDownsampleFirst}), whatever their range. Each new block
 * is verified before its meta.json is uploaded, as compacted blocks are. A block that fails to read is marked
 * no-downsample ({@link Marker#REASON_CORRUPTED_BLOCK}) and retention keeps it.
 */
final class DownsampleStep implements Step {
  private static final Logger LOG = LoggerFactory.getLogger(DownsampleStep.class);

  private final RunContext ctx;
  private final long from;
  private final long to;

  DownsampleStep(RunContext ctx, long from, long to) {
    this.ctx = ctx;
    this.from = from;
    this.to = to;
  }

  @Override
  public String name() {
    return "downsample " + Resolution.name(from) + " -> " + Resolution.name(to);
  }

  /** One block to downsample; {@code forRetention} when only retention's last-copy rule asks for it. */
  private record Choice(BlockMeta input, boolean forRetention) {}

  @Override
  public Planned plan(BucketState state) {
    List<BlockMeta> metas = ctx.workable(state);
    Set<String> noDownsample = state.noDownsampleMarked();
    Map<String, Choice> chosen = new TreeMap<>(); // by ULID, the order Thanos visits them
    for (DownsampleSelector.Candidate c : DownsampleSelector.select(metas, noDownsample, Set.of(), from)) {
      chosen.put(c.meta().ulid, new Choice(c.meta(), false));
    }
    for (BlockMeta m : ctx.retention.mustDownsampleFirst(metas, from, ctx.now, noDownsample, state.damaged())) {
      chosen.putIfAbsent(m.ulid, new Choice(m, true));
    }
    List<Choice> choices = new ArrayList<>(chosen.values());
    List<BlockMeta> outputs = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    for (Choice c : choices) {
      BlockMeta out = BlockDownsampler.outputMeta(c.input(), to, ctx.plannedUlid());
      out.thanos().files = new ArrayList<>(c.input().thanos().files);
      outputs.add(out);
      actions.add(ctx.action(Action.DOWNSAMPLE, out, true, reason(c)));
    }
    return new Planned() {
      @Override
      public List<Action> actions() {
        return actions;
      }

      @Override
      public void simulate(BucketState st) {
        outputs.forEach(st::addPlanned);
      }

      @Override
      public void execute() {
        // Collect-all: a block's failure is recorded (and the block marked) by its task; the others go on.
        ctx.workers.downsamples.runUnchecked(choices, FanOut.OnFailure.FINISH_ALL, DownsampleStep.this::downsample);
      }
    };
  }

  private String reason(Choice c) {
    return c.forRetention()
        ? "ahead of retention: it expires now and no coarser block covers it yet"
        : "range rule: " + Resolution.name(from) + " block long enough and not yet covered at " + Resolution.name(to);
  }

  private void downsample(Choice c) {
    BlockMeta in = c.input();
    if (c.forRetention()) {
      LOG.atInfo().addKeyValue("block", in.ulid).addKeyValue("range", RunContext.range(in))
          .log("downsampling block to " + Resolution.name(to) + " ahead of retention: it expires now and no coarser block covers it yet");
    }
    long t0 = System.nanoTime();
    ctx.metrics.downsamples(to).increment();
    try (Span span = Tracing.span("downsample").attribute("block", in.ulid).attribute("resolution", to)) {
      Downsampled done = downsampleOne(in);
      if (done == null) {
        // Marked, so that neither the range rule nor retention asks for it again; an operator's kind of mark
        // (not corrupted-block): retention then expires it as Thanos would, there being nothing to keep coarser.
        String details = "no sample to downsample: Thanos's downsampling keeps no stale marker and no sample "
            + "before 1970-01-01";
        markNoDownsample(in, Marker.REASON_NOTHING_TO_DOWNSAMPLE, details);
        ctx.report.fail("downsample block " + in.ulid + " to " + Resolution.name(to) + ": " + details
            + " (marked no-downsample)");
        return;
      }
      BlockMeta out = done.meta();
      ctx.metrics.downsampleDuration(to).record(Duration.ofNanos(System.nanoTime() - t0));
      (to == Resolution.FIVE_MINUTES ? ctx.report.downsampled5m : ctx.report.downsampled1h).incrementAndGet();
      if (c.forRetention()) {
        ctx.report.downsampledForRetention.incrementAndGet();
      }
      ctx.report.record(ctx.action(Action.DOWNSAMPLE, out, false, reason(c)));
      LOG.atInfo().addKeyValue("block", in.ulid).addKeyValue("new", out.ulid).addKeyValue("resolution", to)
          // As GroupCompactor's line: "upload" is what is left after the verification.
          .log("downsampled block: download {} ms, downsample and verify {} ms, upload {} ms", done.downloadMillis(),
              done.downsampleMillis(), done.uploadMillis());
      ctx.gauges.downsampled();
      ctx.progress.downsampled(in.ulid, to, in.sizeBytes());
    } catch (BlockGoneException e) {
      LOG.info("not downsampling block {}: {}", in.ulid, e.getMessage()); // another run replaced or deleted it
    } catch (CorruptDataException e) {
      ctx.metrics.downsampleFailures(to).increment();
      markNoDownsample(in, Marker.REASON_CORRUPTED_BLOCK, e.getMessage());
      ctx.report.fail("downsample block " + in.ulid + " to " + Resolution.name(to) + ": " + ErrorText.of(e)
          + " (marked no-downsample)");
    } catch (IOException | RuntimeException e) {
      ctx.metrics.downsampleFailures(to).increment();
      ctx.report.fail("downsample block " + in.ulid + " to " + Resolution.name(to) + ": " + ErrorText.of(e));
      LOG.error("downsampling {} failed", in.ulid, e);
    }
  }

  /** A downsampled block as uploaded, and how long each phase took (for the log, as a compaction's). */
  private record Downsampled(BlockMeta meta, long downloadMillis, long downsampleMillis, long uploadMillis) {}

  /**
   * Download, downsample, verify, upload (meta.json last); the work directories are removed either way. Null when
   * the block holds no sample the downsampling keeps: nothing is uploaded then.
   */
  private Downsampled downsampleOne(BlockMeta in) throws IOException {
    Path work = ctx.options.dataDir().resolve("downsample");
    Path src = work.resolve(in.ulid);
    Ulid newUlid = Ulid.generate(ctx.clock.millis());
    Path dst = work.resolve("out").resolve(newUlid.toString());
    FileTree.delete(src);
    FileTree.delete(dst);
    BlockTransfer.ArrivingBlock arriving = null;
    try {
      long t0 = System.nanoTime();
      // From a remote store the chunk segments come down while the block is downsampled.
      try (Span s = Tracing.span("download").attribute("block", in.ulid)) {
        arriving = ctx.transfer.downloadForReading(in.ulid, src);
      }
      long t1 = System.nanoTime();
      Files.createDirectories(dst);
      // Each chunk segment and the index go up as soon as they are written, while the rest is downsampled and
      // verified; meta.json only after the verification, and a block that fails is taken back (closed unfinished).
      BlockMeta uploaded;
      long t2;
      try (BlockTransfer.EarlyUpload upload = ctx.transfer.uploadEarly(dst)) {
        // Not fsynced locally, as a compaction's output is not (FsDirectory.scratch): the upload makes the block
        // durable in the bucket before meta.json, and dst is deleted whatever happens.
        Directory out = upload.watch(FsDirectory.scratch(dst));
        BlockDownsampler.Result r = arriving.read((meta, blockFiles) ->
            BlockDownsampler.downsample(blockFiles, meta, out, to, newUlid));
        if (r.meta().stats.numChunks == 0) {
          return null; // closed unfinished: whatever went up is taken back
        }
        verify(dst, r.meta());
        t2 = System.nanoTime();
        try (Span s = Tracing.span("upload").attribute("block", newUlid.toString())) {
          uploaded = upload.finish();
        }
      }
      long t3 = System.nanoTime();
      return new Downsampled(uploaded, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
    } finally {
      if (arriving != null) {
        arriving.close();
      }
      FileTree.delete(src);
      FileTree.delete(dst);
    }
  }

  /**
   * The new block is checked as a compacted one is before upload. It failing is our bug, not the input's: it is
   * an {@link IOException}, not a {@link CorruptDataException}, so the input is not marked.
   */
  private void verify(Path dir, BlockMeta meta) throws IOException {
    try {
      OutputVerifier.verify(new FsDirectory(dir), meta, ctx.compactorOptions.verification());
    } catch (CorruptDataException e) {
      throw new IOException("downsampled block " + meta.ulid + " from " + meta.compaction.sources
          + " failed verification, not uploaded: " + e.getMessage(), e);
    }
  }

  private void markNoDownsample(BlockMeta in, String reason, String details) {
    try {
      ctx.report.markedNow.add(in.ulid);
      if (Markers.markNoDownsample(ctx.bucket, in.ulid, reason, details, ctx.clock)) {
        ctx.metrics.blockMarked(Marker.NO_DOWNSAMPLE_MARK, reason);
        ctx.report.markedNoDownsample.incrementAndGet();
        ctx.report.record(ctx.action(Action.NO_DOWNSAMPLE, in, false, reason + ": " + details));
      }
    } catch (IOException e) {
      ctx.report.fail("marking block " + in.ulid + " no-downsample failed: " + ErrorText.of(e));
    }
  }
}
