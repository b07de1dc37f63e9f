package io.tsdbcompactor.store;

/** A {@link RandomAccessInput} over a byte array: the in-memory directory's files and chunk data. */
public final class ByteArrayInput implements RandomAccessInput {
  private final String name;
  private final byte[] bytes;
  private final int offset;
  private final int length;

  public ByteArrayInput(String name, byte[] bytes) {
    this(name, bytes, 0, bytes.length);
  }

  public ByteArrayInput(String name, byte[] bytes, int offset, int length) {
    this.name = name;
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public byte readByte(long pos) throws CorruptDataException {
    if (pos < 0 || pos >= length) {
      checkRange(pos, 1);
    }
    return bytes[offset + (int) pos];
  }

  @Override
  public void readBytes(long pos, byte[] dst, int off, int len) throws CorruptDataException {
    checkRange(pos, len);
    System.arraycopy(bytes, offset + (int) pos, dst, off, len);
  }

  @Override
  public void close() {}
}
