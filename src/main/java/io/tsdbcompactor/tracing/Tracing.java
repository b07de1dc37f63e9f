package io.tsdbcompactor.tracing;

/**
 * The process's tracer. One process runs one compactor, and the spans it records sit deep in the compaction
 * and transfer code, so the tracer is process-wide rather than passed through every constructor. It is
 * {@link Tracer#NOOP} unless the command line installs another.
 */
public final class Tracing {
  private static volatile Tracer tracer = Tracer.NOOP;

  private Tracing() {}

  public static Tracer tracer() {
    return tracer;
  }

  /** Installs a tracer (null restores {@link Tracer#NOOP}); returns the one it replaces. */
  public static Tracer install(Tracer t) {
    Tracer old = tracer;
    tracer = t == null ? Tracer.NOOP : t;
    return old;
  }

  /** Starts a span on the installed tracer. */
  public static Span span(String name) {
    return tracer.start(name);
  }
}
