package io.tsdbcompactor.compact;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tsdbcompactor.sync.Marker;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MicrometerCompactMetricsTest {

  @Test
  void countersCarryThanosNamesAndLabels() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MicrometerCompactMetrics m = new MicrometerCompactMetrics(registry);
    m.runStarted(0);
    m.compaction(0);
    m.compaction(0);
    m.verticalCompaction(300000);
    m.blockMarked(Marker.NO_COMPACT_MARK, Marker.REASON_CORRUPTED_BLOCK);
    m.blockMarked(Marker.DELETION_MARK, "");
    String text = registry.scrape();
    assertTrue(text.contains("thanos_compact_group_compactions_total{resolution=\"0\"} 2.0"), text);
    assertTrue(text.contains("thanos_compact_group_compaction_runs_started_total{resolution=\"0\"} 1.0"), text);
    assertTrue(text.contains("thanos_compact_group_vertical_compactions_total{resolution=\"300000\"} 1.0"), text);
    assertTrue(text.contains(
        "thanos_compact_blocks_marked_total{marker=\"no-compact-mark.json\",reason=\"corrupted-block\"} 1.0"), text);
    assertTrue(text.contains("thanos_compact_blocks_marked_total{marker=\"deletion-mark.json\",reason=\"\"} 1.0"),
        text);
    assertEquals(2.0, registry.get("thanos_compact_group_compactions").counter().count());
    assertTrue(text.contains("# HELP thanos_compact_group_compaction_runs_started_total Total number of group "
        + "compaction attempts."), text);
  }

  @Test
  void registersTheGroupCountersOfEachResolutionAtZero() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new MicrometerCompactMetrics(registry).registerAtZero(0, 3600000);
    String text = registry.scrape();
    for (String name : new String[] {"thanos_compact_group_compaction_runs_started_total",
        "thanos_compact_group_compaction_runs_completed_total", "thanos_compact_group_compactions_total",
        "thanos_compact_group_vertical_compactions_total", "thanos_compact_group_compactions_failures_total"}) {
      assertTrue(text.contains(name + "{resolution=\"0\"} 0.0"), name + "\n" + text);
      assertTrue(text.contains(name + "{resolution=\"3600000\"} 0.0"), name + "\n" + text);
    }
  }
}
