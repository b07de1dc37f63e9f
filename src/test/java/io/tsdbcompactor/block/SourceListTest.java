package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SourceListTest {
  private static final String A = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  private static final String B = "01BX5ZZKBKACTAV9WEVGEMMVRZ";

  @Test
  void behavesAsAnArrayListOfTheSameStringsUnderRandomEdits() {
    Random r = new Random(11);
    List<String> pool = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      pool.add(Ulid.generate(1_700_000_000_000L + i, r).toString());
    }
    // Not ULIDs as Thanos writes them: kept and compared as their text.
    pool.addAll(List.of(A.toLowerCase(), "block-b", "", "81ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FA"));
    List<String> expected = new ArrayList<>();
    SourceList list = new SourceList();
    for (int step = 0; step < 5_000; step++) {
      String s = pool.get(r.nextInt(pool.size()));
      int op = r.nextInt(10);
      if (op < 5 || expected.isEmpty()) {
        int at = r.nextInt(expected.size() + 1);
        expected.add(at, s);
        list.add(at, s);
      } else if (op < 7) {
        int at = r.nextInt(expected.size());
        assertEquals(expected.set(at, s), list.set(at, s));
      } else if (op < 9) {
        int at = r.nextInt(expected.size());
        assertEquals(expected.remove(at), list.remove(at));
      } else {
        assertEquals(expected.indexOf(s), list.indexOf(s), s);
      }
      assertEquals(expected.size(), list.size());
    }
    assertEquals(expected, list);
    assertEquals(list, expected);
    assertEquals(expected.hashCode(), list.hashCode());
    assertEquals(list, new SourceList(expected));
    assertEquals(list, new SourceList(list));
    list.clear();
    assertTrue(list.isEmpty());
  }

  @Test
  void bitsAreTheUlidsValueAndTextIsKeptForOtherSpellings() {
    SourceList list = new SourceList(List.of(A, A.toLowerCase()));
    assertTrue(list.isUlid(0));
    assertFalse(list.isUlid(1));
    assertEquals(A.toLowerCase(), list.get(1));
    Ulid parsed = Ulid.parse(A);
    assertEquals(parsed.timestamp(), list.hi(0) >>> 16);
    assertEquals(0, list.indexOf(A));
    assertEquals(1, list.indexOf(A.toLowerCase()));
    assertNotEquals(new SourceList(List.of(A)), new SourceList(List.of(A.toLowerCase())));
    assertThrows(NullPointerException.class, () -> list.add(null));
    assertThrows(IndexOutOfBoundsException.class, () -> list.get(2));
  }

  @Test
  void aSharingCopyIsEqualAndIndependentOfLaterChanges() {
    SourceList original = new SourceList(List.of(A, "text", B));
    SourceList copy = original.sharingCopy();
    assertEquals(original, copy);
    original.set(0, B);
    original.add("more");
    assertEquals(List.of(A, "text", B), copy);
    copy.remove(1);
    assertEquals(List.of(B, "text", B, "more"), original);
    assertEquals(List.of(A, B), copy);
  }

  @Test
  void internedListsShareUntilOneIsChanged() {
    SourceList.Interner interner = new SourceList.Interner(4);
    SourceList first = new SourceList(List.of(A, B));
    SourceList second = new SourceList(List.of(A, B));
    interner.intern(first);
    interner.intern(second);
    second.set(1, A);
    first.add(B);
    assertEquals(List.of(A, A), second);
    assertEquals(List.of(A, B, B), first);
    SourceList third = new SourceList(List.of(A, B));
    interner.intern(third);
    third.remove(0);
    assertEquals(List.of(B), third);
    SourceList fourth = new SourceList(List.of(A, B));
    interner.intern(fourth);
    assertEquals(List.of(A, B), fourth, "the interned array was not changed by the lists sharing it");
  }
}
