package io.tsdbcompactor.store;

import java.io.IOException;
import java.util.Map;

/**
 * A block directory some of whose files are still being downloaded into it, in place and at their final length:
 * those are opened as {@link MappedFileInput}s that wait for their bytes; every other file is read as it is.
 */
public final class ArrivingDirectory extends ForwardingDirectory {
  private final FsDirectory dir;
  private final Map<String, ArrivingBytes> arriving;

  /** {@code arriving}: the files still coming down, by relative name. */
  public ArrivingDirectory(FsDirectory dir, Map<String, ArrivingBytes> arriving) {
    super(dir);
    this.dir = dir;
    this.arriving = Map.copyOf(arriving);
  }

  @Override
  public RandomAccessInput openInput(String name) throws IOException {
    ArrivingBytes a = arriving.get(name);
    if (a == null || a.complete()) {
      return dir.openInput(name);
    }
    RandomAccessInput in = dir.openArriving(name, a);
    if (in.length() != a.length()) {
      in.close();
      throw new IOException(describe() + "/" + name + " is " + in.length() + " bytes long while it downloads, not "
          + a.length());
    }
    return in;
  }
}
