package io.tsdbcompactor.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The independent 5m checker itself, on Thanos's test vector V2 (raw -> resolution 100), and on broken dumps. */
class AggregateCheckTest {
  private static final String S = "{__name__=\"a\"}";
  private static final String RAW = String.join("\n",
      S + " 1 20", S + " 2 40", S + " 3 60", S + " 1 80", S + " 2 100", S + " NaN 101", S + " 5 120", S + " 10 180",
      S + " 2 250", S + " 1 260", S + " 10 300", S + " 15 340", S + " 25 380", S + " 35 420", S + " NaN 460",
      S + " 10 500", S + " 3 540") + "\n";
  private static final String AGGR = String.join("\n",
      S + " counter_first=1 20",
      S + " count=4 sum=7 min=1 max=3 counter=4 99",
      S + " count=3 sum=17 min=2 max=10 counter=13 199",
      S + " count=2 sum=3 min=1 max=2 counter=16 299",
      S + " count=3 sum=50 min=10 max=25 counter=40 399",
      S + " count=1 sum=35 min=35 max=35 counter=50 499",
      S + " count=2 sum=13 min=3 max=10 counter=63 540",
      S + " counter_last=3 540") + "\n";

  private static List<String> check(String aggr) throws Exception {
    return AggregateCheck.compare(AggregateCheck.parseRaw(RAW), aggr, 100, 0, 1000);
  }

  @Test
  void thanosVectorV2Matches() throws Exception {
    assertEquals(List.of(), check(AGGR));
  }

  @Test
  void wrongSumMissingWindowOrWrongFirstValueAreFound() throws Exception {
    assertFalse(check(AGGR.replace("sum=50", "sum=51")).isEmpty());
    assertFalse(check(AGGR.replace("counter=40", "counter=41")).isEmpty());
    assertFalse(check(AGGR.replace(S + " count=1 sum=35 min=35 max=35 counter=50 499\n", "")).isEmpty());
    assertFalse(check(AGGR.replace("counter_first=1 20", "counter_first=1 40")).isEmpty());
    assertFalse(check(AGGR.replace("counter_last=3 540", "counter_last=10 540")).isEmpty());
    // Window split across two chunks: the second part has no samples left.
    assertFalse(check(AGGR.replace(S + " count=2 sum=13 min=3 max=10 counter=63 540\n",
        S + " count=1 sum=10 min=10 max=10 counter=60 500\n" + S + " count=1 sum=3 min=3 max=3 counter=63 540\n"))
        .isEmpty());
  }

  @Test
  void coarseWindowsFromRawSamples() throws Exception {
    String ok = String.join("\n",
        S + " counter_first=1 20",
        S + " count=7 sum=24 min=1 max=10 counter=1 199",
        S + " count=5 sum=53 min=1 max=25 counter=1 399",
        S + " count=3 sum=48 min=3 max=35 counter=1 540",
        S + " counter_last=3 540") + "\n";
    assertEquals(List.of(), AggregateCheck.compareCoarse(AggregateCheck.parseRaw(RAW), ok, 200, 0, 1000));
    assertFalse(AggregateCheck.compareCoarse(AggregateCheck.parseRaw(RAW), ok.replace("min=1 max=25", "min=2 max=25"),
        200, 0, 1000).isEmpty());
    assertFalse(AggregateCheck.compareCoarse(AggregateCheck.parseRaw(RAW), ok.replace(S + " count=3 sum=48 min=3 max=35 "
        + "counter=1 540\n", ""), 200, 0, 1000).isEmpty());
    // A window split over two chunks adds up; repeated within one chunk it does not pass.
    String split = ok.replace(S + " count=5 sum=53 min=1 max=25 counter=1 399\n", S + " count=2 sum=3 min=1 max=2 "
        + "counter=1 260\n" + S + " counter_last=1 260\n" + S + " counter_first=10 300\n" + S
        + " count=3 sum=50 min=10 max=25 counter=1 399\n");
    assertEquals(List.of(), AggregateCheck.compareCoarse(AggregateCheck.parseRaw(RAW), split, 200, 0, 1000));
    String repeated = split.replace(S + " counter_last=1 260\n" + S + " counter_first=10 300\n", "");
    assertFalse(AggregateCheck.compareCoarse(AggregateCheck.parseRaw(RAW), repeated, 200, 0, 1000).isEmpty());
  }
}
