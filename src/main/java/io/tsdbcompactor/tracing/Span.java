package io.tsdbcompactor.tracing;

/**
 * One traced piece of work. Closing it ends it and makes its parent current again on this thread; use it in
 * try-with-resources: {@code try (Span s = Tracing.span("download")) { ... }}.
 */
public interface Span extends AutoCloseable {
  /** Adds an attribute (block ULID, group key, resolution, ...). */
  Span attribute(String key, String value);

  Span attribute(String key, long value);

  /** Records the error that ends this span's work; the span is marked failed. */
  void error(Throwable t);

  @Override
  void close();
}
