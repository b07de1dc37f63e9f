package io.tsdbcompactor.block;

import java.util.Collection;

/**
 * A hash table keyed by block ULIDs, each with an int value: the sets and indexes of {@code compaction.sources}
 * that planning builds over a whole bucket (its downsampling and retention coverage, the duplicate filter's index).
 * A bucket of 100,000 blocks lists about 14 million sources; in {@code HashSet}s each cost an entry object, and
 * building them dominated a plan's time. Here the keys, their hashes and the values are three flat arrays (open
 * addressing, linear probing): an insert allocates nothing, and a probe compares the stored hash before it
 * touches a key. The sync shares one String per distinct source, whose hash the JVM computes once, so a lookup
 * costs no hashing and usually a reference comparison.
 *
 * <p>Not safe for use by several threads at once.
 */
public final class SourceTable {
  private String[] keys;
  private int[] hashes;
  private int[] values;
  private int size;
  /** 32 - log2(capacity): Fibonacci hashing takes the product's top bits, which every bit of the hash reaches. */
  private int shift;

  /** An empty table sized for about {@code expected} keys. */
  public SourceTable(int expected) {
    allocate(Integer.highestOneBit(Math.max(8, expected) * 2 - 1) << 1);
  }

  /** An empty table. */
  public SourceTable() {
    this(8);
  }

  /** Number of keys. */
  public int size() {
    return size;
  }

  /** Adds {@code source} (value 0 when it is new); whether it was new. */
  public boolean add(String source) {
    return putIfAbsent(source, 0) < 0;
  }

  /** Adds every one of {@code sources}. */
  public void addAll(Collection<String> sources) {
    for (String s : sources) {
      putIfAbsent(s, 0);
    }
  }

  /** Whether {@code source} is in the table. */
  public boolean contains(String source) {
    return keys[find(source, source.hashCode())] != null;
  }

  /** Whether every one of {@code sources} is in the table. */
  public boolean containsAll(Collection<String> sources) {
    for (String s : sources) {
      if (!contains(s)) {
        return false;
      }
    }
    return true;
  }

  /** The value of {@code source}, or -1 when it is not in the table. Values are at least 0. */
  public int get(String source) {
    int slot = find(source, source.hashCode());
    return keys[slot] != null ? values[slot] : -1;
  }

  /** Sets the value of {@code source} (at least 0); the previous value, or -1 when it was not in the table. */
  public int put(String source, int value) {
    return insert(source, value, true);
  }

  /** Adds {@code source} with {@code value} (at least 0) unless present; the present value, or -1 when added. */
  public int putIfAbsent(String source, int value) {
    return insert(source, value, false);
  }

  private int insert(String source, int value, boolean replace) {
    if (value < 0) {
      throw new IllegalArgumentException("values are at least 0, got " + value);
    }
    int hash = source.hashCode();
    int slot = find(source, hash);
    if (keys[slot] != null) {
      int old = values[slot];
      if (replace) {
        values[slot] = value;
      }
      return old;
    }
    keys[slot] = source;
    hashes[slot] = hash;
    values[slot] = value;
    if (++size * 2 > keys.length) {
      grow();
    }
    return -1;
  }

  /** The slot holding {@code key}, or the empty slot where it would go. */
  private int find(String key, int hash) {
    int mask = keys.length - 1;
    int slot = hash * 0x9E3779B9 >>> shift;
    String k;
    while ((k = keys[slot]) != null && (hashes[slot] != hash || (k != key && !k.equals(key)))) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private void grow() {
    String[] oldKeys = keys;
    int[] oldHashes = hashes;
    int[] oldValues = values;
    allocate(oldKeys.length * 2);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        int slot = find(oldKeys[i], oldHashes[i]);
        keys[slot] = oldKeys[i];
        hashes[slot] = oldHashes[i];
        values[slot] = oldValues[i];
      }
    }
  }

  private void allocate(int capacity) {
    keys = new String[capacity];
    hashes = new int[capacity];
    values = new int[capacity];
    shift = Integer.numberOfLeadingZeros(capacity) + 1;
  }
}
