package io.tsdbcompactor.bucket;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/**
 * A cloud SDK's read stream whose failures (its own unchecked exceptions as well as I/O errors) reach the caller as
 * the bucket's own {@link IOException}s, so that a retrying reader can tell a passing fault, worth resuming, from a
 * final one such as the object having been replaced while it was read.
 */
final class ErrorTranslatingInputStream extends FilterInputStream {
  private final Function<Exception, IOException> translate;

  ErrorTranslatingInputStream(InputStream in, Function<Exception, IOException> translate) {
    super(in);
    this.translate = translate;
  }

  @Override
  public int read() throws IOException {
    try {
      return super.read();
    } catch (IOException | RuntimeException e) {
      throw translate.apply(e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return super.read(b, off, len);
    } catch (IOException | RuntimeException e) {
      throw translate.apply(e);
    }
  }
}
