package io.tsdbcompactor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PromDurationTest {
  private static final long H = 3600_000L;
  private static final long D = 24 * H;

  @Test
  void parsesEveryUnitAndCombinations() {
    assertEquals(0, PromDuration.parseMillis("0"));
    assertEquals(0, PromDuration.parseMillis("0s"));
    assertEquals(0, PromDuration.parseMillis("0d"));
    assertEquals(30 * 60_000L, PromDuration.parseMillis("30m"));
    assertEquals(48 * H, PromDuration.parseMillis("48h"));
    assertEquals(3 * D, PromDuration.parseMillis("3d"));
    assertEquals(14 * D, PromDuration.parseMillis("2w"));
    assertEquals(365 * D, PromDuration.parseMillis("1y"));
    assertEquals(H + 30 * 60_000L, PromDuration.parseMillis("1h30m"));
    assertEquals(1500, PromDuration.parseMillis("1s500ms"));
    assertEquals(250, PromDuration.parseMillis("250ms"));
    assertEquals(365 * D + 14 * D + D + H + 60_000 + 1000 + 1, PromDuration.parseMillis("1y2w1d1h1m1s1ms"));
    assertEquals(Duration.ofDays(90), PromDuration.parse("90d"));
  }

  @Test
  void rejectsWhatPrometheusRejects() {
    for (String bad : new String[] {"", "1", "h", "1.5h", "-1h", "1m1h", "1h1h", " 1h", "1H", "1x", "3 d", "1msm"}) {
      assertThrows(IllegalArgumentException.class, () -> PromDuration.parseMillis(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> PromDuration.parseMillis("99999999999999999y"));
  }

  @Test
  void formatsLikePrometheusAndRoundTrips() {
    assertEquals("0s", PromDuration.formatMillis(0));
    assertEquals("3d", PromDuration.formatMillis(3 * D));
    assertEquals("2w1d", PromDuration.formatMillis(15 * D));
    assertEquals("1h30m", PromDuration.formatMillis(H + 30 * 60_000L));
    assertEquals("1y", PromDuration.formatMillis(365 * D));
    for (String s : new String[] {"3d", "2w1d", "12w6d", "48h", "1s500ms", "5m"}) {
      assertEquals(PromDuration.parseMillis(s), PromDuration.parseMillis(PromDuration.formatMillis(PromDuration.parseMillis(s))));
    }
  }
}
