package io.tsdbcompactor.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of Thanos's objstore package for one {@code bucket} label, every series registered at zero when
 * created, as Thanos does, so that ratio alerts see them before the first failure. One instance per registry
 * and label ({@link CompactorMetrics#objstore(String)} keeps it): the last-upload gauge reads this instance's
 * value. {@link InstrumentedBucket} records into it.
 */
public final class ObjstoreMetrics {
  /** Thanos's objstore operations, with their label values. */
  public enum Operation {
    GET("get"), GET_RANGE("get_range"), EXISTS("exists"), UPLOAD("upload"), DELETE("delete"),
    ATTRIBUTES("attributes"), ITER("iter");

    public final String label;

    Operation(String label) {
      this.label = label;
    }
  }

  /** Thanos's objstore duration buckets, in seconds. */
  private static final double[] DURATION_BUCKETS = {0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120};
  /** Thanos's transferred-bytes buckets: 32 KiB doubling fifteen times, up to 1 GiB. */
  private static final double[] TRANSFERRED_BUCKETS = exponential(32 * 1024, 2, 16);

  private final MeterRegistry registry;
  private final Map<Operation, OpMeters> meters = new EnumMap<>(Operation.class);
  /** Unix seconds of the last successful upload; 0 before the first. */
  final AtomicLong lastUpload = new AtomicLong();

  /**
   * @param bucketLabel the bucket name (S3) or directory (filesystem) of the objstore config, without its
   *     {@code prefix}, as Thanos labels it
   */
  public ObjstoreMetrics(MeterRegistry registry, String bucketLabel) {
    this.registry = registry;
    for (Operation op : Operation.values()) {
      meters.put(op, new OpMeters(op, bucketLabel, registry));
    }
    Gauge.builder("thanos_objstore_bucket_last_successful_upload_time", lastUpload, AtomicLong::doubleValue)
        .description("Second timestamp of the last successful upload to the bucket.")
        .tag("bucket", bucketLabel).strongReference(true).register(registry);
  }

  MeterRegistry registry() {
    return registry;
  }

  OpMeters of(Operation op) {
    return meters.get(op);
  }

  private static double[] exponential(double start, double factor, int count) {
    double[] out = new double[count];
    double v = start;
    for (int i = 0; i < count; i++) {
      out[i] = v;
      v *= factor;
    }
    return out;
  }

  /** The meters of one operation on one bucket. */
  static final class OpMeters {
    final Counter operations;
    final Counter failures;
    final Counter fetched;
    final Timer duration;
    /** Only for the operations that move object bodies (get, get_range, upload), as in Thanos. */
    final DistributionSummary transferred;

    OpMeters(Operation op, String bucket, MeterRegistry registry) {
      operations = Counter.builder("thanos_objstore_bucket_operations")
          .description("Total number of all attempted operations against a bucket.")
          .tag("bucket", bucket).tag("operation", op.label).register(registry);
      failures = Counter.builder("thanos_objstore_bucket_operation_failures")
          .description("Total number of operations against a bucket that failed, but were not expected to fail in "
              + "certain way from caller perspective. Those errors have to be investigated.")
          .tag("bucket", bucket).tag("operation", op.label).register(registry);
      fetched = Counter.builder("thanos_objstore_bucket_operation_fetched_bytes")
          .description("Total number of bytes fetched from bucket, per operation.")
          .tag("bucket", bucket).tag("operation", op.label).register(registry);
      Duration[] slos = new Duration[DURATION_BUCKETS.length];
      for (int i = 0; i < slos.length; i++) {
        slos[i] = Duration.ofNanos(Math.round(DURATION_BUCKETS[i] * 1e9));
      }
      duration = Timer.builder("thanos_objstore_bucket_operation_duration")
          .description("Duration of successful operations against the bucket")
          .tag("bucket", bucket).tag("operation", op.label)
          .serviceLevelObjectives(slos).register(registry);
      boolean movesBodies = op == Operation.GET || op == Operation.GET_RANGE || op == Operation.UPLOAD;
      transferred = movesBodies
          ? DistributionSummary.builder("thanos_objstore_bucket_operation_transferred_bytes")
              .description("Number of bytes transferred from/to bucket per operation.")
              .tag("bucket", bucket).tag("operation", op.label)
              .serviceLevelObjectives(TRANSFERRED_BUCKETS).register(registry)
          : null;
    }

    /** Counts a failed call; a missing object is an answer, not a failure. */
    void failed(Exception e) {
      if (!(e instanceof ObjectNotFoundException)) {
        failures.increment();
      }
    }
  }
}
