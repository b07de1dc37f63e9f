package io.tsdbcompactor.block;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;

/**
 * A hash table keyed by block ULIDs, each with an int value: the sets and indexes of {@code compaction.sources}
 * that planning builds over a whole bucket (its downsampling and retention coverage, the duplicate filter's index).
 * A bucket of 100,000 blocks lists about 14 million sources, so the table is flat: each slot is the ULID's two longs
 * and an int value in arrays (open addressing, linear probing), an insert allocates nothing, and a probe reads one
 * slot's bits without following a reference. Keys come as Strings or, without spelling them, as elements of a
 * {@link SourceList} (the {@code (List, index)} methods).
 *
 * <p>Keys compare as the text they are: a key that is not a ULID as Thanos writes them (26 upper-case characters)
 * is kept in a side map by its text, so {@code "01arz..."} and {@code "01ARZ..."} are two keys, as the Strings are.
 *
 * <p>Not safe for use by several threads at once.
 */
public final class SourceTable {
  private static final int EMPTY = -1;

  /** Per slot, the ULID's high then low 64 bits. */
  private long[] keys;
  /** Per slot, its value, or {@link #EMPTY}. */
  private int[] values;
  private int ulids;
  /** 64 - log2(slots): the slot is the top bits of the mixed key. */
  private int shift;
  /** Keys that are not canonical ULIDs, by their text; null until there is one. */
  private HashMap<String, Integer> others;
  /** Scratch for reading a String key's bits. */
  private final long[] read = new long[2];

  /** An empty table sized for about {@code expected} keys. */
  public SourceTable(int expected) {
    allocate(Integer.highestOneBit(Math.max(8, expected + (expected >> 1)) - 1) << 1);
  }

  /** An empty table. */
  public SourceTable() {
    this(8);
  }

  /** Number of keys. */
  public int size() {
    return ulids + (others == null ? 0 : others.size());
  }

  /** Adds {@code source} (value 0 when it is new); whether it was new. */
  public boolean add(String source) {
    return putIfAbsent(source, 0) < 0;
  }

  /** Adds every one of {@code sources}. */
  public void addAll(Collection<String> sources) {
    if (sources instanceof SourceList l) {
      for (int i = 0; i < l.size(); i++) {
        putIfAbsent(l, i, 0);
      }
    } else {
      for (String s : sources) {
        putIfAbsent(s, 0);
      }
    }
  }

  /** Whether {@code source} is in the table. */
  public boolean contains(String source) {
    return get(source) >= 0;
  }

  /** Whether element {@code index} of {@code sources} is in the table. */
  public boolean contains(List<String> sources, int index) {
    return get(sources, index) >= 0;
  }

  /** Whether every one of {@code sources} is in the table. */
  public boolean containsAll(Collection<String> sources) {
    if (sources instanceof SourceList l) {
      for (int i = 0; i < l.size(); i++) {
        if (get(l, i) < 0) {
          return false;
        }
      }
      return true;
    }
    for (String s : sources) {
      if (!contains(s)) {
        return false;
      }
    }
    return true;
  }

  /** The value of {@code source}, or -1 when it is not in the table. Values are at least 0. */
  public int get(String source) {
    if (!Ulid.readCanonical(source, read, 0)) {
      return otherValue(source);
    }
    return values[find(read[0], read[1])];
  }

  /** The value of element {@code index} of {@code sources}, or -1 when it is not in the table. */
  public int get(List<String> sources, int index) {
    if (sources instanceof SourceList l && l.isUlid(index)) {
      return values[find(l.hi(index), l.lo(index))];
    }
    return get(sources.get(index));
  }

  /** Sets the value of {@code source} (at least 0); the previous value, or -1 when it was not in the table. */
  public int put(String source, int value) {
    return store(source, value, true);
  }

  /** Sets the value of element {@code index} of {@code sources}; the previous value, or -1. */
  public int put(List<String> sources, int index, int value) {
    return store(sources, index, value, true);
  }

  /** Adds {@code source} with {@code value} (at least 0) unless present; the present value, or -1 when added. */
  public int putIfAbsent(String source, int value) {
    return store(source, value, false);
  }

  /** Adds element {@code index} of {@code sources} with {@code value} unless present; as {@link #putIfAbsent}. */
  public int putIfAbsent(List<String> sources, int index, int value) {
    return store(sources, index, value, false);
  }

  private int store(List<String> sources, int index, int value, boolean replace) {
    if (sources instanceof SourceList l && l.isUlid(index)) {
      checkValue(value);
      return insert(l.hi(index), l.lo(index), value, replace);
    }
    return store(sources.get(index), value, replace);
  }

  private int store(String source, int value, boolean replace) {
    checkValue(value);
    if (!Ulid.readCanonical(source, read, 0)) {
      return otherInsert(source, value, replace);
    }
    return insert(read[0], read[1], value, replace);
  }

  private static void checkValue(int value) {
    if (value < 0) {
      throw new IllegalArgumentException("values are at least 0, got " + value);
    }
  }

  private int insert(long hi, long lo, int value, boolean replace) {
    int slot = find(hi, lo);
    int old = values[slot];
    if (old != EMPTY) {
      if (replace) {
        values[slot] = value;
      }
      return old;
    }
    keys[2 * slot] = hi;
    keys[2 * slot + 1] = lo;
    values[slot] = value;
    if (++ulids * 4 > values.length * 3) {
      grow();
    }
    return -1;
  }

  /** The slot holding the ULID, or the empty slot where it would go. */
  private int find(long hi, long lo) {
    int mask = values.length - 1;
    // The low bits are random; mixing in the high ones spreads ULIDs made with little randomness (tests) too.
    int slot = (int) (((hi * 0x9E3779B97F4A7C15L) ^ lo) * 0xC2B2AE3D27D4EB4FL >>> shift);
    while (values[slot] != EMPTY && (keys[2 * slot] != hi || keys[2 * slot + 1] != lo)) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private int otherValue(String source) {
    Integer v = others == null ? null : others.get(source);
    return v == null ? -1 : v;
  }

  private int otherInsert(String source, int value, boolean replace) {
    if (others == null) {
      others = new HashMap<>();
    }
    Integer old = replace ? others.put(source, value) : others.putIfAbsent(source, value);
    return old == null ? -1 : old;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    allocate(oldValues.length * 2);
    for (int i = 0; i < oldValues.length; i++) {
      if (oldValues[i] != EMPTY) {
        int slot = find(oldKeys[2 * i], oldKeys[2 * i + 1]);
        keys[2 * slot] = oldKeys[2 * i];
        keys[2 * slot + 1] = oldKeys[2 * i + 1];
        values[slot] = oldValues[i];
      }
    }
  }

  private void allocate(int slots) {
    keys = new long[2 * slots];
    values = new int[slots];
    java.util.Arrays.fill(values, EMPTY);
    shift = Long.numberOfLeadingZeros(slots) + 1;
  }
}
