package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
