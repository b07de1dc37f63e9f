package io.tsdbcompactor.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VarintTest {
  private static Decoder over(String hex) throws CorruptDataException {
    byte[] b = HexFormat.of().parseHex(hex);
    return Decoder.whole(new ByteArrayInput("test", b));
  }

  @Test
  void bytesAreGoEncodingBinaryPutUvarintAndPutVarint() {
    // Expected bytes as Go's binary.AppendUvarint / AppendVarint produce them.
    String[][] uvarints = {
        {"0", "00"}, {"1", "01"}, {"127", "7f"}, {"128", "8001"}, {"300", "ac02"}, {"16384", "808001"},
        {"-1", "ffffffffffffffffff01"}, {"-9223372036854775808", "80808080808080808001"}};
    for (String[] c : uvarints) {
      ByteSink sink = new ByteSink();
      sink.writeUvarint(Long.parseLong(c[0]));
      assertEquals(c[1], HexFormat.of().formatHex(sink.toByteArray()), "uvarint " + c[0]);
      assertEquals(c[1].length() / 2, Varint.uvarintSize(Long.parseLong(c[0])), "size of " + c[0]);
    }
    String[][] varints = {{"0", "00"}, {"-1", "01"}, {"1", "02"}, {"-5", "09"}, {"-65", "8101"}};
    for (String[] c : varints) {
      ByteSink sink = new ByteSink();
      sink.writeVarint(Long.parseLong(c[0]));
      assertEquals(c[1], HexFormat.of().formatHex(sink.toByteArray()), "varint " + c[0]);
    }
  }

  @Test
  void randomValuesRoundTripAndEndWhereTheyShould() throws CorruptDataException {
    Random r = new Random(13);
    ByteSink sink = new ByteSink();
    long[] values = new long[2000];
    for (int i = 0; i < values.length; i++) {
      values[i] = r.nextLong() >>> r.nextInt(64);
      sink.writeUvarint(values[i]);
      sink.writeVarint(-values[i]);
    }
    Decoder d = Decoder.whole(new ByteArrayInput("test", sink.toByteArray()));
    for (long v : values) {
      assertEquals(v, d.readUvarint());
      assertEquals(-v, d.readVarint());
    }
    assertEquals(0, d.remaining());
  }

  @Test
  void overflowIsGoBinaryUvarintsRule() throws CorruptDataException {
    // Ten bytes whose tenth holds only the top bit: the largest value, accepted.
    assertEquals(-1L, over("ffffffffffffffffff01").readUvarint());
    // A tenth byte above 1 overflows 64 bits; so does an eleventh byte.
    CorruptDataException big = assertThrows(CorruptDataException.class, () -> over("ffffffffffffffffff02").readUvarint());
    assertTrue(big.getMessage().contains("overflows"), big.getMessage());
    assertEquals(0, big.offset());
    assertThrows(CorruptDataException.class, () -> over("8080808080808080808000").readUvarint());
    // Non-minimal encodings are values, as in Go.
    Decoder d = over("8000ff00");
    assertEquals(0, d.readUvarint());
    assertEquals(127, d.readUvarint());
    // A uvarint cut off by the end of the section.
    assertThrows(CorruptDataException.class, () -> over("8080").readUvarint());
  }
}
