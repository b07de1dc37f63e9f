package io.tsdbcompactor.store;

import java.io.IOException;
import java.util.List;

/**
 * A directory that passes every call to another: decorators override only what they watch or change
 * ({@link WatchedDirectory}; the tests' directories that fill up or fail).
 */
public class ForwardingDirectory implements Directory {
  protected final Directory delegate;

  public ForwardingDirectory(Directory delegate) {
    this.delegate = delegate;
  }

  @Override
  public String describe() {
    return delegate.describe();
  }

  @Override
  public RandomAccessInput openInput(String name) throws IOException {
    return delegate.openInput(name);
  }

  @Override
  public IndexOutput createOutput(String name) throws IOException {
    return delegate.createOutput(name);
  }

  @Override
  public boolean exists(String name) throws IOException {
    return delegate.exists(name);
  }

  @Override
  public long fileLength(String name) throws IOException {
    return delegate.fileLength(name);
  }

  @Override
  public List<String> listAll() throws IOException {
    return delegate.listAll();
  }

  @Override
  public void delete(String name) throws IOException {
    delegate.delete(name);
  }

  @Override
  public ScratchInts createScratch(String prefix) throws IOException {
    return delegate.createScratch(prefix);
  }

  @Override
  public ScratchBytes createScratchBytes(String prefix) {
    return delegate.createScratchBytes(prefix);
  }
}
