package io.tsdbcompactor.store;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A directory that tells a listener the name of every file written through it once that file is closed, that is
 * whole and visible under its name. A block's upload uses it to send each chunk segment and the index while the
 * rest of the block is still being written and verified. Aborted outputs are not reported.
 */
public final class ClosedFileDirectory extends ForwardingDirectory {
  private final Consumer<String> onClosed;

  public ClosedFileDirectory(Directory delegate, Consumer<String> onClosed) {
    super(delegate);
    this.onClosed = Objects.requireNonNull(onClosed);
  }

  @Override
  public IndexOutput createOutput(String name) throws IOException {
    IndexOutput out = delegate.createOutput(name);
    return new ForwardingIndexOutput(out) {
      private boolean closed;

      @Override
      public void close() throws IOException {
        super.close();
        if (!closed) {
          closed = true;
          onClosed.accept(name);
        }
      }

      @Override
      public void abort() {
        closed = true;
        super.abort();
      }
    };
  }
}
