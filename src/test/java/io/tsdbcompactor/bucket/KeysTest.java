package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** S3's key order ({@link Labels#compareStrings}) and the cuts of a split listing ({@link SplitListing}). */
class KeysTest {
  /** Keys of ASCII, Latin, CJK, characters past U+FFFF (surrogate pairs) and U+E000-U+FFFF. */
  static String randomKey(Random r, boolean asciiOnly) {
    String[] alphabet = asciiOnly
        ? new String[] {"0", "1", "7", "A", "H", "Z", "z", "/", "-", "~", " "}
        : new String[] {"0", "1", "A", "Z", "/", "~", "\u00fc", "\u4e2d", "\ue000", "\uff01", "\ud83d\ude00", "\ud800\udc00"};
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(8);
    for (int i = 0; i < n; i++) {
      sb.append(alphabet[r.nextInt(alphabet.length)]);
    }
    return sb.toString();
  }

  static int byteOrder(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void s3KeyOrderIsTheOrderOfTheUtf8Bytes() {
    Random r = new Random(1);
    for (int i = 0; i < 200_000; i++) {
      String a = randomKey(r, false);
      String b = randomKey(r, false);
      assertEquals(Integer.signum(byteOrder(a, b)), Integer.signum(Labels.compareStrings(a, b)), a + " vs " + b);
    }
    assertTrue(Labels.compareStrings("\uff01", "\ud83d\ude00") < 0, "U+FF01 before U+1F600 although its UTF-16 unit is larger");
  }

  @Test
  void aCutLiesStrictlyBetweenItsKeysAndSortsAgainstAsciiKeysAlikeInEveryOrder() {
    Random r = new Random(2);
    int pairs = 0;
    int cuts = 0;
    for (int i = 0; i < 200_000; i++) {
      String a = randomKey(r, i % 2 == 0);
      String b = i % 10 == 0 ? null : randomKey(r, i % 2 == 0);
      if (b != null && Labels.compareStrings(a, b) >= 0) {
        assertNull(Keys.cutBetween(a, b), a + " is not below " + b);
        continue;
      }
      pairs++;
      String cut = Keys.cutBetween(a, b);
      if (cut == null) {
        continue;
      }
      cuts++;
      assertTrue(Labels.compareStrings(a, cut) < 0 && (b == null || Labels.compareStrings(cut, b) < 0), a + " < " + cut + " < " + b);
      String k = randomKey(r, true);
      assertEquals(Integer.signum(Labels.compareStrings(k, cut)), Integer.signum(k.compareTo(cut)), k + " vs cut " + cut);
    }
    assertTrue(cuts > pairs * 3 / 4, "most pairs have room for a cut: " + cuts + " of " + pairs);
  }

  @Test
  void cutsOfBlockKeys() {
    assertEquals("01HM", Keys.cutBetween("01HA", "01HZ"));
    assertEquals("01HAW", Keys.cutBetween("01HA/meta.json", "01HB"));
    assertEquals("X", Keys.cutBetween("01HA/meta.json", null));
    assertNotNull(Keys.cutBetween("01H", "01HZ"));
    assertNull(Keys.cutBetween("01HZ", "01HZ"));
    assertNull(Keys.cutBetween("\u00fc/a", "\u00fd"), "no ASCII cut between keys that differ past ASCII");
  }
}
