package io.tsdbcompactor.store;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * An output that passes every call to another: decorators override only what they watch or change
 * ({@link WatchedDirectory}'s outputs; the tests' outputs that fill up or flip a bit).
 */
public class ForwardingIndexOutput implements IndexOutput {
  protected final IndexOutput delegate;

  public ForwardingIndexOutput(IndexOutput delegate) {
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public long position() {
    return delegate.position();
  }

  @Override
  public void writeByte(int b) throws IOException {
    delegate.writeByte(b);
  }

  @Override
  public void writeBytes(byte[] b, int off, int len) throws IOException {
    delegate.writeBytes(b, off, len);
  }

  @Override
  public FileChannel openReader() throws IOException {
    return delegate.openReader();
  }

  @Override
  public void flush() throws IOException {
    delegate.flush();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }

  @Override
  public void abort() {
    delegate.abort();
  }
}
