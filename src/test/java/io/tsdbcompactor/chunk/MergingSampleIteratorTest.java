package io.tsdbcompactor.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class MergingSampleIteratorTest {

  static SampleIterator src(double base, long... ts) {
    double[] vs = new double[ts.length];
    for (int i = 0; i < ts.length; i++) {
      vs[i] = base + ts[i];
    }
    return new ArraySampleIterator(ts, vs);
  }

  static List<double[]> drain(SampleIterator it) throws CorruptDataException {
    List<double[]> out = new ArrayList<>();
    while (it.next()) {
      out.add(new double[] {it.timestamp(), it.value()});
    }
    assertFalse(it.next());
    return out;
  }

  static double[] values(List<double[]> s) {
    return s.stream().mapToDouble(x -> x[1]).toArray();
  }

  @Test
  void emptyAndSingle() throws CorruptDataException {
    assertTrue(drain(new MergingSampleIterator()).isEmpty());
    assertTrue(drain(new MergingSampleIterator(src(0))).isEmpty());
    assertArrayEquals(new double[] {1, 2}, values(drain(new MergingSampleIterator(src(0, 1, 2)))));
  }

  /** Hand-traced against Prometheus's chainSampleIterator with Go's container/heap: the waiting source wins. */
  @Test
  void tiesFollowPrometheusChainIterator() throws CorruptDataException {
    // Sources [A, B]: A emits 1, then B wins 2 and 3 (A is pushed, B popped), B emits 4.
    assertArrayEquals(new double[] {101, 202, 203, 204},
        values(drain(new MergingSampleIterator(src(100, 1, 2, 3), src(200, 2, 3, 4)))));
    // Sources [B, A] (the compactor's order: joined chunks first, the group's first chunk last).
    assertArrayEquals(new double[] {101, 202, 203, 204},
        values(drain(new MergingSampleIterator(src(200, 2, 3, 4), src(100, 1, 2, 3)))));
    // Same timestamps everywhere: the first source starts current, the heap top wins the tie.
    assertArrayEquals(new double[] {201, 202},
        values(drain(new MergingSampleIterator(src(100, 1, 2), src(200, 1, 2)))));
  }

  @Test
  void mergesManyStreamsOneSamplePerTimestamp() throws CorruptDataException {
    for (int seed = 0; seed < 200; seed++) {
      Random r = new Random(seed);
      int k = new int[] {2, 3, 5, 1, 8}[seed % 5];
      SampleIterator[] its = new SampleIterator[k];
      Map<Long, Set<Double>> offered = new HashMap<>();
      TreeSet<Long> all = new TreeSet<>();
      for (int s = 0; s < k; s++) {
        int n = r.nextInt(300);
        long[] ts = new long[n];
        double[] vs = new double[n];
        long t = r.nextInt(1000);
        for (int i = 0; i < n; i++) {
          t += 1 + r.nextInt(r.nextBoolean() ? 3 : 50);
          ts[i] = t;
          vs[i] = s * 1_000_000 + t;
          offered.computeIfAbsent(t, x -> new HashSet<>()).add(vs[i]);
          all.add(t);
        }
        its[s] = new ArraySampleIterator(ts, vs);
      }
      List<double[]> got = drain(new MergingSampleIterator(its));
      assertEquals(all.size(), got.size());
      int i = 0;
      for (long t : all) {
        assertEquals(t, (long) got.get(i)[0]);
        assertTrue(offered.get(t).contains(got.get(i)[1]));
        i++;
      }
    }
  }

  @Test
  void sampleAtLongMinValueIsKept() throws CorruptDataException {
    List<double[]> got = drain(new MergingSampleIterator(
        new ArraySampleIterator(new long[] {Long.MIN_VALUE, 0}, new double[] {1, 2}),
        new ArraySampleIterator(new long[] {Long.MIN_VALUE}, new double[] {3})));
    assertEquals(2, got.size());
  }
}
