package io.tsdbcompactor.chunkfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Test;

class ChunkRefTest {
  /** Six digits at least, as Prometheus names its segment files; what a corrupt reference gives is printed as is. */
  @Test
  void segmentFilesAreNumberedFromOneInSixDigitsAtLeast() {
    assertEquals("chunks/000001", ChunkRef.segmentFileName(0));
    assertEquals("chunks/000010", ChunkRef.segmentFileName(9));
    assertEquals("chunks/999999", ChunkRef.segmentFileName(999_998));
    assertEquals("chunks/1000000", ChunkRef.segmentFileName(999_999));
    assertEquals("chunks/000000", ChunkRef.segmentFileName(-1));
    assertEquals("chunks/-00001", ChunkRef.segmentFileName(-2));
    assertEquals("chunks/-2147483648", ChunkRef.segmentFileName(Integer.MAX_VALUE));
    for (int i = -3; i < 2_000_000; i += 997) {
      assertEquals(String.format("chunks/%06d", i + 1), ChunkRef.segmentFileName(i), "segment index " + i);
    }
    assertEquals("chunks/000003@4096", ChunkRef.toString(ChunkRef.of(2, 4096)));
  }
}
