package io.tsdbcompactor.block;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Random;

/**
 * A ULID as block directories are named: 48 bits of Unix milliseconds, then 80 random bits, written as 26
 * upper-case Crockford base32 characters (oklog/ulid). The string form sorts like the 128-bit value, so the
 * natural order of ULIDs is the order of their strings.
 */
public final class Ulid implements Comparable<Ulid> {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final byte[] DECODE = new byte[128];
  private static final SecureRandom SECURE = new SecureRandom();

  static {
    java.util.Arrays.fill(DECODE, (byte) -1);
    for (int i = 0; i < ALPHABET.length; i++) {
      DECODE[ALPHABET[i]] = (byte) i;
      DECODE[Character.toLowerCase(ALPHABET[i])] = (byte) i;
    }
  }

  private final long hi; // 48-bit time << 16 | top 16 random bits
  private final long lo; // low 64 random bits
  private final String text;

  private Ulid(long hi, long lo) {
    this.hi = hi;
    this.lo = lo;
    this.text = encode(hi, lo);
  }

  /** A new ULID for the given time, with cryptographically random entropy (as Prometheus's compactor uses). */
  public static Ulid generate(long unixMillis) {
    return generate(unixMillis, SECURE);
  }

  /** A ULID of the given time with random bits from {@code random}. */
  public static Ulid generate(long unixMillis, Random random) {
    if (unixMillis < 0 || unixMillis >= (1L << 48)) {
      throw new IllegalArgumentException("ULID time out of range: " + unixMillis);
    }
    long hi = (unixMillis << 16) | (random.nextInt() & 0xffffL);
    return new Ulid(hi, random.nextLong());
  }

  /** A new ULID for the clock's current time. */
  public static Ulid now(Clock clock) {
    return generate(clock.millis());
  }

  /** Parses a 26-character ULID (either case); {@link IllegalArgumentException} if it is not one. */
  public static Ulid parse(String s) {
    if (!isValid(s)) {
      throw new IllegalArgumentException("not a ULID: " + s);
    }
    long hi = 0;
    long lo = 0;
    // 26 chars * 5 bits = 130 bits; the first char holds only 3 significant bits.
    for (int i = 0; i < 26; i++) {
      long v = DECODE[s.charAt(i)];
      hi = (hi << 5) | (lo >>> 59);
      lo = (lo << 5) | v;
    }
    return new Ulid(hi, lo);
  }

  /** Whether {@code s} is a ULID, as Thanos's IsBlockDir decides which top-level names are blocks. */
  public static boolean isValid(String s) {
    if (s == null || s.length() != 26) {
      return false;
    }
    for (int i = 0; i < 26; i++) {
      char c = s.charAt(i);
      if (c >= 128 || DECODE[c] < 0) {
        return false;
      }
    }
    return DECODE[s.charAt(0)] <= 7; // larger first characters overflow 128 bits
  }

  /**
   * Reads {@code s} into {@code dst[at]} (high 64 bits) and {@code dst[at + 1]} when it is a ULID as Thanos writes
   * them: 26 upper-case characters. Whether it was; {@code dst} is unchanged when not. A lower-case spelling is
   * another string, so it is not read here: callers that compare sources as text keep it as text.
   */
  static boolean readCanonical(String s, long[] dst, int at) {
    if (s.length() != 26 || s.charAt(0) > '7') {
      return false;
    }
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 26; i++) {
      char c = s.charAt(i);
      int v = c < 128 ? DECODE[c] : -1;
      if (v < 0 || c >= 'a') {
        return false;
      }
      hi = (hi << 5) | (lo >>> 59);
      lo = (lo << 5) | v;
    }
    dst[at] = hi;
    dst[at + 1] = lo;
    return true;
  }

  /** The 26-character text of the ULID with these bits. */
  static String text(long hi, long lo) {
    return encode(hi, lo);
  }

  private static String encode(long hi, long lo) {
    char[] out = new char[26];
    long h = hi;
    long l = lo;
    for (int i = 25; i >= 0; i--) {
      out[i] = ALPHABET[(int) (l & 31)];
      l = (l >>> 5) | (h << 59);
      h >>>= 5;
    }
    return new String(out);
  }

  /** Milliseconds since the Unix epoch when this ULID was made. */
  public long timestamp() {
    return hi >>> 16;
  }

  @Override
  public int compareTo(Ulid o) {
    int c = Long.compareUnsigned(hi, o.hi);
    return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ulid && ((Ulid) o).hi == hi && ((Ulid) o).lo == lo;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(hi) * 31 + Long.hashCode(lo);
  }

  @Override
  public String toString() {
    return text;
  }
}
