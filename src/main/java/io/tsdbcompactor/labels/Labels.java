package io.tsdbcompactor.labels;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * An immutable label set, sorted by name. Ordering and equality follow Prometheus: strings compare by their
 * UTF-8 bytes (which is code point order, not Java's UTF-16 order), label sets compare name by name, then value
 * by value, and a shorter set that is a prefix of a longer one sorts first.
 */
public final class Labels implements Comparable<Labels> {
  /** The empty label set. */
  public static final Labels EMPTY = new Labels(new String[0], new String[0]);

  private final String[] names;
  private final String[] values;
  private int hash;

  private Labels(String[] names, String[] values) {
    this.names = names;
    this.values = values;
  }

  /** Labels from alternating name, value arguments; sorts them and rejects duplicate names. */
  public static Labels of(String... nameValues) {
    if (nameValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must come in pairs");
    }
    Builder b = new Builder();
    for (int i = 0; i < nameValues.length; i += 2) {
      b.add(nameValues[i], nameValues[i + 1]);
    }
    return b.build();
  }

  /** The labels of a map, sorted by name. */
  public static Labels fromMap(Map<String, String> map) {
    Builder b = new Builder();
    map.forEach(b::add);
    return b.build();
  }

  /** Wraps arrays that are already sorted by name with unique names (as read from an index). */
  public static Labels ofSorted(String[] names, String[] values) {
    return new Labels(names, values);
  }

  /** The number of labels. */
  public int size() {
    return names.length;
  }

  /**
   * The characters of all names and values: about what holding the set costs, for work that bounds the series it
   * holds at once by size (a label value may be megabytes long).
   */
  public long textLength() {
    long n = 0;
    for (int i = 0; i < names.length; i++) {
      n += names[i].length() + values[i].length();
    }
    return n;
  }

  /** The name of the {@code i}th label in name order. */
  public String name(int i) {
    return names[i];
  }

  /** The value of the {@code i}th label in name order. */
  public String value(int i) {
    return values[i];
  }

  /** The value of a label, or null if absent. */
  public String get(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return values[i];
      }
    }
    return null;
  }

  /** These labels without the named ones. */
  public Labels without(String... drop) {
    Builder b = new Builder();
    outer:
    for (int i = 0; i < names.length; i++) {
      for (String d : drop) {
        if (names[i].equals(d)) {
          continue outer;
        }
      }
      b.add(names[i], values[i]);
    }
    return b.build();
  }

  /** The labels as a map sorted by name. */
  public Map<String, String> toMap() {
    Map<String, String> m = new java.util.TreeMap<>(Labels::compareStrings);
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], values[i]);
    }
    return m;
  }

  /** Compares two strings by their UTF-8 byte sequences, as Go compares strings. */
  public static int compareStrings(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char ca = a.charAt(i);
      char cb = b.charAt(i);
      if (ca != cb) {
        // UTF-16 order and code point order differ only where a surrogate meets a char above U+D7FF.
        if (Character.isSurrogate(ca) || Character.isSurrogate(cb)) {
          return Integer.compare(a.codePointAt(i), b.codePointAt(i));
        }
        return Character.compare(ca, cb);
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  /** Compares two UTF-8 byte arrays as unsigned bytes. */
  public static int compareBytes(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  @Override
  public int compareTo(Labels o) {
    int n = Math.min(names.length, o.names.length);
    for (int i = 0; i < n; i++) {
      int c = compareStrings(names[i], o.names[i]);
      if (c != 0) {
        return c;
      }
      c = compareStrings(values[i], o.values[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(names.length, o.names.length);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Labels)) {
      return false;
    }
    Labels l = (Labels) o;
    return Arrays.equals(names, l.names) && Arrays.equals(values, l.values);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * Arrays.hashCode(names) + Arrays.hashCode(values);
      hash = h;
    }
    return h;
  }

  /** A plain rendering for logs: {a="b", c="d"} without Go quoting rules. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(names[i]).append("=\"").append(values[i]).append('"');
    }
    return sb.append('}').toString();
  }

  /** The UTF-8 bytes of a string, as label strings are stored and compared. */
  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Collects labels in any order and sorts them. */
  public static final class Builder {
    private final List<String[]> pairs = new ArrayList<>();

    public Builder add(String name, String value) {
      pairs.add(new String[] {name, value});
      return this;
    }

    public Labels build() {
      pairs.sort((x, y) -> compareStrings(x[0], y[0]));
      String[] n = new String[pairs.size()];
      String[] v = new String[pairs.size()];
      for (int i = 0; i < n.length; i++) {
        n[i] = pairs.get(i)[0];
        v[i] = pairs.get(i)[1];
        if (i > 0 && n[i].equals(n[i - 1])) {
          throw new IllegalArgumentException("duplicate label name " + n[i]);
        }
      }
      return new Labels(n, v);
    }
  }
}
