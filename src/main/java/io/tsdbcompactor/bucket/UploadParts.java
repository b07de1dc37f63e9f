package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.io.InputStream;

/**
 * The stream of one upload cut into parts, as the cloud buckets send it: the object in one request when it fits
 * one part, else part by part (S3 multipart parts, Azure staged blocks, GCS resumable chunks). A declared length
 * ({@code length >= 0}) is read exactly; a stream that ends before it is a retryable {@link BucketException},
 * and the caller then leaves the object unwritten.
 *
 * <pre>
 *   UploadParts parts = new UploadParts(key, in, length, partSize);
 *   byte[] first = parts.next();
 *   if (parts.isWhole(first)) { put(first); return; }
 *   for (byte[] p = first; p.length > 0; p = parts.next()) { sendPart(p); }
 *   parts.checkComplete();   // then complete / commit / finalize
 * </pre>
 */
final class UploadParts {
  /** The largest byte array the JVM hands out. */
  private static final int MAX_PART = Integer.MAX_VALUE - 8;

  private final String key;
  private final InputStream in;
  private final long length;
  private final int partSize;
  private long read;

  UploadParts(String key, InputStream in, long length, long partSize) {
    this.key = key;
    this.in = in;
    this.length = length;
    this.partSize = (int) Math.min(partSize, MAX_PART);
  }

  /** The next part: {@code partSize} bytes, fewer at the end of the object, none after it. */
  byte[] next() throws IOException {
    long want = partSize;
    if (length >= 0) {
      want = Math.min(want, length - read);
    }
    byte[] part = want <= 0 ? new byte[0] : in.readNBytes((int) want);
    read += part.length;
    return part;
  }

  /**
   * Whether {@code first} (from the first {@link #next}) is the whole object, so that one request sends it; a
   * whole object that is shorter than its declared length is refused here.
   */
  boolean isWhole(byte[] first) throws BucketException {
    boolean whole = first.length < partSize || read == length;
    if (whole) {
      checkComplete();
    }
    return whole;
  }

  /** Bytes read so far. */
  long bytesRead() {
    return read;
  }

  /** After the last part: the stream must have delivered the declared length. */
  void checkComplete() throws BucketException {
    if (length >= 0 && read != length) {
      throw shortStream(key, read, length);
    }
  }

  /** The error for a stream that ended after {@code got} of the {@code want} bytes it declared. */
  static BucketException shortStream(String key, long got, long want) {
    return new BucketException("upload of " + key + ": stream ended after " + got + " of " + want + " bytes", true);
  }
}
