package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RelabelFilterTest {
  private final Random random = new Random(3);

  private BlockMeta block(Map<String, String> labels) {
    BlockMeta m = new BlockMeta();
    m.ulid = Ulid.generate(1_700_000_000_000L, random).toString();
    m.thanos().labels = new TreeMap<>(labels);
    return m;
  }

  @Test
  void keepAndDropOnExternalLabels() {
    RelabelFilter f = RelabelFilter.parse("""
        - action: keep
          source_labels: [cluster]
          regex: eu.*
        - action: drop
          source_labels: [cluster, env]
          regex: eu2;dev
        """);
    assertTrue(f.keep(block(Map.of("cluster", "eu1", "env", "dev"))));
    assertFalse(f.keep(block(Map.of("cluster", "eu2", "env", "dev"))));
    assertFalse(f.keep(block(Map.of("cluster", "us1"))));
    assertFalse(f.keep(block(Map.of("cluster", "xeu1"))), "regexes are anchored");
    assertTrue(RelabelFilter.parse(null).keep(block(Map.of())));
  }

  @Test
  void hashmodSplitsBlocksByTheirLabelsIntoDisjointShares() {
    int kept = 0;
    for (int i = 0; i < 200; i++) {
      BlockMeta m = block(Map.of("cluster", "c" + i));
      int owners = 0;
      for (int shard = 0; shard < 3; shard++) {
        RelabelFilter f = RelabelFilter.parse("- action: hashmod\n  source_labels: [cluster]\n  modulus: 3\n"
            + "  target_label: shard\n- action: keep\n  source_labels: [shard]\n  regex: \"" + shard + "\"\n");
        if (f.keep(m)) {
          owners++;
          if (shard == 0) {
            kept++;
          }
        }
      }
      assertEquals(1, owners);
    }
    assertTrue(kept > 40 && kept < 95, "about a third: " + kept);
  }

  @Test
  void onlyKeepDropAndHashmodAreAllowed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RelabelFilter.parse("- action: replace\n  target_label: x\n"));
    assertTrue(e.getMessage().contains("only keep, drop and hashmod"), e.getMessage());
  }
}
