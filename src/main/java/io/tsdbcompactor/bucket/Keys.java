package io.tsdbcompactor.bucket;

import io.tsdbcompactor.labels.Labels;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;

/** Key checks and the listing rule shared by the buckets that list from a sorted key set. */
final class Keys {
  private Keys() {}

  /** Rejects keys that could escape a directory bucket or that S3 would treat differently. */
  static String check(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
      throw new IllegalArgumentException("invalid object key '" + key + "'");
    }
    for (String part : key.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException("invalid object key '" + key + "'");
      }
    }
    return key;
  }

  /**
   * A key strictly between {@code low} and {@code high} in UTF-8 byte order (S3's, {@link Labels#compareStrings}),
   * about half way at the first character where they differ; {@code high} null is the end of the key space. Null
   * when there is no room or the keys differ at a character past ASCII, where the cut would have to guess an
   * encoding.
   *
   * <p>The cut is a prefix of {@code low} and one ASCII character, so an ASCII key (every block's) sorts against
   * it the same way in S3's byte order and in Java's UTF-16 order.
   */
  static String cutBetween(String low, String high) {
    int i = 0;
    if (high != null) {
      int n = Math.min(low.length(), high.length());
      while (i < n && low.charAt(i) == high.charAt(i)) {
        i++;
      }
      if (i == high.length() || (i < low.length() && low.charAt(i) > high.charAt(i))) {
        return null; // high <= low
      }
    }
    int top = high == null ? 0x80 : Math.min(high.charAt(i), 0x80);
    for (int j = i; j <= low.length(); j++) {
      int bottom = j < low.length() ? Math.max(low.charAt(j), ' ') : ' ' - 1;
      if (top - bottom >= 2) {
        return low.substring(0, j) + (char) ((bottom + top) >>> 1);
      }
      if (j == low.length() || low.charAt(j) >= 0x80) {
        return null;
      }
      top = 0x80; // low's prefix up to j already sorts below high
    }
    return null;
  }

  /** Lists a sorted map of key to entry as {@link Bucket#list(String, boolean, Bucket.ListVisitor)} does. */
  static void list(NavigableMap<String, ListEntry> sorted, String prefix, boolean recursive, Bucket.ListVisitor visitor)
      throws java.io.IOException {
    String dir = Bucket.dirPrefix(prefix);
    NavigableMap<String, ListEntry> tail = dir.isEmpty() ? sorted : sorted.tailMap(dir, true);
    String lastDir = null;
    for (Iterator<Map.Entry<String, ListEntry>> it = tail.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, ListEntry> e = it.next();
      String key = e.getKey();
      if (!key.startsWith(dir)) {
        break;
      }
      if (!recursive) {
        int slash = key.indexOf('/', dir.length());
        if (slash >= 0) {
          String sub = key.substring(0, slash + 1);
          if (!sub.equals(lastDir)) {
            lastDir = sub;
            if (!visitor.visit(ListEntry.directory(sub))) {
              return;
            }
          }
          continue;
        }
      }
      if (!visitor.visit(e.getValue())) {
        return;
      }
    }
  }
}
