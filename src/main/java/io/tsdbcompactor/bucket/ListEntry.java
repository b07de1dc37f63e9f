package io.tsdbcompactor.bucket;

import java.time.Instant;

/**
 * One listing result: an object (with size and last-modified time) or, in a non-recursive listing, a
 * sub-directory (key ending in {@code /}, size 0, time null).
 */
public record ListEntry(String key, long size, Instant lastModified) {

  public static ListEntry directory(String key) {
    return new ListEntry(key, 0, null);
  }

  public boolean isDirectory() {
    return key.endsWith("/");
  }
}
