package io.tsdbcompactor.metrics;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

/**
 * Each garbage collector's collection count and total time, read from its MXBean when the registry is scraped:
 * {@code jvm_gc_collection_seconds_count} and {@code _sum} with a {@code gc} label, the names of the Prometheus Java
 * client's JVM metrics.
 *
 * <p>Micrometer's {@code JvmGcMetrics} was bound here before. It listens to the JVM's notification of every
 * collection, and each notification builds JMX open data (names, composite data of every memory pool) on a thread
 * of its own: about 0.75 ms of CPU per young collection, 3-4% of a downsampling run that collects 600 times in a
 * 64 MiB heap (benchmarks/GcNotifications.java; benchmarks/README.md, "GC notifications"). A one-shot run needs
 * the totals, not each pause.
 */
final class JvmGcTotals implements MeterBinder {
  @Override
  public void bindTo(MeterRegistry registry) {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      FunctionTimer.builder("jvm.gc.collection", gc, GarbageCollectorMXBean::getCollectionCount,
              GarbageCollectorMXBean::getCollectionTime, TimeUnit.MILLISECONDS)
          .tag("gc", gc.getName())
          .description("Time spent in a given JVM garbage collector.")
          .register(registry);
    }
  }
}
