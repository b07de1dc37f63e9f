package io.tsdbcompactor.store;

/**
 * Go's variable-length integers, the one implementation every format uses: {@code uvarint} (LEB128: seven bits a
 * byte, least significant group first, the top bit set on every byte but the last) and {@code varint} (zig-zag
 * on top of uvarint, so that small negative numbers stay short). See Go's {@code encoding/binary/varint.go}
 * (https://github.com/golang/go/blob/master/src/encoding/binary/varint.go).
 *
 * <p>The overflow rule is Go's {@code binary.Uvarint}: at most {@link #MAX_LEN64} bytes, and the tenth may only
 * hold the top bit of the value (0 or 1); anything longer or larger is damage, not a value. Go accepts
 * non-minimal encodings (a zero written as {@code 80 00}), and so do we.
 *
 * <p>Readers and writers get the codec by implementing {@link Input} or {@link Output} over their own byte
 * source (a file section, a chunk's bit stream, a growable buffer): one loop, no boxing, no allocation.
 */
public final class Varint {
  /** The longest uvarint of a 64-bit value (Go's {@code binary.MaxVarintLen64}). */
  public static final int MAX_LEN64 = 10;
  /** The longest uvarint of a 32-bit value (Go's {@code binary.MaxVarintLen32}). */
  public static final int MAX_LEN32 = 5;

  private Varint() {}

  /** Number of bytes the uvarint of {@code v} takes (1 to 10). */
  public static int uvarintSize(long v) {
    int n = 1;
    while ((v & ~0x7fL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  /** The zig-zag mapping varint applies before uvarint: 0, -1, 1, -2, ... become 0, 1, 2, 3, ... */
  public static long zigZag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  /** The inverse of {@link #zigZag}. */
  public static long unZigZag(long ux) {
    return (ux >>> 1) ^ -(ux & 1);
  }

  /** A byte source that reads varints: implement {@link #readByte}, {@link #byteOffset} and {@link #corrupt}. */
  public interface Input {
    /** The next byte, 0..255; the source's own bounds check ends a truncated varint. */
    int readByte() throws CorruptDataException;

    /** Where the next byte is, for error messages. */
    long byteOffset();

    CorruptDataException corrupt(long at, String problem);

    /** Go's {@code binary.Uvarint}; more than ten bytes, or a tenth byte above 1, is a {@link CorruptDataException}. */
    default long readUvarint() throws CorruptDataException {
      long at = byteOffset();
      long x = 0;
      int shift = 0;
      for (int i = 0; i < MAX_LEN64; i++) {
        int b = readByte();
        if (b < 0x80) {
          if (i == MAX_LEN64 - 1 && b > 1) {
            break;
          }
          return x | ((long) b << shift);
        }
        x |= (long) (b & 0x7f) << shift;
        shift += 7;
      }
      throw corrupt(at, "uvarint overflows 64 bits");
    }

    /** Go's {@code binary.Varint}: zig-zag on top of {@link #readUvarint}. */
    default long readVarint() throws CorruptDataException {
      return unZigZag(readUvarint());
    }
  }

  /** A byte sink that writes varints: implement {@link #writeByte}. */
  public interface Output {
    /** Appends the low eight bits of {@code b}. */
    void writeByte(int b);

    /** Go's {@code binary.PutUvarint}: the minimal encoding, 1 to 10 bytes. */
    default void writeUvarint(long v) {
      while ((v & ~0x7fL) != 0) {
        writeByte((int) (v & 0x7f) | 0x80);
        v >>>= 7;
      }
      writeByte((int) v);
    }

    /** Go's {@code binary.PutVarint}. */
    default void writeVarint(long v) {
      writeUvarint(zigZag(v));
    }
  }
}
