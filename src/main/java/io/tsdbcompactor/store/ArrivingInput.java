package io.tsdbcompactor.store;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A file read while it is being downloaded: {@code delegate} already has the file's final length (the download
 * writes in place), and each read first waits until its bytes have {@link ArrivingBytes arrived}. Once the whole
 * file is there a read costs one comparison more than the delegate's.
 *
 * <p>A download that fails is not a fault of the file's format, so it is not a {@link CorruptDataException}: the
 * reader gets a {@link DownloadFailedException} (unchecked, as the read methods declare only format errors), which
 * whoever started the download turns back into its own error.
 */
public final class ArrivingInput implements RandomAccessInput {
  private final RandomAccessInput delegate;
  private final ArrivingBytes arrival;
  /**
   * The prefix known to have arrived, a copy of the arrival's renewed only when a read passes it (volatile: reads may
   * come from several threads, and a long must not be seen half written).
   */
  private volatile long known;

  public ArrivingInput(RandomAccessInput delegate, ArrivingBytes arrival) {
    this.delegate = delegate;
    this.arrival = arrival;
  }

  /** The download a read waited for failed (or was abandoned, or the wait interrupted). */
  public static final class DownloadFailedException extends UncheckedIOException {
    public DownloadFailedException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /**
   * What to report when reading a block that was still downloading failed with {@code readError}: the download's own
   * failure if it had one ({@code downloadFailure}, else null), of which the read error is a consequence (it is kept
   * as suppressed); otherwise the read error, a {@link DownloadFailedException} unwrapped to its cause. A runtime
   * error that is neither is thrown as it is.
   */
  public static IOException failureToReport(Exception readError, IOException downloadFailure) {
    if (downloadFailure != null && downloadFailure != readError && downloadFailure != readError.getCause()) {
      downloadFailure.addSuppressed(readError);
      return downloadFailure;
    }
    if (readError instanceof DownloadFailedException d) {
      return d.getCause();
    }
    if (readError instanceof IOException e) {
      return e;
    }
    throw (RuntimeException) readError;
  }

  private void need(long pos, long len) {
    long end = pos + len;
    if (end <= known || pos < 0 || len < 0 || end > delegate.length()) {
      return; // there, or out of range: the delegate names the file in its error
    }
    try {
      known = arrival.await(end);
    } catch (IOException e) {
      throw new DownloadFailedException(e);
    }
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public long length() {
    return delegate.length();
  }

  @Override
  public byte readByte(long pos) throws CorruptDataException {
    need(pos, 1);
    return delegate.readByte(pos);
  }

  @Override
  public void readBytes(long pos, byte[] dst, int off, int len) throws CorruptDataException {
    need(pos, len);
    delegate.readBytes(pos, dst, off, len);
  }

  @Override
  public byte[] readBytes(long pos, int len) throws CorruptDataException {
    need(pos, len);
    return delegate.readBytes(pos, len);
  }

  @Override
  public int readIntBE(long pos) throws CorruptDataException {
    need(pos, 4);
    return delegate.readIntBE(pos);
  }

  @Override
  public long readLongBE(long pos) throws CorruptDataException {
    need(pos, 8);
    return delegate.readLongBE(pos);
  }

  @Override
  public int crc32c(long pos, long len) throws CorruptDataException {
    need(pos, len);
    return delegate.crc32c(pos, len);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
