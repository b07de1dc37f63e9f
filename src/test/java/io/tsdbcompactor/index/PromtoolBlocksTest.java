package io.tsdbcompactor.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunkfile.ChunkSegmentReader;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Index and chunk files of the promtool blocks agree with each other and with meta.json. */
class PromtoolBlocksTest {

  private static long stat(Path block, String name) throws IOException {
    String meta = Files.readString(block.resolve("meta.json"));
    return Long.parseLong(meta.replaceAll("(?s).*\"" + name + "\": (\\d+).*", "$1"));
  }

  @Test
  void everyChunkReferenceResolvesAndCountsMatchMeta() throws IOException {
    for (Path block : IndexRoundTripTest.promtoolBlocks()) {
      FsDirectory dir = new FsDirectory(block);
      long series = 0;
      long chunks = 0;
      long samples = 0;
      try (IndexReader r = IndexReader.open(dir, "index"); ChunkSegmentReader c = new ChunkSegmentReader(dir)) {
        SeriesCursor cur = r.series();
        while (cur.next()) {
          series++;
          for (ChunkMeta m : cur.at().chunks()) {
            Chunk chunk = c.read(m.ref);
            chunks++;
            samples += chunk.numSamples();
          }
        }
      }
      assertEquals(stat(block, "numSeries"), series, block.toString());
      assertEquals(stat(block, "numChunks"), chunks, block.toString());
      assertEquals(stat(block, "numSamples"), samples, block.toString());
    }
  }

  @Test
  void errorsOnDiskNameTheBlockAndFile(@TempDir Path tmp) throws IOException {
    Path src = IndexRoundTripTest.promtoolBlocks().get(0);
    Path block = tmp.resolve(src.getFileName());
    Files.createDirectories(block.resolve("chunks"));
    byte[] index = Files.readAllBytes(src.resolve("index"));
    index[index.length - 10] ^= 1; // inside the TOC
    Files.write(block.resolve("index"), index);
    byte[] seg = Files.readAllBytes(src.resolve("chunks/000001"));
    seg[0] = 0;
    Files.write(block.resolve("chunks/000001"), seg);
    FsDirectory dir = new FsDirectory(block);

    CorruptDataException e = assertThrows(CorruptDataException.class, () -> IndexReader.open(dir, "index"));
    assertTrue(e.getMessage().startsWith(src.getFileName() + "/index at offset " + (index.length - 4)),
        e.getMessage());
    assertTrue(e.getMessage().contains("table of contents"), e.getMessage());
    e = assertThrows(CorruptDataException.class, () -> new ChunkSegmentReader(dir));
    assertTrue(e.getMessage().startsWith(src.getFileName() + "/chunks/000001 at offset 0"), e.getMessage());
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }
}
