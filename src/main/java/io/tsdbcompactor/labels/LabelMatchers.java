package io.tsdbcompactor.labels;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A Prometheus series selector ({@code {job="api", env=~"prod|stage"}}, optionally preceded by a metric name)
 * as a list of label matchers, all of which must hold. Operators {@code =}, {@code !=}, {@code =~}, {@code !~};
 * regexes are anchored at both ends as Prometheus anchors them; a label that is absent has the value "".
 */
public final class LabelMatchers {
  /** One matcher: {@code name op "value"}. */
  public record Matcher(String name, String op, String value, Pattern regex) {
    public boolean matches(String actual) {
      String v = actual == null ? "" : actual;
      return switch (op) {
        case "=" -> v.equals(value);
        case "!=" -> !v.equals(value);
        case "=~" -> regex.matcher(v).matches();
        default -> !regex.matcher(v).matches();
      };
    }

    @Override
    public String toString() {
      return name + op + quote(value);
    }
  }

  private final List<Matcher> matchers;
  private final String text;

  private LabelMatchers(List<Matcher> matchers, String text) {
    this.matchers = List.copyOf(matchers);
    this.text = text;
  }

  public List<Matcher> matchers() {
    return matchers;
  }

  /** Whether every matcher holds for {@code labels}. */
  public boolean matches(Labels labels) {
    for (Matcher m : matchers) {
      if (!m.matches(labels.get(m.name))) {
        return false;
      }
    }
    return true;
  }

  /** Whether every matcher holds for a label map (e.g. a block's external labels). */
  public boolean matches(Map<String, String> labels) {
    for (Matcher m : matchers) {
      if (!m.matches(labels.get(m.name))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return text;
  }

  /**
   * Parses a selector. {@link IllegalArgumentException} naming the position on a syntax error, an invalid regex,
   * or a selector with no matcher at all.
   */
  public static LabelMatchers parse(String selector) {
    Parser p = new Parser(selector);
    List<Matcher> out = p.selector();
    return new LabelMatchers(out, selector.strip());
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private static final class Parser {
    final String s;
    int i;

    Parser(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("bad selector '" + s + "' at position " + i + ": " + what);
    }

    void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    List<Matcher> selector() {
      List<Matcher> out = new ArrayList<>();
      skipSpace();
      if (i < s.length() && s.charAt(i) != '{') {
        out.add(build("__name__", "=", name(true)));
        skipSpace();
      }
      if (i < s.length()) {
        expect('{');
        skipSpace();
        while (i < s.length() && s.charAt(i) != '}') {
          String name = name(false);
          skipSpace();
          String op = op();
          skipSpace();
          out.add(build(name, op, string()));
          skipSpace();
          if (i < s.length() && s.charAt(i) == ',') {
            i++;
            skipSpace();
          } else if (i < s.length() && s.charAt(i) != '}') {
            throw error("expected ',' or '}'");
          }
        }
        expect('}');
        skipSpace();
      }
      if (i != s.length()) {
        throw error("unexpected text after the selector");
      }
      if (out.isEmpty()) {
        throw error("no label matcher");
      }
      return out;
    }

    void expect(char c) {
      if (i >= s.length() || s.charAt(i) != c) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    String name(boolean metric) {
      int start = i;
      while (i < s.length()) {
        char c = s.charAt(i);
        boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (i > start && c >= '0' && c <= '9') || (metric && c == ':');
        if (!ok) {
          break;
        }
        i++;
      }
      if (i == start) {
        throw error("expected a label name");
      }
      return s.substring(start, i);
    }

    String op() {
      for (String op : new String[] {"=~", "!~", "!=", "="}) {
        if (s.startsWith(op, i)) {
          i += op.length();
          return op;
        }
      }
      throw error("expected one of =, !=, =~, !~");
    }

    String string() {
      if (i >= s.length() || (s.charAt(i) != '"' && s.charAt(i) != '\'' && s.charAt(i) != '`')) {
        throw error("expected a quoted value");
      }
      char q = s.charAt(i++);
      StringBuilder b = new StringBuilder();
      while (i < s.length() && s.charAt(i) != q) {
        char c = s.charAt(i++);
        if (c == '\\' && q != '`' && i < s.length()) {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            case '\\', '"', '\'' -> b.append(e);
            default -> throw error("unknown escape \\" + e);
          }
        } else {
          b.append(c);
        }
      }
      expect(q);
      return b.toString();
    }

    Matcher build(String name, String op, String value) {
      Pattern re = null;
      if (op.equals("=~") || op.equals("!~")) {
        try {
          re = Pattern.compile("^(?:" + value + ")$", Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
          throw error("invalid regex " + quote(value) + ": " + e.getDescription());
        }
      }
      return new Matcher(name, op, value, re);
    }
  }
}
