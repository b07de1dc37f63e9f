package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlockDumperTest {

  static String dump(Path dir, long minT, long maxT) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BlockDumper().dump(dir, minT, maxT, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"basic", "overlap"})
  void wholeTestdataDirEqualsExpectedPromtoolDump(String name) throws Exception {
    String expected = Files.readString(Path.of("testdata/expected-dump-" + name + ".txt"));
    String actual = dump(Path.of("testdata/blocks/" + name), Long.MIN_VALUE, Long.MAX_VALUE);
    assertEquals(expected, actual);
  }

  private static MemoryDirectory block(List<ChunkMeta> chunks) throws Exception {
    return BlockRoundTripTest.write(List.of(new BlockRoundTripTest.Series(Labels.of("__name__", "m"), chunks)),
        BlockRoundTripTest.template(Ulid.generate(0, new Random(1)).toString(), 0, 10_000, false), 512L << 20);
  }

  private static ChunkMeta xor(long from, int n) {
    XorEncoder e = new XorEncoder();
    for (int i = 0; i < n; i++) {
      e.append(from + i, i + 0.5);
    }
    return e.toChunkMeta();
  }

  @Test
  void seriesStopsAtTheFirstHistogramAsPromtool242Does() throws Exception {
    ChunkMeta hist = new ChunkMeta(10, 20, 0, new Chunk(ChunkEncoding.HISTOGRAM, new byte[] {0, 1, 0}));
    MemoryDirectory dir = block(List.of(xor(0, 2), hist, xor(30, 1)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (BlockReader r = BlockReader.open(dir)) {
      new BlockDumper().dump(List.of(r), Long.MIN_VALUE, Long.MAX_VALUE, out);
    }
    assertEquals("{__name__=\"m\"} 0.5 0\n{__name__=\"m\"} 1.5 1\n", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aggrChunksNeedADecoder() throws Exception {
    ChunkMeta aggr = new ChunkMeta(10, 20, 0, new Chunk(ChunkEncoding.AGGR, new byte[] {0}));
    MemoryDirectory dir = block(List.of(aggr));
    try (BlockReader r = BlockReader.open(dir)) {
      CorruptDataException e = assertThrows(CorruptDataException.class,
          () -> new BlockDumper().dump(List.of(r), Long.MIN_VALUE, Long.MAX_VALUE, new ByteArrayOutputStream()));
      assertTrue(e.getMessage().contains("chunks/000001@8"), e.getMessage());
      assertTrue(e.getMessage().contains("no decoder"), e.getMessage());

      // With a decoder registered, its samples are printed in promtool's format.
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new BlockDumper().withDecoder(ChunkEncoding.AGGR, (name, chunk) -> new SampleIterator() {
        int i;

        @Override
        public boolean next() {
          return ++i <= 2;
        }

        @Override
        public long timestamp() {
          return 10L * i;
        }

        @Override
        public double value() {
          return 1e6 * i;
        }
      }).dump(List.of(r), Long.MIN_VALUE, Long.MAX_VALUE, out);
      assertEquals("{__name__=\"m\"} 1e+06 10\n{__name__=\"m\"} 2e+06 20\n", out.toString(StandardCharsets.UTF_8));
    }
  }
}
