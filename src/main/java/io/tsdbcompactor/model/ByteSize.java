package io.tsdbcompactor.model;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Byte sizes as Thanos's size flags take them ({@code units.Base2Bytes}): a number and a unit, where every unit
 * is a power of 1024 whether written {@code GB} or {@code GiB} ({@code 64GB} = 64 × 2^30 bytes).
 */
public final class ByteSize {
  private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)([KMGTPE]i?B|B)");
  private static final Map<Character, Integer> POWER = Map.of('B', 0, 'K', 1, 'M', 2, 'G', 3, 'T', 4, 'P', 5, 'E', 6);

  private ByteSize() {}

  /** Parses a size in bytes; {@link IllegalArgumentException} naming the text when it is not one. */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size like 64GB, 512MiB or 1024B");
    }
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(POWER.get(m.group(2).charAt(0))));
    try {
      return bytes.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("size '" + text + "' is too large");
    }
  }

  /** picocli converter. */
  public static final class Converter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
