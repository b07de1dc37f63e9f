package io.tsdbcompactor.bucket;

import java.time.Duration;

/** Retry policies for tests. */
public final class RetryPolicies {
  private RetryPolicies() {}

  /** {@code maxAttempts} tries with no pause between them, so fault tests run at full speed. */
  public static RetryPolicy immediate(int maxAttempts) {
    return new RetryPolicy(maxAttempts, Duration.ZERO, Duration.ZERO, d -> {});
  }
}
