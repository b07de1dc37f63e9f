package io.tsdbcompactor.block;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.store.CorruptDataException;

/**
 * Turns a chunk of an encoding the block layer does not decode itself (Thanos's AggrChunk, 0xFF) into float
 * samples for {@link BlockDumper}. The downsample package registers one with
 * {@link BlockDumper#withDecoder(int, ChunkSampleDecoder)}; without one, dumping such a chunk is an error.
 */
@FunctionalInterface
public interface ChunkSampleDecoder {

  /**
   * Samples of {@code chunk} in timestamp order. {@code nameForErrors} names the block, segment file and
   * reference, for the {@link CorruptDataException} a damaged chunk must end in.
   */
  SampleIterator decode(String nameForErrors, Chunk chunk) throws CorruptDataException;
}
