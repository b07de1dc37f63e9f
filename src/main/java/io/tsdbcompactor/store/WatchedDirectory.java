package io.tsdbcompactor.store;

import java.io.IOException;
import java.util.Objects;

/**
 * A directory that tells a {@link Watcher} about every file written through it: when it is opened, each time
 * another {@code step} bytes of it can be read back ({@link IndexOutput#openReader}), and when it is whole under
 * its name or thrown away. A block's upload uses it to send each chunk segment and the index part by part while
 * they are being written, and the rest of the block is still merged and verified.
 *
 * <p>The watcher is called on the writer's thread: it must only take note and hand the work on.
 */
public final class WatchedDirectory extends ForwardingDirectory {

  /** What the directory reports. */
  public interface Watcher {
    /**
     * {@code out} has been created for file {@code name}; returns whether to report its growth ({@link #grew}),
     * for a watcher that has opened a reader of it ({@link IndexOutput#openReader}) to read it as it grows.
     */
    default boolean opened(String name, IndexOutput out) throws IOException {
      return false;
    }

    /** The first {@code length} bytes of {@code name} can be read through the reader opened for it. */
    default void grew(String name, long length) {}

    /** {@code name} is whole under its name, {@code length} bytes, and will not change. */
    void closed(String name, long length);

    /** {@code name} was thrown away before it was whole. */
    default void aborted(String name) {}
  }

  private final long step;
  private final Watcher watcher;

  /** Reports growth every {@code step} bytes ({@code step > 0}). */
  public WatchedDirectory(Directory delegate, long step, Watcher watcher) {
    super(delegate);
    if (step <= 0) {
      throw new IllegalArgumentException("step " + step);
    }
    this.step = step;
    this.watcher = Objects.requireNonNull(watcher);
  }

  @Override
  public IndexOutput createOutput(String name) throws IOException {
    IndexOutput out = delegate.createOutput(name);
    boolean growth;
    try {
      growth = watcher.opened(name, out);
    } catch (IOException | RuntimeException e) {
      out.abort();
      throw e;
    }
    return new ForwardingIndexOutput(out) {
      /** Where growth is reported next; never, for a file whose growth nobody reads. */
      private long next = growth ? step : Long.MAX_VALUE;
      private boolean ended;

      @Override
      public void writeByte(int b) throws IOException {
        delegate.writeByte(b);
        if (delegate.position() >= next) {
          grown();
        }
      }

      @Override
      public void writeBytes(byte[] b, int off, int len) throws IOException {
        delegate.writeBytes(b, off, len);
        if (delegate.position() >= next) {
          grown();
        }
      }

      private void grown() throws IOException {
        delegate.flush();
        long length = delegate.position();
        next = length + step;
        watcher.grew(name, length);
      }

      @Override
      public void close() throws IOException {
        if (ended) {
          return;
        }
        long length = delegate.position();
        try {
          delegate.close();
        } catch (IOException | RuntimeException e) {
          ended = true;
          watcher.aborted(name);
          throw e;
        }
        ended = true;
        watcher.closed(name, length);
      }

      @Override
      public void abort() {
        delegate.abort();
        if (!ended) {
          ended = true;
          watcher.aborted(name);
        }
      }
    };
  }
}
