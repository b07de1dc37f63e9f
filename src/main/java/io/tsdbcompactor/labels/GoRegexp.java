package io.tsdbcompactor.labels;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A Go (RE2) regular expression run on {@link java.util.regex}, matched against a whole string as Prometheus anchors
 * its relabel regexes ({@code ^(?:re)$}), with Go's template expansion ({@code Regexp.Expand}).
 *
 * <p>Where the two syntaxes differ, the Go meaning is kept: {@code (?P<name>...)} named groups (any word
 * characters in the name, which Java's group names do not allow), {@code [[:alpha:]]} POSIX classes, {@code [},
 * {@code &&} and a leading {@code ]} as literals inside a class, {@code .} excluding only {@code \n}, and
 * case-insensitive matching by Unicode case folding. Go's ungreedy flag {@code (?U)} has no Java counterpart and is
 * refused. Submatches are the same as RE2's: both prefer alternatives and repetitions as Perl's backtracking does.
 */
final class GoRegexp {
  private static final Map<String, String> POSIX_CLASSES = Map.ofEntries(
      Map.entry("alnum", "\\p{Alnum}"), Map.entry("alpha", "\\p{Alpha}"), Map.entry("ascii", "\\p{ASCII}"),
      Map.entry("blank", "\\p{Blank}"), Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("digit", "\\p{Digit}"),
      Map.entry("graph", "\\p{Graph}"), Map.entry("lower", "\\p{Lower}"), Map.entry("print", "\\p{Print}"),
      Map.entry("punct", "\\p{Punct}"), Map.entry("space", "\\s"), Map.entry("upper", "\\p{Upper}"),
      Map.entry("word", "\\w"), Map.entry("xdigit", "\\p{XDigit}"));

  private final String source;
  private final Pattern pattern;
  /** Go group name → Java group number (the first group of that name, as Go's Expand takes the first). */
  private final Map<String, Integer> names;

  private GoRegexp(String source, Pattern pattern, Map<String, Integer> names) {
    this.source = source;
    this.pattern = pattern;
    this.names = names;
  }

  /** Compiles {@code re}; {@link IllegalArgumentException} saying what is wrong with it. */
  static GoRegexp compile(String re) {
    Map<String, Integer> names = new HashMap<>();
    String java = translate(re, names);
    try {
      return new GoRegexp(re, Pattern.compile(java, Pattern.UNIX_LINES | Pattern.UNICODE_CASE), Map.copyOf(names));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("invalid regex \"" + re + "\": " + e.getDescription());
    }
  }

  /** The expression as written. */
  String source() {
    return source;
  }

  /** Whether the expression matches all of {@code s}. */
  boolean matches(CharSequence s) {
    return pattern.matcher(s).matches();
  }

  /** A matcher over all of {@code s} if the expression matches it, else null. */
  Matcher match(CharSequence s) {
    Matcher m = pattern.matcher(s);
    return m.matches() ? m : null;
  }

