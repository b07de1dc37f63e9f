package io.tsdbcompactor.block;

import io.tsdbcompactor.labels.Labels;
import java.math.BigDecimal;

/**
 * Text formatting exactly as Go prints it, for output that must equal promtool's byte for byte.
 *
 * <ul>
 *   <li>{@link #appendFloat}: {@code fmt.Sprintf("%g", v)}, i.e. {@code strconv.FormatFloat(v, 'g', -1, 64)}
 *       (with fmt's sign handling, which prints {@code +Inf}). Go picks the shortest decimal that parses back
 *       to the same double (the closest such one, ties to even), and prints it in exponent form when the
 *       decimal exponent is below -4 or at least 6 ("shortest" %g fixes the precision at 6 for that choice,
 *       strconv/ftoa.go), with at least two exponent digits: {@code 1e+06}, {@code 1.5e-07}, {@code 5e-324}.
 *       Java's {@link Double#toString} is not usable as is: before JDK 19 it sometimes prints more digits than
 *       needed, and it never prints one digit where two are closer (4.9E-324); the digits come from
 *       {@link ShortestDecimal} (Ryū).
 *   <li>{@link #appendQuoted}: {@code strconv.Quote}: printable runes (Unicode letters, marks, numbers,
 *       punctuation, symbols and the ASCII space) stay, {@code "} and {@code \} are escaped, the usual C escapes
 *       {@code \a \b \f \n \r \t \v}, other control bytes as {@code \xNN}, other runes as a backslash, u and 4 hex
 *       digits, or a backslash, U and 8 hex digits (lower-case hex).
 *   <li>{@link #appendLabels}: Prometheus 2.42 {@code labels.Labels.String()}: {@code {a="b", c="d"}}.
 * </ul>
 */
public final class GoFormat {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final double TWO_53 = 9007199254740992.0;

  private GoFormat() {}

  /** {@code v} as Go's {@code %g} prints it ({@link #appendFloat} without a builder). Published reading API (docs/library.md); the compactor itself does not call it. */
  public static String formatFloat(double v) {
    StringBuilder sb = new StringBuilder(24);
    appendFloat(sb, v);
    return sb.toString();
  }

  /** Appends {@code v} as Go's {@code %g} prints it. */
  public static void appendFloat(StringBuilder sb, double v) {
    if (Double.isNaN(v)) {
      sb.append("NaN");
      return;
    }
    if (Double.isInfinite(v)) {
      sb.append(v > 0 ? "+Inf" : "-Inf");
      return;
    }
    boolean neg = (Double.doubleToRawLongBits(v) & Long.MIN_VALUE) != 0;
    double abs = Math.abs(v);
    if (neg) {
      sb.append('-');
    }
    if (abs == 0) {
      sb.append('0');
      return;
    }
    if (abs < TWO_53 && abs == Math.rint(abs)) {
      // Every integer below 2^53 is a double and its neighbours are at most 1 away, so its shortest
      // round-tripping decimal is the integer itself (without trailing zeros).
      long n = (long) abs;
      if (n < 1_000_000) {
        sb.append(n);
        return;
      }
      String s = Long.toString(n);
      int nd = s.length();
      while (s.charAt(nd - 1) == '0') {
        nd--;
      }
      appendDigits(sb, s, nd, s.length());
      return;
    }
    long[] de = new long[2];
    shortestDigits(abs, de);
    String u = Long.toString(de[0]);
    appendDigits(sb, u, u.length(), u.length() + (int) de[1]);
  }

  /**
   * Appends the decimal 0.{@code digits[0..nd)} x 10^dp in Go's shortest %g layout.
   */
  private static void appendDigits(StringBuilder sb, String digits, int nd, int dp) {
    int exp = dp - 1;
    if (exp < -4 || exp >= 6) {
      sb.append(digits.charAt(0));
      if (nd > 1) {
        sb.append('.').append(digits, 1, nd);
      }
      sb.append('e').append(exp < 0 ? '-' : '+');
      int e = Math.abs(exp);
      if (e < 10) {
        sb.append('0');
      }
      sb.append(e);
      return;
    }
    if (dp > 0) {
      for (int i = 0; i < dp; i++) {
        sb.append(i < nd ? digits.charAt(i) : '0');
      }
    } else {
      sb.append('0');
    }
    int frac = Math.max(nd - dp, 0);
    if (frac > 0) {
      sb.append('.');
      for (int i = 0; i < frac; i++) {
        int j = dp + i;
        sb.append(j < 0 || j >= nd ? '0' : digits.charAt(j));
      }
    }
  }

