package io.tsdbcompactor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The values of {@code --min-time/--max-time} and {@code --compact.block-max-index-size}, read as Thanos reads them. */
class TimeOrDurationAndByteSizeTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2024-05-10T12:00:00Z"), ZoneOffset.UTC);

  @Test
  void timesAreRfc3339OrRelativeToTheClock() {
    assertEquals(Instant.parse("2024-01-01T00:00:00Z").toEpochMilli(),
        TimeOrDuration.parse("2024-01-01T00:00:00Z").millis(CLOCK));
    assertEquals(Instant.parse("2024-01-01T00:00:00Z").toEpochMilli(),
        TimeOrDuration.parse("2024-01-01T02:00:00+02:00").millis(CLOCK));
    assertEquals(Instant.parse("0000-01-01T00:00:00Z").toEpochMilli(), TimeOrDuration.parse("0000-01-01T00:00:00Z").millis(CLOCK));
    assertEquals(Instant.parse("9999-12-31T23:59:59Z").toEpochMilli(), TimeOrDuration.parse("9999-12-31T23:59:59Z").millis(CLOCK));
    TimeOrDuration twoWeeksAgo = TimeOrDuration.parse("-2w");
    assertTrue(twoWeeksAgo.relative());
    assertEquals(Instant.parse("2024-04-26T12:00:00Z").toEpochMilli(), twoWeeksAgo.millis(CLOCK));
    assertEquals(Instant.parse("2024-05-11T13:30:00Z").toEpochMilli(), TimeOrDuration.parse("1d1h30m").millis(CLOCK));
    assertFalse(TimeOrDuration.parse("2024-01-01T00:00:00Z").relative());
    for (String bad : new String[] {"yesterday", "-", "2024-01-01", "-2 weeks", "1.5h"}) {
      assertThrows(IllegalArgumentException.class, () -> TimeOrDuration.parse(bad), bad);
    }
  }

  @Test
  void sizesArePowersOf1024WhateverTheUnitSpelling() {
    assertEquals(68_719_476_736L, ByteSize.parse("64GB"));
    assertEquals(68_719_476_736L, ByteSize.parse("64GiB"));
    assertEquals(512L << 20, ByteSize.parse("512MB"));
    assertEquals(1536, ByteSize.parse("1.5KB"));
    assertEquals(1024, ByteSize.parse("1024B"));
    for (String bad : new String[] {"64", "64 GB", "64gb", "GB", "-1GB", "99999999EB"}) {
      assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad), bad);
    }
  }
}
