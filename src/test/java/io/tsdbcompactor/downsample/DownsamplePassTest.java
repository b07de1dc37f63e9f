package io.tsdbcompactor.downsample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.downsample.DownsampleSelector.Candidate;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class DownsamplePassTest {

  private static List<Candidate> candidates(int n) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BlockMeta m = new BlockMeta();
      m.ulid = String.format("01H%023d", i);
      out.add(new Candidate(m, Resolution.FIVE_MINUTES));
    }
    return out;
  }

  @Test
  void oneWorkerRunsInPlanOrder() throws Exception {
    List<String> seen = new ArrayList<>();
    assertEquals(5, DownsamplePass.run(candidates(5), 1, c -> seen.add(c.meta().ulid)));
    List<String> expected = new ArrayList<>();
    for (Candidate c : candidates(5)) {
      expected.add(c.meta().ulid);
    }
    assertEquals(expected, seen);
  }

  @Test
  void severalWorkersRunEveryCandidateOnce() throws Exception {
    Set<String> seen = Collections.synchronizedSet(new TreeSet<>());
    assertEquals(20, DownsamplePass.run(candidates(20), 4, c -> {
      if (!seen.add(c.meta().ulid)) {
        throw new AssertionError("twice: " + c);
      }
    }));
    assertEquals(20, seen.size());
  }

  @Test
  void firstFailureStopsDispatching() {
    List<String> seen = new ArrayList<>();
    IOException boom = new IOException("upload failed");
    IOException thrown = assertThrows(IOException.class, () -> DownsamplePass.run(candidates(5), 1, c -> {
      seen.add(c.meta().ulid);
      if (seen.size() == 2) {
        throw boom;
      }
    }));
    assertSame(boom, thrown);
    assertEquals(2, seen.size());
    assertThrows(IllegalArgumentException.class, () -> DownsamplePass.run(candidates(1), 0, c -> { }));
  }
}