  /**
   * The shortest decimal that parses back to {@code abs} (positive, finite); among equally short ones the
   * closest, ties to the even digit.
   */
  static BigDecimal shortest(double abs) {
    long[] de = new long[2];
    shortestDigits(abs, de);
    return BigDecimal.valueOf(de[0], (int) -de[1]);
  }

  private static void shortestDigits(double abs, long[] out) {
    ShortestDecimal.of(abs, out);
  }

  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    appendQuoted(sb, s);
    return sb.toString();
  }

  /** Appends {@code s} as Go's {@code strconv.Quote} renders it. */
  public static void appendQuoted(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '"' || cp == '\\') {
        sb.append('\\').append((char) cp);
      } else if (cp >= 0x20 && cp < 0x7f) {
        sb.append((char) cp);
      } else if (isPrint(cp)) {
        sb.appendCodePoint(cp);
      } else {
        appendEscape(sb, cp);
      }
    }
    sb.append('"');
  }

  private static void appendEscape(StringBuilder sb, int cp) {
    switch (cp) {
      case 0x07: sb.append("\\a"); return;
      case '\b': sb.append("\\b"); return;
      case '\f': sb.append("\\f"); return;
      case '\n': sb.append("\\n"); return;
      case '\r': sb.append("\\r"); return;
      case '\t': sb.append("\\t"); return;
      case 0x0b: sb.append("\\v"); return;
      default:
    }
    if (cp < ' ' || cp == 0x7f) {
      sb.append("\\x").append(HEX[cp >> 4]).append(HEX[cp & 0xf]);
      return;
    }
    if (Character.isSurrogate((char) cp) && cp < 0x10000) {
      // A lone surrogate is not a valid rune; Go quotes it as the replacement character.
      cp = 0xFFFD;
    }
    if (cp < 0x10000) {
      sb.append("\\u");
      for (int shift = 12; shift >= 0; shift -= 4) {
        sb.append(HEX[(cp >> shift) & 0xf]);
      }
    } else {
      sb.append("\\U");
      for (int shift = 28; shift >= 0; shift -= 4) {
        sb.append(HEX[(cp >> shift) & 0xf]);
      }
    }
  }

  /** Go's {@code unicode.IsPrint}: categories L, M, N, P, S and the ASCII space. */
  static boolean isPrint(int cp) {
    if (cp == ' ') {
      return true;
    }
    switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER:
      case Character.LOWERCASE_LETTER:
      case Character.TITLECASE_LETTER:
      case Character.MODIFIER_LETTER:
      case Character.OTHER_LETTER:
      case Character.NON_SPACING_MARK:
      case Character.ENCLOSING_MARK:
      case Character.COMBINING_SPACING_MARK:
      case Character.DECIMAL_DIGIT_NUMBER:
      case Character.LETTER_NUMBER:
      case Character.OTHER_NUMBER:
      case Character.CONNECTOR_PUNCTUATION:
      case Character.DASH_PUNCTUATION:
      case Character.START_PUNCTUATION:
      case Character.END_PUNCTUATION:
      case Character.INITIAL_QUOTE_PUNCTUATION:
      case Character.FINAL_QUOTE_PUNCTUATION:
      case Character.OTHER_PUNCTUATION:
      case Character.MATH_SYMBOL:
      case Character.CURRENCY_SYMBOL:
      case Character.MODIFIER_SYMBOL:
      case Character.OTHER_SYMBOL:
        return true;
      default:
        return false;
    }
  }

  public static String labelsString(Labels labels) {
    StringBuilder sb = new StringBuilder(64);
    appendLabels(sb, labels);
    return sb.toString();
  }

  /** Appends Prometheus's {@code labels.Labels.String()}: names raw, values Go-quoted. */
  public static void appendLabels(StringBuilder sb, Labels labels) {
    sb.append('{');
    for (int i = 0; i < labels.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(labels.name(i)).append('=');
      appendQuoted(sb, labels.value(i));
    }
    sb.append('}');
  }
}
