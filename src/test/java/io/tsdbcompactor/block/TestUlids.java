package io.tsdbcompactor.block;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ULIDs and a clock for tests that need a new block name but no particular time: fixed, so a test reads the same on
 * any day, and distinct from each other.
 */
public final class TestUlids {
  /** Any fixed instant; tests whose outcome depends on "now" choose their own. */
  public static final Instant INSTANT = Instant.parse("2026-03-14T15:09:26Z");
  public static final Clock CLOCK = Clock.fixed(INSTANT, ZoneOffset.UTC);

  private static final AtomicLong NEXT = new AtomicLong(INSTANT.toEpochMilli());
  private static final Random RANDOM = new Random(7);

  private TestUlids() {}

  /** A ULID not handed out before in this JVM (its time steps one millisecond per call). */
  public static synchronized Ulid next() {
    return Ulid.generate(NEXT.getAndIncrement(), RANDOM);
  }
}
