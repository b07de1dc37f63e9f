package io.tsdbcompactor.index;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tsdbcompactor.store.CorruptDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Damaged index files must always end in CorruptDataException naming the file, never another exception. */
class IndexCorruptionTest {

  /** Reads everything an index holds, the way the block reader and verifier do. */
  static void readEverything(byte[] file) throws IOException {
    try (IndexReader r = IndexWriterReaderTest.open(file)) {
      r.verify();
      StringCursor syms = r.symbols();
      while (syms.next()) {
        syms.value();
      }
      for (String name : r.labelNames()) {
        for (String value : r.labelValues(name)) {
          Postings p = r.postings(name, value);
          while (p.next()) {
            r.readSeries(p.at());
          }
        }
      }
      SeriesCursor c = r.series();
      while (c.next()) {
        c.at();
      }
    }
  }

  private static void damageRepeatedly(byte[] good, int seeds) throws IOException {
    readEverything(good); // the undamaged file is fine
    for (int seed = 0; seed < seeds; seed++) {
      Random rnd = new Random(seed);
      byte[] b;
      String what;
      switch (seed % 4) {
        case 0, 1 -> {
          b = good.clone();
          int at = rnd.nextInt(b.length);
          b[at] ^= (byte) (1 + rnd.nextInt(255));
          what = "flip at " + at;
        }
        case 2 -> {
          b = Arrays.copyOf(good, rnd.nextInt(good.length));
          what = "truncate to " + b.length;
        }
        default -> {
          b = Arrays.copyOf(good, good.length + 1 + rnd.nextInt(64));
          if (rnd.nextBoolean()) {
            for (int i = good.length; i < b.length; i++) {
              b[i] = (byte) rnd.nextInt(256);
            }
          }
          what = "extend to " + b.length;
        }
      }
      try {
        readEverything(b);
        fail("seed " + seed + ": " + what + " went unnoticed");
      } catch (CorruptDataException e) {
        assertTrue(e.getMessage().startsWith("blk/index at offset "), e.getMessage());
      } catch (RuntimeException | IOException e) {
        throw new AssertionError("seed " + seed + ": " + what + " gave " + e, e);
      }
    }
  }

  @Test
  void damagedPromtoolIndex() throws IOException {
    damageRepeatedly(Files.readAllBytes(Path.of("testdata/blocks/basic/01M88N6J6ADX4FRSS577TPTESQ/index")), 3000);
  }

  @Test
  void damagedRandomIndexWithLabelIndices() throws IOException {
    damageRepeatedly(IndexWriterReaderTest.write(IndexWriterReaderTest.randomData(11, 60), true), 3000);
  }

  @Test
  void damagedRandomIndexWithoutLabelIndices() throws IOException {
    damageRepeatedly(IndexWriterReaderTest.write(IndexWriterReaderTest.randomData(12, 60), false), 3000);
  }

  @Test
  void damagedTinyIndex() throws IOException {
    damageRepeatedly(IndexWriterReaderTest.write(IndexWriterReaderTest.randomData(13, 1), true), 2000);
  }
}
