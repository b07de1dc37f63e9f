package io.tsdbcompactor.block;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The list {@code compaction.sources} is parsed into: block ULIDs held as their 128 bits (16 bytes each, in one
 * array) rather than as Strings (about 72 bytes each, two objects). A bucket of 100,000 blocks lists about 14 million
 * sources; as Strings they were most of a sync's heap and of the collector's work, and comparing them in planning
 * cost a few cache misses each.
 *
 * <p>It is an ordinary mutable {@code List<String>}: {@link #get} spells the ULID (a new String each call). An
 * element that is not a ULID as Thanos writes them (26 upper-case Crockford base32 characters) is kept as its text,
 * so every string round-trips unchanged and compares as the text it is. {@link SourceTable} reads the bits
 * directly ({@link #isUlid}, {@link #hi}, {@link #lo}).
 *
 * <p>Lists whose contents are equal may share one array ({@link Interner}); a change copies it first.
 */
public final class SourceList extends AbstractList<String> implements RandomAccess {
  private static final long[] NO_BITS = new long[0];

  /** Two longs per element: high 64 bits, then low 64 bits; zero where the element is in {@link #others}. */
  private long[] bits = NO_BITS;
  /** Null while every element is a ULID; otherwise the text of each element that is not (null where it is). */
  private String[] others;
  private int size;
  /** Whether {@link #bits} may be seen by another list, so that a change must copy it first. */
  private boolean sharedBits;

  /** An empty list. */
  public SourceList() {}

  /** A list of these sources, in order. */
  public SourceList(Collection<String> sources) {
    if (sources instanceof SourceList l) {
      bits = Arrays.copyOf(l.bits, 2 * l.size);
      others = l.others == null ? null : Arrays.copyOf(l.others, l.size);
      size = l.size;
      return;
    }
    bits = new long[2 * sources.size()];
    for (String s : sources) {
      add(s);
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public String get(int index) {
    checkIndex(index, size);
    String other = otherAt(index);
    return other != null ? other : Ulid.text(bits[2 * index], bits[2 * index + 1]);
  }

  /** Whether element {@code index} is a ULID held as bits ({@link #hi}, {@link #lo}), not as text. */
  public boolean isUlid(int index) {
    checkIndex(index, size);
    return otherAt(index) == null;
  }

  /** The high 64 bits of the ULID at {@code index} (48 bits of time, 16 random bits); 0 when not a ULID. */
  public long hi(int index) {
    checkIndex(index, size);
    return bits[2 * index];
  }

  /** The low 64 random bits of the ULID at {@code index}; 0 when not a ULID. */
  public long lo(int index) {
    checkIndex(index, size);
    return bits[2 * index + 1];
  }

  @Override
  public String set(int index, String element) {
    Objects.requireNonNull(element, "sources are not null");
    String old = get(index);
    ownBits(size);
    write(index, element);
    return old;
  }

  @Override
  public void add(int index, String element) {
    Objects.requireNonNull(element, "sources are not null");
    checkIndex(index, size + 1);
    ownBits(size + 1);
    System.arraycopy(bits, 2 * index, bits, 2 * index + 2, 2 * (size - index));
    if (others != null) {
      System.arraycopy(others, index, others, index + 1, size - index);
      others[index] = null;
    }
    size++;
    modCount++;
    write(index, element);
  }

  @Override
  public String remove(int index) {
    String old = get(index);
    ownBits(size);
    System.arraycopy(bits, 2 * index + 2, bits, 2 * index, 2 * (size - index - 1));
    if (others != null) {
      System.arraycopy(others, index + 1, others, index, size - index - 1);
      others[size - 1] = null;
    }
    size--;
    bits[2 * size] = 0;
    bits[2 * size + 1] = 0;
    modCount++;
    return old;
  }

  @Override
  public void clear() {
    if (sharedBits) {
      bits = NO_BITS;
      sharedBits = false;
    } else {
      Arrays.fill(bits, 0, 2 * size, 0);
    }
    others = null;
    size = 0;
    modCount++;
  }

  @Override
  public int indexOf(Object o) {
    if (!(o instanceof String s)) {
      return -1;
    }
    long[] key = new long[2];
    boolean ulid = Ulid.readCanonical(s, key, 0);
    for (int i = 0; i < size; i++) {
      String other = otherAt(i);
      if (ulid ? other == null && bits[2 * i] == key[0] && bits[2 * i + 1] == key[1] : s.equals(other)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public boolean contains(Object o) {
    return indexOf(o) >= 0;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SourceList l)) {
      return super.equals(o);
    }
    if (l.size != size) {
      return false;
    }
    if (l.bits == bits && l.others == null && others == null) {
      return true; // one array shared (Interner, sharingCopy): a change would have copied it
    }
    for (int i = 0; i < 2 * size; i++) {
      if (bits[i] != l.bits[i]) {
        return false;
      }
    }
    for (int i = 0; i < size; i++) {
      String a = otherAt(i);
      String b = l.otherAt(i);
      if (a == null ? b != null : !a.equals(b)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return super.hashCode(); // List's contract: from the elements' String hashes
  }

  /**
   * A copy that shares this list's array until either list is changed (then the one changed copies it): what a
   * run's report keeps of each block's sources, without spelling millions of ULIDs as Strings.
   */
  public SourceList sharingCopy() {
    SourceList copy = new SourceList();
    copy.bits = bits;
    copy.size = size;
    copy.others = others == null ? null : Arrays.copyOf(others, size);
    copy.sharedBits = true;
    sharedBits = true;
    return copy;
  }

  private String otherAt(int index) {
    return others == null ? null : others[index];
  }

  /** Stores {@code element} at {@code index}, a slot that exists and whose bits this list owns. */
  private void write(int index, String element) {
    if (Ulid.readCanonical(element, bits, 2 * index)) {
      if (others != null) {
        others[index] = null;
      }
      return;
    }
    bits[2 * index] = 0;
    bits[2 * index + 1] = 0;
    if (others == null) {
      others = new String[Math.max(size, bits.length / 2)];
    }
    others[index] = element;
  }

  /** Makes {@link #bits} this list's own and room for {@code capacity} elements. */
  private void ownBits(int capacity) {
    if (sharedBits || 2 * capacity > bits.length) {
      int length = 2 * capacity > bits.length ? Math.max(2 * capacity, bits.length + (bits.length >> 1)) : bits.length;
      bits = Arrays.copyOf(bits, length);
      sharedBits = false;
    }
    if (others != null && others.length < capacity) {
      others = Arrays.copyOf(others, bits.length / 2);
    }
  }

  private static void checkIndex(int index, int length) {
    if (index < 0 || index >= length) {
      throw new IndexOutOfBoundsException("index " + index + ", size " + length);
    }
  }

  /**
   * Shares one array among lists of equal ULIDs, as a sync does for a bucket in which a 14-day block's sources are
   * listed again by its 5m and 1h copies. Safe for several threads at once.
   */
  public static final class Interner {
    private final ConcurrentHashMap<Key, long[]> arrays;

    /** An interner sized for about {@code expectedLists} distinct lists. */
    public Interner(int expectedLists) {
      arrays = new ConcurrentHashMap<>(Math.max(16, expectedLists));
    }

    /** Lets {@code list} share the array of an equal list seen before; lists holding text are left alone. */
    public void intern(SourceList list) {
      if (list.others != null || list.size == 0) {
        return;
      }
      if (list.bits.length != 2 * list.size) {
        list.bits = Arrays.copyOf(list.bits, 2 * list.size);
      }
      list.sharedBits = true; // from now on the interner's map holds the array too
      long[] shared = arrays.putIfAbsent(new Key(list.bits), list.bits);
      if (shared != null) {
        list.bits = shared;
      }
    }
  }

  /** A map key over an array of exactly the list's bits, compared by content. */
  private record Key(long[] bits) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(bits, k.bits);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bits);
    }
  }
}
