package io.tsdbcompactor.bucket;

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
