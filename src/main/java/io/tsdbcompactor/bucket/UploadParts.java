package io.tsdbcompactor.bucket;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One upload cut into parts, as the cloud buckets send it: the object in one request when it fits one part,
 * else part by part (S3 multipart parts, Azure staged blocks, GCS resumable chunks).
 *
 * <p>From a stream, each part is read onto the heap. A declared length ({@code length >= 0}) is read exactly; a
 * stream that ends before it is a retryable {@link BucketException}, and the caller then leaves the object
 * unwritten. From a local file ({@link #ofFile}), a part is only a range of the file, read each time the part is
 * sent: an upload then holds no part on the heap whatever {@code part_size} is, and a retried part is read again
 * from the disk rather than kept in memory for the retry. From a file still being written ({@link #ofGrowingFile}),
 * likewise, each part once the writer has got past its end.
 *
 * <pre>
 *   UploadParts parts = new UploadParts(key, in, length, partSize);   // or ofFile, ofGrowingFile
 *   Part first = parts.nextPart();
 *   if (parts.isWhole(first)) { put(first); return; }
 *   for (Part p = first; p.length() > 0; p = parts.nextPart()) { sendPart(p); }
 *   parts.checkComplete();   // then complete / commit / finalize
 * </pre>
 */
final class UploadParts {
  /** The largest byte array the JVM hands out. */
  private static final int MAX_PART = Integer.MAX_VALUE - 8;

  /** One part of an upload; {@link #open} may be called once per attempt to send it. */
  sealed interface Part permits Bytes, FileRange, GrowingRange {
    long length();

    /** The part's bytes from the first; the caller closes the stream. */
    InputStream open() throws IOException;

    /** The MD5 digest of the part, for the stores' Content-MD5 check. */
    default byte[] md5() throws IOException {
      MessageDigest md = md5Digest();
      try (InputStream in = open()) {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
        }
      }
      return md.digest();
    }
  }

  /** A part held on the heap. */
  record Bytes(byte[] data) implements Part {
    @Override
    public long length() {
      return data.length;
    }

    @Override
    public InputStream open() {
      return new ByteArrayInputStream(data);
    }

    @Override
    public byte[] md5() {
      return md5Digest().digest(data);
    }
  }

  /**
   * {@code length} bytes of a local file from {@code offset}. The file must not change while it is uploaded; one
   * that has become shorter fails the part with an error naming it.
   */
  record FileRange(Path file, long offset, long length) implements Part {
    @Override
    public InputStream open() throws IOException {
      return new RangeStream(FileChannel.open(file), true, file, offset, length);
    }
  }

  /** {@code length} bytes of a file being written from {@code offset}, all of them written already. */
  record GrowingRange(GrowingFile file, long offset, long length) implements Part {
    @Override
    public InputStream open() {
      return new RangeStream(file.reader(), false, file.path(), offset, length);
    }
  }

  private final String key;
  private final InputStream in;
  private final Path file;
  private final GrowingFile growing;
  private final long length;
  private final long partSize;
  private long read;
  private volatile boolean stopped;

  /** The parts of a stream of {@code length} bytes ({@code -1}: unknown), each read onto the heap. */
  UploadParts(String key, InputStream in, long length, long partSize) {
    this(key, in, null, null, length, Math.min(partSize, MAX_PART));
  }

  private UploadParts(String key, InputStream in, Path file, GrowingFile growing, long length, long partSize) {
    this.key = key;
    this.in = in;
    this.file = file;
    this.growing = growing;
    this.length = length;
    this.partSize = partSize;
  }

  /**
   * The parts of a local file as ranges of it, read only while each is sent; {@code partSize} may be as large as
   * the store allows for one request (no byte array bounds it).
   */
  static UploadParts ofFile(String key, Path file, long partSize) throws IOException {
    return new UploadParts(key, null, file, null, Files.size(file), partSize);
  }

  /**
   * The parts of a file still being written, as ranges of it: {@link #nextPart} waits until the writer has written
   * a whole part, or the file's end. Its length is known once it is whole.
   */
  static UploadParts ofGrowingFile(String key, GrowingFile file, long partSize) {
    return new UploadParts(key, null, null, file, -1, partSize);
  }

  /**
   * Makes a {@link #nextPart} that waits for a growing file's next part give up, now or when it next looks: the
   * upload has failed elsewhere.
   */
  void stop() {
    stopped = true;
    if (growing != null) {
      growing.wakeReaders();
    }
  }

  /** The next part: {@code partSize} bytes, fewer at the end of the object, none after it. */
  byte[] next() throws IOException {
    if (isFile()) {
      throw new IllegalStateException("the parts of a file are ranges: nextPart()");
    }
    long want = partSize;
    if (length >= 0) {
      want = Math.min(want, length - read);
    }
    byte[] part = want <= 0 ? new byte[0] : in.readNBytes((int) want);
    read += part.length;
    return part;
  }

  /** The next part as {@link #next} cuts it: a range of the file, or bytes of the stream. */
  Part nextPart() throws IOException {
    if (growing != null) {
      growing.await(partSize > Long.MAX_VALUE - read ? Long.MAX_VALUE : read + partSize, () -> stopped);
      // Once whole, the length is final; until then the wait saw a whole part written.
      long want = growing.isWhole() ? Math.min(partSize, growing.length() - read) : partSize;
      Part part = new GrowingRange(growing, read, want);
      read += want;
      return part;
    }
    if (file == null) {
      return new Bytes(next());
    }
    long want = Math.min(partSize, length - read);
    Part part = new FileRange(file, read, want);
    read += want;
    return part;
  }

  /**
   * Whether {@code first} (from the first {@link #next}) is the whole object, so that one request sends it; a
   * whole object that is shorter than its declared length is refused here.
   */
  boolean isWhole(byte[] first) throws BucketException {
    return isWhole(first.length);
  }

  /** {@link #isWhole(byte[])} of the first {@link #nextPart}. */
  boolean isWhole(Part first) throws BucketException {
    return isWhole(first.length());
  }

  private boolean isWhole(long firstLength) throws BucketException {
    boolean whole = firstLength < partSize || read == knownLength();
    if (whole) {
      checkComplete();
    }
    return whole;
  }

  /**
   * Whether the parts are ranges of a local file ({@link #ofFile}, {@link #ofGrowingFile}), which may be sent in any
   * order and at once.
   */
  boolean isFile() {
    return file != null || growing != null;
  }

  /** The object's length as far as it is known: a growing file's once it is whole; -1 where it is not. */
  private long knownLength() {
    if (growing != null) {
      return growing.isWhole() ? growing.length() : -1;
    }
    return length;
  }

  /** Whether the parts are those of a file still being written ({@link #ofGrowingFile}). */
  boolean isGrowing() {
    return growing != null;
  }

  /** The declared length: a file's size, a stream's length ({@code -1}: unknown, or a file still being written). */
  long length() {
    return length;
  }

  /** Bytes cut into parts so far. */
  long bytesRead() {
    return read;
  }

  /** After the last part: the stream must have delivered the declared length. */
  void checkComplete() throws BucketException {
    if (growing != null && !growing.isWhole()) {
      throw new IllegalStateException("upload of " + key + ": the file is still being written");
    }
    long length = knownLength();
    if (length >= 0 && read != length) {
      throw shortStream(key, read, length);
    }
  }

  /** The error for a stream that ended after {@code got} of the {@code want} bytes it declared. */
  static BucketException shortStream(String key, long got, long want) {
    return new BucketException("upload of " + key + ": stream ended after " + got + " of " + want + " bytes", true);
  }

  static MessageDigest md5Digest() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A file range's bytes, read at their positions, so that streams of several ranges can share one channel (a
   * growing file's); the file ending inside the range is an error naming it, not a short part. Closes the channel
   * only if it owns it.
   */
  static final class RangeStream extends InputStream {
    private final FileChannel ch;
    private final boolean ownsChannel;
    private final Path file;
    private final long offset;
    private final long end;
    private long at;

    RangeStream(FileChannel ch, boolean ownsChannel, Path file, long offset, long length) {
      this.ch = ch;
      this.ownsChannel = ownsChannel;
      this.file = file;
      this.offset = offset;
      this.end = offset + length;
      this.at = offset;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (at >= end) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - at)), at);
      if (n < 0) {
        throw new BucketException("upload of " + file + ": the file ends at byte " + at + ", inside the part " + offset
            + "-" + end + " it was cut into; it changed while uploaded", false);
      }
      at += n;
      return n;
    }

    @Override
    public long skip(long n) {
      long k = Math.max(0, Math.min(n, end - at));
      at += k;
      return k;
    }

    @Override
    public void close() throws IOException {
      if (ownsChannel) {
        ch.close();
      }
    }
  }
}
