package io.tsdbcompactor.bucket;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How often and how patiently a failed bucket operation is repeated: exponential backoff with full jitter,
 * from {@code initialBackoff} doubling up to {@code maxBackoff}, at most {@code maxAttempts} tries in all.
 * The sleeper is passed in as a clock is: the program passes {@link #THREAD_SLEEP}; tests record the pauses
 * instead of waiting them out.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Sleeper sleeper) {

  /** Pauses the calling thread; tests pass a recorder that returns at once. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  public static final Sleeper THREAD_SLEEP = d -> Thread.sleep(d.toMillis());

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
  }

  /** 10 attempts, 200ms doubling to 20s: rides out an S3 SlowDown storm or a MinIO restart. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(10, Duration.ofMillis(200), Duration.ofSeconds(20), THREAD_SLEEP);
  }

  /** The pause before attempt {@code attempt + 1} (attempt counts from 1). */
  public Duration backoff(int attempt) {
    long base = initialBackoff.toMillis();
    if (base <= 0) {
      return Duration.ZERO;
    }
    long cap = Math.max(base, maxBackoff.toMillis());
    long exp = base << Math.min(attempt - 1, 20);
    long bound = Math.min(cap, exp < 0 ? cap : exp);
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(bound / 2, bound + 1));
  }
}
