package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SourceTableTest {
  @Test
  void agreesWithAHashMapOverManyUlidsThroughGrowth() {
    Random r = new Random(7);
    SourceTable table = new SourceTable();
    Map<String, Integer> expected = new HashMap<>();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      // Few distinct times, as a bucket's sources share their hours: the random bits must spread them.
      String u = Ulid.generate(1_700_000_000_000L + r.nextInt(8) * 7_200_000L, r).toString();
      all.add(u);
      int v = r.nextInt(1000);
      assertEquals(expected.containsKey(u) ? expected.get(u) : -1, table.putIfAbsent(u, v));
      expected.putIfAbsent(u, v);
    }
    assertEquals(expected.size(), table.size());
    for (String u : all) {
      assertEquals(expected.get(u), table.get(u));
    }
    for (int i = 0; i < 1000; i++) {
      String absent = Ulid.generate(1_600_000_000_000L, r).toString();
      assertFalse(table.contains(absent), absent);
    }
    assertTrue(table.containsAll(all.subList(100, 200)));
    assertEquals(expected.get(all.get(0)), table.put(all.get(0), 5));
    assertEquals(5, table.get(all.get(0)));
  }

  @Test
  void keysAreExactStringsEqualOrIdentical() {
    SourceTable table = new SourceTable();
    assertTrue(table.add("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    // An equal String that is not the same object is the same key; another spelling is not.
    assertTrue(table.contains(new String("01ARZ3NDEKTSV4RRFFQ69G5FAV".toCharArray())));
    assertFalse(table.add(new String("01ARZ3NDEKTSV4RRFFQ69G5FAV".toCharArray())));
    assertFalse(table.contains("01arz3ndektsv4rrffq69g5fav"));
    // Strings of equal hash ("Aa" and "BB") are told apart.
    assertTrue(table.add("Aa"));
    assertTrue(table.add("BB"));
    assertEquals(3, table.size());
    assertThrows(IllegalArgumentException.class, () -> table.put("block-b", -1));
  }

  @Test
  void elementsOfASourceListAreTheSameKeysAsTheirStrings() {
    Random r = new Random(3);
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      strings.add(Ulid.generate(1_700_000_000_000L, r).toString());
    }
    strings.add("not-a-ulid");
    strings.add(strings.get(0).toLowerCase());
    SourceList list = new SourceList(strings);
    SourceTable fromList = new SourceTable(10);
    fromList.addAll(list);
    SourceTable fromStrings = new SourceTable();
    fromStrings.addAll(strings);
    assertEquals(strings.size(), fromList.size());
    assertTrue(fromList.containsAll(strings));
    assertTrue(fromStrings.containsAll(list));
    for (int i = 0; i < list.size(); i++) {
      assertEquals(0, fromList.put(list, i, i + 1), "added with value 0");
      assertEquals(i + 1, fromList.get(strings.get(i)));
      assertEquals(i + 1, fromList.get(list, i));
      assertEquals(i + 1, fromList.putIfAbsent(list, i, 7));
      assertTrue(fromStrings.contains(list, i));
    }
    SourceList absent = new SourceList(List.of(Ulid.generate(1_600_000_000_000L, r).toString(), "other"));
    assertFalse(fromList.contains(absent, 0));
    assertFalse(fromList.contains(absent, 1));
    assertEquals(-1, fromList.putIfAbsent(absent, 1, 4));
    assertEquals(4, fromList.get("other"));
  }
}
