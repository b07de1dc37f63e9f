package io.tsdbcompactor.tracing;

/**
 * Starts spans, without tying the code that traces to a tracing library: the command line installs an
 * OpenTelemetry-backed tracer when {@code --tracing.config} is given, everything else sees {@link #NOOP}.
 */
public interface Tracer {
  /** Starts a span, the child of the span current on this thread (if any), and makes it current. */
  Span start(String name);

  /** Wraps a task so it runs under the span current now, on whatever thread runs it. */
  Runnable wrap(Runnable task);

  /** Flushes and stops exporting; never throws (a dead collector never fails a run). */
  default void shutdown() {}

  /** Records nothing. */
  Tracer NOOP = new Tracer() {
    @Override
    public Span start(String name) {
      return NoopSpan.INSTANCE;
    }

    @Override
    public Runnable wrap(Runnable task) {
      return task;
    }
  };

  /** The span of {@link #NOOP}. */
  final class NoopSpan implements Span {
    static final NoopSpan INSTANCE = new NoopSpan();

    private NoopSpan() {}

    @Override
    public Span attribute(String key, String value) {
      return this;
    }

    @Override
    public Span attribute(String key, long value) {
      return this;
    }

    @Override
    public void error(Throwable t) {}

    @Override
    public void close() {}
  }
}
