package io.tsdbcompactor.store;

import java.io.IOException;
import java.util.Map;

/**
 * A block directory some of whose files are still being downloaded into it, in place and at their final length:
 * those are opened as {@link ArrivingInput}s, whose reads wait for their bytes; every other file is read as it
 * is.
 */
public final class ArrivingDirectory extends ForwardingDirectory {
  private final Map<String, ArrivingBytes> arriving;

  /** {@code arriving}: the files still coming down, by relative name. */
  public ArrivingDirectory(Directory delegate, Map<String, ArrivingBytes> arriving) {
    super(delegate);
    this.arriving = Map.copyOf(arriving);
  }

  @Override
  public RandomAccessInput openInput(String name) throws IOException {
    RandomAccessInput in = delegate.openInput(name);
    ArrivingBytes a = arriving.get(name);
    if (a == null || a.complete()) {
      return in;
    }
    if (in.length() != a.length()) {
      in.close();
      throw new IOException(describe() + "/" + name + " is " + in.length() + " bytes long while it downloads, not "
          + a.length());
    }
    return new ArrivingInput(in, a);
  }
}
