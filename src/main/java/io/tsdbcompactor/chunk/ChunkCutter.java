package io.tsdbcompactor.chunk;

import io.tsdbcompactor.store.CorruptDataException;
import java.util.List;

/**
 * Re-encodes a stream of float samples into XOR chunks the way Prometheus 2.42's compactor does when it merges
 * overlapping chunks ({@code storage.seriesToChunkEncoder}, {@code seriesToChunkEncoderSplit = 120}): a new
 * chunk every 120 samples, counted from the first sample of the stream, with no regard to time. So 241 merged
 * samples become chunks of 120, 120 and 1 samples. (Prometheus's head block cuts differently, by time and
 * size, but that applies only when ingesting, never when compacting.) Each chunk's minTime and maxTime are its
 * first and last sample's timestamps.
 *
 * <p>Reusable; the encoder buffer is kept between chunks.
 */
public final class ChunkCutter {
  public static final int SAMPLES_PER_CHUNK = 120;

  private final int samplesPerChunk;
  private final XorEncoder enc = new XorEncoder();

  public ChunkCutter() {
    this(SAMPLES_PER_CHUNK);
  }

  public ChunkCutter(int samplesPerChunk) {
    if (samplesPerChunk < 1 || samplesPerChunk > XorEncoder.MAX_SAMPLES) {
      throw new IllegalArgumentException("samples per chunk must be 1.." + XorEncoder.MAX_SAMPLES);
    }
    this.samplesPerChunk = samplesPerChunk;
  }

  /** Appends one sample; a full chunk is added to {@code out} first when the current one holds the limit. */
  public void append(long t, double v, List<ChunkMeta> out) {
    if (enc.numSamples() == samplesPerChunk) {
      flush(out);
    }
    enc.append(t, v);
  }

  /** Adds the chunk in progress, if it holds any sample, to {@code out}. */
  public void flush(List<ChunkMeta> out) {
    if (enc.numSamples() > 0) {
      out.add(enc.toChunkMeta());
      enc.reset();
    }
  }

  /** Drops the chunk in progress. */
  public void reset() {
    enc.reset();
  }

  /**
   * Encodes every sample of {@code it} into {@code out}, after any chunk in progress. If the iterator fails,
   * the chunk in progress is dropped (the cutter is clean for the next use) and {@code out} keeps only the
   * chunks completed before the failure.
   */
  public void cut(SampleIterator it, List<ChunkMeta> out) throws CorruptDataException {
    try {
      while (it.next()) {
        append(it.timestamp(), it.value(), out);
      }
    } catch (CorruptDataException | RuntimeException e) {
      enc.reset();
      throw e;
    }
    flush(out);
  }
}