  /**
   * {@code template} with {@code $1}, {@code ${1}}, {@code $name}, {@code ${name}} replaced by the groups of
   * {@code m}, as Go's {@code Regexp.Expand}: a name is the longest run of letters, digits and underscores (so
   * {@code $1x} is the group named "1x", empty), a group that does not exist or did not take part is empty,
   * {@code $$} is a literal {@code $}, and a {@code $} not followed by a name is kept as it is.
   */
  String expand(String template, Matcher m) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    int n = template.length();
    while (i < n) {
      int dollar = template.indexOf('$', i);
      if (dollar < 0) {
        out.append(template, i, n);
        break;
      }
      out.append(template, i, dollar);
      i = dollar + 1;
      if (i < n && template.charAt(i) == '$') {
        out.append('$');
        i++;
        continue;
      }
      String name;
      int end;
      if (i < n && template.charAt(i) == '{') {
        int close = template.indexOf('}', i + 1);
        name = close < 0 ? "" : template.substring(i + 1, close);
        end = close + 1;
        if (close < 0 || name.isEmpty() || wordLength(name, 0) != name.length()) {
          out.append('$');
          continue;
        }
      } else {
        int len = wordLength(template, i);
        if (len == 0) {
          out.append('$');
          continue;
        }
        name = template.substring(i, i + len);
        end = i + len;
      }
      i = end;
      int group = groupNumber(name);
      if (group >= 0 && group <= m.groupCount() && m.start(group) >= 0) {
        out.append(m.group(group));
      }
    }
    return out.toString();
  }

  /** Go's reading of a name as a group: all digits without a leading zero is a number, else a named group. */
  private int groupNumber(String name) {
    int num = 0;
    for (int k = 0; k < name.length(); k++) {
      char c = name.charAt(k);
      if (c < '0' || c > '9' || num >= 100_000_000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.length() > 1 && name.charAt(0) == '0') {
      num = -1;
    }
    if (num >= 0) {
      return num;
    }
    Integer g = names.get(name);
    return g == null ? -1 : g;
  }

  /** The length of the run of word characters (letters, digits, '_', as Go's Expand counts them) at {@code from}. */
  private static int wordLength(String s, int from) {
    int k = from;
    while (k < s.length()) {
      int cp = s.codePointAt(k);
      if (cp != '_' && !Character.isLetter(cp) && !Character.isDigit(cp)) {
        break;
      }
      k += Character.charCount(cp);
    }
    return k - from;
  }

  /** Rewrites Go syntax to Java syntax with the same meaning, numbering capturing groups as both number them. */
  private static String translate(String re, Map<String, Integer> names) {
    StringBuilder out = new StringBuilder(re.length() + 8);
    int groups = 0;
    int i = 0;
    int n = re.length();
    while (i < n) {
      char c = re.charAt(i);
      if (c == '\\') {
        i = copyEscape(re, i, out);
      } else if (c == '[') {
        i = copyClass(re, i, out);
      } else if (c == '(') {
        if (re.startsWith("(?P<", i) || (re.startsWith("(?<", i) && !re.startsWith("(?<=", i) && !re.startsWith("(?<!", i))) {
          int nameStart = re.indexOf('<', i) + 1;
          int close = re.indexOf('>', nameStart);
          if (close < 0 || close == nameStart || wordLength(re, nameStart) != close - nameStart) {
            throw new IllegalArgumentException("invalid regex \"" + re + "\": invalid named capture at position " + i);
          }
          groups++;
          String name = re.substring(nameStart, close);
          if (names.putIfAbsent(name, groups) != null) {
            throw new IllegalArgumentException("invalid regex \"" + re + "\": duplicate capture group name " + name);
          }
          out.append('(');
          i = close + 1;
        } else if (re.startsWith("(?", i)) {
          int k = i + 2;
          while (k < n && re.charAt(k) != ':' && re.charAt(k) != ')') {
            if (re.charAt(k) == 'U') {
              throw new IllegalArgumentException("invalid regex \"" + re + "\": the ungreedy flag U is not supported");
            }
            k++;
          }
          out.append("(?");
          i += 2;
        } else {
          groups++;
          out.append('(');
          i++;
        }
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /** Copies one escape ({@code \x}, or a whole {@code \Q...\E}); returns the index after it. */
  private static int copyEscape(String re, int i, StringBuilder out) {
    if (i + 1 >= re.length()) {
      throw new IllegalArgumentException("invalid regex \"" + re + "\": trailing backslash");
    }
    if (re.charAt(i + 1) == 'Q') {
      int end = re.indexOf("\\E", i + 2);
      String literal = end < 0 ? re.substring(i + 2) : re.substring(i + 2, end);
      out.append(Pattern.quote(literal));
      return end < 0 ? re.length() : end + 2;
    }
    out.append(re, i, i + 2);
    return i + 2;
  }

  /** Copies a character class with Go's meaning; returns the index after its closing {@code ]}. */
  private static int copyClass(String re, int i, StringBuilder out) {
    int n = re.length();
    out.append('[');
    int k = i + 1;
    if (k < n && re.charAt(k) == '^') {
      out.append('^');
      k++;
    }
    boolean first = true;
    while (k < n) {
      char c = re.charAt(k);
      if (c == ']' && !first) {
        out.append(']');
        return k + 1;
      }
      first = false;
      if (c == '\\') {
        k = copyEscape(re, k, out);
      } else if (c == '[' && re.startsWith("[:", k)) {
        int close = re.indexOf(":]", k + 2);
        String name = close < 0 ? null : re.substring(k + 2, close);
        boolean negated = name != null && name.startsWith("^");
        String cls = name == null ? null : POSIX_CLASSES.get(negated ? name.substring(1) : name);
        if (cls == null) {
          throw new IllegalArgumentException("invalid regex \"" + re + "\": invalid character class range at position " + k);
        }
        out.append(negated ? "[^" + cls + "]" : cls);
        k = close + 2;
      } else if (c == '[' || c == '&' || c == ']') {
        out.append('\\').append(c); // literals in Go, nesting or intersection in Java
        k++;
      } else {
        out.append(c);
        k++;
      }
    }
    throw new IllegalArgumentException("invalid regex \"" + re + "\": missing closing ]");
  }

  @Override
  public String toString() {
    return source;
  }
}
