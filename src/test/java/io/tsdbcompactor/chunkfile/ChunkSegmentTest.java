package io.tsdbcompactor.chunkfile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ChunkSegmentTest {

  private static List<Chunk> randomChunks(Random rnd, int n, int maxLen) {
    List<Chunk> chunks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] data = new byte[rnd.nextInt(maxLen)];
      rnd.nextBytes(data);
      int enc = i % 7 == 0 ? 0xFF : 1 + rnd.nextInt(3);
      chunks.add(new Chunk(enc, data));
    }
    return chunks;
  }

  private static long[] writeAll(MemoryDirectory dir, List<Chunk> chunks, long maxSegment) throws IOException {
    long[] refs = new long[chunks.size()];
    try (ChunkSegmentWriter w = new ChunkSegmentWriter(dir, maxSegment)) {
      for (int i = 0; i < chunks.size(); i++) {
        refs[i] = w.write(chunks.get(i));
      }
    }
    return refs;
  }

  @Test
  void roundTripInOneSegment() throws IOException {
    MemoryDirectory dir = new MemoryDirectory("blk");
    List<Chunk> chunks = randomChunks(new Random(1), 500, 300);
    long[] refs = writeAll(dir, chunks, ChunkSegmentWriter.DEFAULT_MAX_SEGMENT_BYTES);
    assertEquals(List.of("chunks/000001"), dir.listAll());
    assertEquals(8, refs[0]);
    try (ChunkSegmentReader r = new ChunkSegmentReader(dir)) {
      for (int i = 0; i < refs.length; i++) {
        assertEquals(chunks.get(i), r.read(refs[i]));
      }
      assertEquals(500, r.verify());
    }
  }

  @Test
  void headerAndRecordBytesAreAsSpecified() throws IOException {
    MemoryDirectory dir = new MemoryDirectory();
    writeAll(dir, List.of(new Chunk(1, new byte[] {0, 1, 42})), 1 << 20);
    byte[] f = dir.readAll("chunks/000001");
    // magic, version, padding, len 3, encoding 1, data, CRC32C(01 00 01 2a)
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(new byte[] {1, 0, 1, 42});
    int c = (int) crc.getValue();
    assertArrayEquals(new byte[] {(byte) 0x85, (byte) 0xBD, 0x40, (byte) 0xDD, 1, 0, 0, 0, 3, 1, 0, 1, 42,
        (byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c}, f);
  }

  @Test
  void cutsSegmentsBeforeTheyPassTheMaximum() throws IOException {
    MemoryDirectory dir = new MemoryDirectory();
    List<Chunk> chunks = randomChunks(new Random(2), 400, 200);
    chunks.add(new Chunk(1, new byte[5000])); // larger than a segment: gets a segment of its own
    chunks.add(new Chunk(1, new byte[10]));
    long max = 1000;
    long[] refs = writeAll(dir, chunks, max);
    List<String> files = dir.listAll();
    assertTrue(files.size() > 10, "expected many segments, got " + files);
    for (int i = 0; i < files.size(); i++) {
      assertEquals(String.format("chunks/%06d", i + 1), files.get(i));
      long len = dir.fileLength(files.get(i));
      boolean oversized = dir.readAll(files.get(i)).length > max;
      if (oversized) {
        assertEquals(8 + 2 + 1 + 5000 + 4, len, "only a lone oversized chunk may pass the maximum");
      }
    }
    // Prometheus's rule: cut when the record estimated with a 5-byte length field would pass the maximum.
    for (int i = 1; i < refs.length; i++) {
      int prevSeg = ChunkRef.segmentIndex(refs[i - 1]);
      if (ChunkRef.segmentIndex(refs[i]) != prevSeg) {
        assertEquals(prevSeg + 1, ChunkRef.segmentIndex(refs[i]));
        assertEquals(8, ChunkRef.offset(refs[i]));
        long used = dir.fileLength(ChunkRef.segmentFileName(prevSeg));
        assertTrue(used + 5 + 1 + chunks.get(i).data().length + 4 > max);
      } else {
        assertTrue(ChunkRef.offset(refs[i]) + 5 + 1 + chunks.get(i).data().length + 4 <= max
            || ChunkRef.offset(refs[i]) == 8);
      }
    }
    try (ChunkSegmentReader r = new ChunkSegmentReader(dir)) {
      assertEquals(files.size(), r.segmentCount());
      for (int i = 0; i < refs.length; i++) {
        assertEquals(chunks.get(i), r.read(refs[i]));
      }
      assertEquals(chunks.size(), r.verify());
    }
  }

  @Test
  void seriesBatchesCutWherePrometheusCuts() throws IOException {
    // Segment at 60 bytes (header 8 + one 52-byte record), max 100. Prometheus sums the series' chunk size
    // estimates (5-byte length field + encoding + data + CRC = 15 for 5 data bytes): 60+15, 60+30 fit,
    // 60+45 = 105 does not, so the third chunk starts a new segment, although its real offset (82) plus its
    // estimate (97) would have fit.
    MemoryDirectory dir = new MemoryDirectory();
    List<ChunkMeta> metas = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      metas.add(new ChunkMeta(i, i, -1, new Chunk(1, new byte[5])));
    }
    try (ChunkSegmentWriter w = new ChunkSegmentWriter(dir, 100)) {
      assertEquals(8, w.write(new Chunk(1, new byte[46])));
      w.write(metas);
    }
    assertEquals(ChunkRef.of(0, 60), metas.get(0).ref);
    assertEquals(ChunkRef.of(0, 71), metas.get(1).ref);
    assertEquals(ChunkRef.of(1, 8), metas.get(2).ref);
    try (ChunkSegmentReader r = new ChunkSegmentReader(dir)) {
      for (ChunkMeta m : metas) {
        assertEquals(m.chunk, r.read(m.ref));
      }
    }

    // One chunk at a time, the real offset counts: the same chunks stay in the first segment.
    MemoryDirectory one = new MemoryDirectory();
    try (ChunkSegmentWriter w = new ChunkSegmentWriter(one, 100)) {
      w.write(new Chunk(1, new byte[46]));
      w.write(metas.get(0).chunk);
      w.write(metas.get(1).chunk);
      assertEquals(ChunkRef.of(0, 82), w.write(metas.get(2).chunk));
    }

    // A fresh writer never cuts before the first chunk; a later chunk that does not fit gets a new segment.
    MemoryDirectory big = new MemoryDirectory();
    List<ChunkMeta> bigMetas = List.of(new ChunkMeta(0, 0, -1, new Chunk(1, new byte[200])),
        new ChunkMeta(1, 1, -1, new Chunk(1, new byte[200])));
    try (ChunkSegmentWriter w = new ChunkSegmentWriter(big, 100)) {
      w.write(bigMetas);
      assertEquals(List.of("chunks/000001", "chunks/000002"), w.segmentFiles());
    }
    assertEquals(ChunkRef.of(0, 8), bigMetas.get(0).ref);
    assertEquals(ChunkRef.of(1, 8), bigMetas.get(1).ref);
  }

  @Test
  void concurrentReadsSeeTheSameChunks() throws Exception {
    MemoryDirectory dir = new MemoryDirectory();
    List<Chunk> chunks = randomChunks(new Random(9), 2000, 200);
    long[] refs = writeAll(dir, chunks, 20_000);
    try (ChunkSegmentReader r = new ChunkSegmentReader(dir)) {
      List<Thread> threads = new ArrayList<>();
      List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int t = 0; t < 4; t++) {
        int seed = t;
        Thread th = new Thread(() -> {
          Random rnd = new Random(seed);
          try {
            for (int i = 0; i < 5000; i++) {
              int k = rnd.nextInt(refs.length);
              if (!chunks.get(k).equals(r.read(refs[k]))) {
                errors.add(new AssertionError("chunk " + k + " differs"));
              }
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        });
        threads.add(th);
        th.start();
      }
      for (Thread th : threads) {
        th.join();
      }
      assertEquals(List.of(), errors);
    }
  }

  @Test
  void rawRecordsCopyByteForByte() throws IOException {
    MemoryDirectory src = new MemoryDirectory("src");
    List<Chunk> chunks = randomChunks(new Random(3), 100, 300);
    long[] refs = writeAll(src, chunks, 4000);
    MemoryDirectory dst = new MemoryDirectory("dst");
    try (ChunkSegmentReader r = new ChunkSegmentReader(src);
        ChunkSegmentWriter w = new ChunkSegmentWriter(dst, 4000)) {
      for (int i = 0; i < refs.length; i++) {
        assertEquals(refs[i], w.writeRecord(r.readRecord(refs[i])));
      }
    }
    assertEquals(src.listAll(), dst.listAll());
    for (String f : src.listAll()) {
      assertArrayEquals(src.readAll(f), dst.readAll(f), f);
    }
  }

  @Test
  void noChunksMeansNoSegmentFiles() throws IOException {
    MemoryDirectory dir = new MemoryDirectory();
    ChunkSegmentWriter w = new ChunkSegmentWriter(dir);
    w.close();
    assertEquals(List.of(), w.segmentFiles());
    assertEquals(List.of(), dir.listAll());
  }

  @Test
  void readsEveryChunkOfThePromtoolBlocks() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("testdata/blocks/basic"))) {
      for (Path block : s.toList()) {
        String meta = Files.readString(block.resolve("meta.json"));
        long numChunks = Long.parseLong(meta.replaceAll("(?s).*\"numChunks\": (\\d+).*", "$1"));
        try (ChunkSegmentReader r = new ChunkSegmentReader(new FsDirectory(block))) {
          assertEquals(numChunks, r.verify(), block.toString());
          assertEquals(1, r.read(8).encoding());
        }
      }
    }
  }

  @Test
  void badReferencesAreCorruptDataNamingTheFile() throws IOException {
    MemoryDirectory dir = new MemoryDirectory("blk");
    long[] refs = writeAll(dir, randomChunks(new Random(4), 10, 50), 1 << 20);
    try (ChunkSegmentReader r = new ChunkSegmentReader(dir)) {
      CorruptDataException e = assertThrows(CorruptDataException.class, () -> r.read(ChunkRef.of(1, 8)));
      assertTrue(e.getMessage().contains("000002"), e.getMessage());
      e = assertThrows(CorruptDataException.class, () -> r.read(ChunkRef.of(0, 3)));
      assertTrue(e.getMessage().contains("blk/chunks/000001"), e.getMessage());
      e = assertThrows(CorruptDataException.class, () -> r.read(ChunkRef.of(0, 1 << 20)));
      assertTrue(e.getMessage().contains("blk/chunks/000001"), e.getMessage());
      // A reference into the middle of a record: whatever it decodes to, it must fail cleanly.
      assertThrows(CorruptDataException.class, () -> r.read(refs[3] + 1));
    }
  }

  @Test
  void gapInSegmentNumbersIsCorruption() throws IOException {
    MemoryDirectory dir = new MemoryDirectory("blk");
    writeAll(dir, randomChunks(new Random(5), 50, 100), 500);
    dir.delete("chunks/000002");
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> new ChunkSegmentReader(dir));
    assertTrue(e.getMessage().contains("000002"), e.getMessage());
  }

  @Test
  void damagedSegmentsAlwaysGiveCorruptDataException() throws IOException {
    MemoryDirectory clean = new MemoryDirectory("blk");
    List<Chunk> chunks = randomChunks(new Random(6), 60, 80);
    long[] refs = writeAll(clean, chunks, 1500);
    List<String> files = clean.listAll();
    for (int seed = 0; seed < 600; seed++) {
      Random rnd = new Random(seed);
      MemoryDirectory dir = new MemoryDirectory("blk");
      for (String f : files) {
        dir.writeAll(f, clean.readAll(f));
      }
      String victim = files.get(rnd.nextInt(files.size()));
      byte[] b = dir.readAll(victim);
      switch (seed % 3) {
        case 0 -> {
          int at = rnd.nextInt(b.length);
          b[at] ^= (byte) (1 + rnd.nextInt(255));
          dir.writeAll(victim, b);
        }
        case 1 -> dir.writeAll(victim, Arrays.copyOf(b, rnd.nextInt(b.length)));
        default -> {
          byte[] longer = Arrays.copyOf(b, b.length + 1 + rnd.nextInt(20));
          for (int i = b.length; i < longer.length; i++) {
            longer[i] = (byte) rnd.nextInt(256);
          }
          dir.writeAll(victim, longer);
        }
      }
      try (ChunkSegmentReader r = new ChunkSegmentReader(dir)) {
        for (int i = 0; i < refs.length; i++) {
          r.read(refs[i]);
        }
        r.verify();
        fail("seed " + seed + ": damage to " + victim + " went unnoticed");
      } catch (CorruptDataException e) {
        assertTrue(e.getMessage().contains("blk/chunks"), e.getMessage());
      }
    }
  }
}
