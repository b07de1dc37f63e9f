package io.tsdbcompactor.chunk;

import static io.tsdbcompactor.chunk.ChunkMergerTest.chunk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeriesSampleIteratorTest {

  static List<Long> times(SampleIterator it) throws CorruptDataException {
    List<Long> out = new ArrayList<>();
    while (it.next()) {
      out.add(it.timestamp());
      assertEquals(it.timestamp() + 0.5, it.value());
    }
    return out;
  }

  @Test
  void chunksInSequenceWithDeletions() throws IOException {
    SeriesSampleIterator it = new SeriesSampleIterator();
    List<ChunkMeta> chunks = List.of(chunk(0.5, 1, 2, 3), chunk(0.5, 10, 11), chunk(0.5, 20));
    it.reset("s", chunks, null);
    assertEquals(List.of(1L, 2L, 3L, 10L, 11L, 20L), times(it));
    it.reset("s", chunks, new long[] {2, 10, 20, 20});
    assertEquals(List.of(1L, 11L), times(it));
    it.reset("s", List.of(), null);
    assertEquals(List.of(), times(it));
  }

  @Test
  void outOfOrderAcrossChunksIsCorrupt() throws IOException {
    SeriesSampleIterator it = new SeriesSampleIterator();
    it.reset("{job=\"j\"}", List.of(chunk(0.5, 1, 5), chunk(0.5, 5, 6)), null);
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> times(it));
    assertTrue(e.getMessage().contains("{job=\"j\"}") && e.getMessage().contains("increasing"), e.getMessage());
  }

  @Test
  void nonXorChunksAreRefusedUpFront() {
    ChunkMeta h = new ChunkMeta(1, 2, 0, new Chunk(ChunkEncoding.FLOAT_HISTOGRAM, new byte[3]));
    assertThrows(UnmergeableChunksException.class,
        () -> new SeriesSampleIterator().reset("s", List.of(chunk(0.5, 0), h), null));
  }
}
