package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.store.MemoryDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The verifier decodes histogram chunks: real Prometheus 2.42 histogram blocks pass, damaged chunks are named. */
class HistogramBlockVerifyTest {

  static List<Path> histogramBlocks() throws Exception {
    List<Path> all = new ArrayList<>();
    for (String d : new String[] {"histogram", "histogram-overlap", "histogram-overlap-compacted"}) {
      all.addAll(BlockDumper.blockDirs(Path.of("testdata/blocks", d)));
    }
    assertEquals(4, all.size());
    return all;
  }

  @Test
  void realHistogramBlocksVerifyClean() throws Exception {
    for (Path b : histogramBlocks()) {
      assertEquals(List.of(), BlockVerifier.verify(new FsDirectory(b)), b.toString());
    }
  }

  @Test
  void damagedHistogramChunkWithAValidCrcIsReportedBySeries() throws Exception {
    MemoryDirectory dir = BlockVerifierTest.load(histogramBlocks().get(0));
    byte[] seg = dir.readAll("chunks/000001");
    int pos = 8;
    boolean damaged = false;
    while (pos < seg.length && !damaged) {
      long len = 0;
      int shift = 0;
      int b;
      do {
        b = seg[pos++] & 0xff;
        len |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while (b >= 0x80);
      int enc = seg[pos] & 0xff;
      int dataStart = pos + 1;
      int dataEnd = dataStart + (int) len;
      if (enc == 2 || enc == 3) {
        seg[dataEnd - 1] ^= 0x01; // the last bit: padding or part of the last sample
        seg[2 + dataStart] ^= 0x01; // a header bit Prometheus never sets
        CRC32C crc = new CRC32C();
        crc.update(seg, pos, dataEnd - pos);
        long v = crc.getValue();
        for (int i = 0; i < 4; i++) {
          seg[dataEnd + i] = (byte) (v >>> (24 - 8 * i));
        }
        damaged = true;
      }
      pos = dataEnd + 4;
    }
    assertTrue(damaged);
    dir.writeAll("chunks/000001", seg);
    List<String> problems = BlockVerifier.verify(dir);
    BlockVerifierTest.assertHasProblem(problems, "series {", "header byte");
    assertEquals(1, problems.size(), problems.toString());
  }
}
