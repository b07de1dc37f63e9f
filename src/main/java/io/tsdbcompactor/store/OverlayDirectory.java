package io.tsdbcompactor.store;

import java.io.IOException;
import java.util.List;
import java.util.TreeSet;

/**
 * A read-only view of a directory in which the files of a second one replace the first's files of the same name
 * or are added to them: a block read with other tombstones (a rewrite's deletions), or with its meta.json before
 * its download has written it. Scratch space comes from the first directory.
 */
public final class OverlayDirectory extends ForwardingDirectory {
  private final Directory overlay;

  public OverlayDirectory(Directory base, Directory overlay) {
    super(base);
    this.overlay = overlay;
  }

  private Directory holder(String name) throws IOException {
    return overlay.exists(name) ? overlay : delegate;
  }

  @Override
  public RandomAccessInput openInput(String name) throws IOException {
    return holder(name).openInput(name);
  }

  @Override
  public boolean exists(String name) throws IOException {
    return overlay.exists(name) || delegate.exists(name);
  }

  @Override
  public long fileLength(String name) throws IOException {
    return holder(name).fileLength(name);
  }

  @Override
  public List<String> listAll() throws IOException {
    // Sorted bytewise, as Directory promises: UTF-16 order is the same for the ASCII names of a block's files.
    TreeSet<String> all = new TreeSet<>(delegate.listAll());
    all.addAll(overlay.listAll());
    return List.copyOf(all);
  }

  @Override
  public IndexOutput createOutput(String name) {
    throw new UnsupportedOperationException(describe() + " is read only here");
  }

  @Override
  public void delete(String name) {
    throw new UnsupportedOperationException(describe() + " is read only here");
  }
}
