package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.labels.Labels;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GoFormatTest {

  @Test
  void knownGoOutputs() {
    // Each pair is what fmt.Sprintf("%g", v) prints in Go.
    Object[][] cases = {
        {0.0, "0"}, {-0.0, "-0"}, {1.0, "1"}, {-1.0, "-1"}, {100.0, "100"}, {123456.0, "123456"},
        {999999.0, "999999"}, {1e6, "1e+06"}, {1234567.0, "1.234567e+06"}, {1.7e9, "1.7e+09"},
        {1700000000056.0, "1.700000000056e+12"}, {0.1, "0.1"}, {0.3, "0.3"}, {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3, "0.3333333333333333"}, {2.0 / 3, "0.6666666666666666"}, {0.0001, "0.0001"},
        {0.00012345, "0.00012345"}, {1e-5, "1e-05"}, {2.5e-5, "2.5e-05"}, {123456.7, "123456.7"},
        {1234567.8, "1.2345678e+06"}, {1e21, "1e+21"}, {1e23, "1e+23"}, {1e100, "1e+100"},
        {5e-324, "5e-324"}, {1e-323, "1e-323"}, {Double.MAX_VALUE, "1.7976931348623157e+308"},
        {Double.MIN_NORMAL, "2.2250738585072014e-308"}, {9.223372036854776e18, "9.223372036854776e+18"},
        {9007199254740991.0, "9.007199254740991e+15"}, {2.82879384806159e17, "2.82879384806159e+17"},
        {20.5, "20.5"}, {-20.123456789, "-20.123456789"}, {1e15, "1e+15"}, {123456789012345680.0,
        "1.2345678901234568e+17"}, {Double.NaN, "NaN"}, {Double.POSITIVE_INFINITY, "+Inf"},
        {Double.NEGATIVE_INFINITY, "-Inf"}, {Double.longBitsToDouble(0x7ff0000000000002L), "NaN"},
        {4.35, "4.35"}, {0.000001, "1e-06"}, {100000.5, "100000.5"}, {1e-7, "1e-07"},
    };
    for (Object[] c : cases) {
      assertEquals(c[1], GoFormat.formatFloat((Double) c[0]), "formatting " + c[0]);
    }
  }

  /** Shortest digits by brute force: the first length with a round-tripping decimal, the closest one. */
  static BigDecimal reference(double abs) {
    BigDecimal exact = new BigDecimal(abs);
    for (int p = 1; p <= 17; p++) {
      BigDecimal lo = exact.round(new MathContext(p, RoundingMode.FLOOR));
      BigDecimal hi = exact.round(new MathContext(p, RoundingMode.CEILING));
      boolean loOk = lo.doubleValue() == abs;
      boolean hiOk = hi.doubleValue() == abs;
      if (loOk && hiOk) {
        return exact.round(new MathContext(p, RoundingMode.HALF_EVEN)).stripTrailingZeros();
      }
      if (loOk) {
        return lo.stripTrailingZeros();
      }
      if (hiOk) {
        return hi.stripTrailingZeros();
      }
    }
    throw new AssertionError("no round trip for " + abs);
  }

  @Test
  void randomDoublesAreShortestClosestAndRoundTrip() {
    Random r = new Random(20261125L);
    for (int i = 0; i < 40_000; i++) {
      double v;
      switch (i % 4) {
        case 0: v = Double.longBitsToDouble(r.nextLong()); break;
        case 1: v = r.nextDouble() * Math.pow(10, r.nextInt(40) - 20); break;
        case 2: v = Math.round(r.nextDouble() * 1e6) / 1000.0; break;
        default: v = Double.longBitsToDouble(r.nextLong() & 0x000fffffffffffffL); // subnormal
      }
      if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
        continue;
      }
      double abs = Math.abs(v);
      if (!(abs < 9007199254740992.0 && abs == Math.rint(abs))) {
        assertEquals(reference(abs), GoFormat.shortest(abs), "digits of " + v);
      }
      String s = GoFormat.formatFloat(v);
      assertEquals(v, Double.parseDouble(s), "round trip of " + s);
    }
  }

  @Test
  void powersOfTenAndTwo() {
    for (int e = -323; e <= 308; e++) {
      double v = Double.parseDouble("1e" + e);
      String s = GoFormat.formatFloat(v);
      String expected = e < -4 || e >= 6
          ? "1e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e)
          : new BigDecimal(v).round(new MathContext(1)).stripTrailingZeros().toPlainString();
      assertEquals(expected, s, "1e" + e);
    }
    for (int e = -1074; e <= 1023; e++) {
      double v = Math.scalb(1.0, e);
      if (!(v < 9007199254740992.0 && v == Math.rint(v))) {
        assertEquals(reference(v), GoFormat.shortest(v), "2^" + e);
      }
    }
  }

  @Test
  void everyValueOfTheExpectedDumpsReformatsIdentically() throws Exception {
    int n = 0;
    for (String name : new String[] {"basic", "overlap"}) {
      List<String> lines = Files.readAllLines(Path.of("testdata/expected-dump-" + name + ".txt"));
      for (String line : lines) {
        String[] f = line.split(" ");
        String v = f[f.length - 2];
        double d = v.equals("+Inf") ? Double.POSITIVE_INFINITY : v.equals("-Inf") ? Double.NEGATIVE_INFINITY
            : Double.parseDouble(v);
        assertEquals(v, GoFormat.formatFloat(d), line);
        n++;
      }
    }
    assertTrue(n > 19_000);
  }

  @Test
  void quotesLikeGoStrconvQuote() {
    assertEquals("\"\"", GoFormat.quote(""));
    assertEquals("\"plain /ü/日本/emoji-😀\"", GoFormat.quote("plain /ü/日本/emoji-😀"));
    assertEquals("\"quote \\\" backslash \\\\ newline \\n end\"", GoFormat.quote("quote \" backslash \\ newline \n end"));
    assertEquals("\"tab\\tand nbsp\\u00a0here\"", GoFormat.quote("tab\tand nbsp\u00a0here"));
    assertEquals("\"\\a\\b\\f\\r\\v\\x00\\x1f\\x7f\"", GoFormat.quote("\u0007\b\f\r\u000b\u0000\u001f\u007f"));
    assertEquals("\"\\u0085\\u200b\\u2028\\ufeff\"", GoFormat.quote("\u0085\u200b\u2028\ufeff"));
    assertEquals("\"\\U000e0001\"", GoFormat.quote(new String(Character.toChars(0xE0001))));
    assertEquals("\"\\U0010ffff\"", GoFormat.quote(new String(Character.toChars(0x10FFFF))));
    assertEquals("\"\\ufffd\"", GoFormat.quote("\ud800"));
  }

  @Test
  void labelsLikePrometheusLabelsString() {
    assertEquals("{__name__=\"up\", job=\"a\\\"b\"}", GoFormat.labelsString(Labels.of("job", "a\"b", "__name__", "up")));
    assertEquals("{}", GoFormat.labelsString(Labels.EMPTY));
  }
}
