package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/** A view of the objects under one folder of another bucket (Thanos objstore's {@code prefix:}). */
public final class PrefixedBucket implements Bucket {
  private final Bucket delegate;
  private final String prefix;

  public PrefixedBucket(Bucket delegate, String prefix) {
    this.delegate = delegate;
    this.prefix = Bucket.dirPrefix(prefix);
  }

  @Override
  public String name() {
    return delegate.name() + "/" + prefix;
  }

  @Override
  public void list(String dir, boolean recursive, ListVisitor visitor) throws IOException {
    delegate.list(prefix + Bucket.dirPrefix(dir), recursive, e -> visitor.visit(
        new ListEntry(e.key().substring(prefix.length()), e.size(), e.lastModified())));
  }

  @Override
  public InputStream get(String key) throws IOException {
    return delegate.get(prefix + key);
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    return delegate.getRange(prefix + key, offset, length);
  }

  @Override
  public boolean exists(String key) throws IOException {
    return delegate.exists(prefix + key);
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    return delegate.attributes(prefix + key);
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    delegate.upload(prefix + key, in, length);
  }

  @Override
  public void upload(String key, byte[] content) throws IOException {
    delegate.upload(prefix + key, content);
  }

  @Override
  public void upload(String key, Path file) throws IOException {
    delegate.upload(prefix + key, file);
  }

  @Override
  public void uploadDisposable(String key, Path file) throws IOException {
    delegate.uploadDisposable(prefix + key, file);
  }

  @Override
  public void uploadWhileWritten(String key, GrowingFile file) throws IOException {
    delegate.uploadWhileWritten(prefix + key, file);
  }

  @Override
  public boolean uploadsWhileWritten() {
    return delegate.uploadsWhileWritten();
  }

  @Override
  public long download(String key, Path target) throws IOException {
    return delegate.download(prefix + key, target);
  }

  @Override
  public long downloadInto(String key, Path target, long size, WrittenRanges written) throws IOException {
    return delegate.downloadInto(prefix + key, target, size, written);
  }

  @Override
  public boolean isLocalFileSystem() {
    return delegate.isLocalFileSystem();
  }

  @Override
  public java.util.Comparator<String> keyOrder() {
    return delegate.keyOrder();
  }

  @Override
  public void delete(String key) throws IOException {
    delegate.delete(prefix + key);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
