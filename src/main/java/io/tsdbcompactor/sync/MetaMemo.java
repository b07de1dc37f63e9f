package io.tsdbcompactor.sync;

import io.tsdbcompactor.bucket.ListEntry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The meta.json files and markers that earlier syncs of this process parsed, by object key, each with the
 * listing's time and size it was read at. A later sync whose listing shows the same time and size takes the
 * parsed object instead of reading and parsing the file again (Thanos's meta fetcher keeps its metas in memory
 * between syncs the same way).
 *
 * <p>Why: a run syncs again after each of its steps that acted, so that the next step sees what it wrote. On a
 * bucket of 100,000 blocks each sync otherwise reads and parses 100,000 meta.json files from the local cache; with
 * the memo only the listing and the new objects cost anything. It also hands out the same {@code BlockMeta} object
 * for an unchanged block, so per-group results keyed on those objects (the duplicate filter's) carry over between
 * syncs.
 *
 * <p>Parsed objects are shared between syncs and must not be changed (metas are read-only once synced). Entries of
 * blocks a listing no longer shows are dropped by {@link #retainBlocks}, so the memo holds what one sync holds.
 * Thread-safe: the syncs of a run, and a {@code --wait} process's background passes and block viewer, share one
 * memo.
 */
public final class MetaMemo {
  private record Entry(long lastModifiedMillis, long size, Object parsed) {}

  private final ConcurrentHashMap<String, Entry> byKey = new ConcurrentHashMap<>();

  /** What was parsed from {@code object} when the listing showed it as now, or null. */
  <T> T get(ListEntry object, Class<T> type) {
    Entry e = byKey.get(object.key());
    if (e == null || object.lastModified() == null || e.lastModifiedMillis != object.lastModified().toEpochMilli()
        || e.size != object.size() || !type.isInstance(e.parsed)) {
      return null;
    }
    return type.cast(e.parsed);
  }

  /** Remembers what {@code object} parsed to; objects without a time in the listing are not remembered. */
  void put(ListEntry object, Object parsed) {
    if (object.lastModified() != null) {
      byKey.put(object.key(), new Entry(object.lastModified().toEpochMilli(), object.size(), parsed));
    }
  }

  /** Forgets {@code object}'s entry (it no longer parses). */
  void forget(ListEntry object) {
    byKey.remove(object.key());
  }

  /** Keeps only the entries under the given block folders. */
  void retainBlocks(Set<String> ulids) {
    byKey.keySet().removeIf(k -> !ulids.contains(k.substring(0, Math.max(0, k.indexOf('/')))));
  }

  /** Objects remembered. */
  public int size() {
    return byKey.size();
  }
}
