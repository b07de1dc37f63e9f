package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.io.InputStream;

/** A bucket that passes every call to another; test decorators override only what they watch or break. */
public class ForwardingBucket implements Bucket {
  protected final Bucket delegate;

  public ForwardingBucket(Bucket delegate) {
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    delegate.list(prefix, recursive, visitor);
  }

  @Override
  public InputStream get(String key) throws IOException {
    return delegate.get(key);
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    return delegate.getRange(key, offset, length);
  }

  @Override
  public boolean exists(String key) throws IOException {
    return delegate.exists(key);
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    return delegate.attributes(key);
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    delegate.upload(key, in, length);
  }

  @Override
  public void delete(String key) throws IOException {
    delegate.delete(key);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
