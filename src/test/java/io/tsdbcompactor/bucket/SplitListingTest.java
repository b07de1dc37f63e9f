package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.labels.Labels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The key ranges of {@link SplitListing} over many key spaces, in page sizes from one key up, with one to eight
 * requests at once, against a sorted key set answering pages as S3 does (S3 itself is in {@link S3SplitListingTest}).
 */
class SplitListingTest {
  /** Pages of a sorted key set in S3's order; {@code ignoreStart} answers every page from the first key. */
  record SortedPages(List<String> keys, int maxKeys, boolean ignoreStart) implements SplitListing.Pages {
    @Override
    public SplitListing.Page after(String startAfter) {
      int i = 0;
      if (startAfter != null && !ignoreStart) {
        while (i < keys.size() && Labels.compareStrings(keys.get(i), startAfter) <= 0) {
          i++;
        }
      }
      List<ListEntry> page = new ArrayList<>();
      for (int j = i; j < keys.size() && page.size() < maxKeys; j++) {
        page.add(new ListEntry(keys.get(j), 1, null));
      }
      String last = page.isEmpty() ? null : page.get(page.size() - 1).key();
      return new SplitListing.Page(page, last, i + page.size() < keys.size());
    }

    @Override
    public void listAll(Bucket.ListVisitor visitor) throws IOException {
      for (String k : keys) {
        if (!visitor.visit(new ListEntry(k, 1, null))) {
          return;
        }
      }
    }
  }

  static List<String> list(SplitListing.Pages pages, int concurrency) throws IOException {
    List<String> out = new ArrayList<>();
    SplitListing.list("test", pages, concurrency, e -> out.add(e.key()));
    return out;
  }

  /** Block folders of 1 to 40 objects, their ULIDs bunched in time or spread, with other keys beside them. */
  static List<String> keySpace(Random r) {
    TreeSet<String> keys = new TreeSet<>(Labels::compareStrings);
    long now = 1_795_000_000_000L;
    int blocks = 1 + r.nextInt(300);
    long spread = r.nextBoolean() ? 3 * 86_400_000L : 400 * 86_400_000L;
    for (int b = 0; b < blocks; b++) {
      long age = r.nextInt(4) == 0 ? (long) (r.nextDouble() * spread * 30) : (long) (r.nextDouble() * spread);
      String ulid = Ulid.generate(now - age, r).toString();
      String prefix = r.nextInt(5) == 0 ? "tenant-" + r.nextInt(3) + "/" : "";
      keys.add(prefix + ulid + "/meta.json");
      int chunks = r.nextInt(4) == 0 ? r.nextInt(40) : 1;
      for (int c = 1; c <= chunks; c++) {
        keys.add(String.format("%s%s/chunks/%06d", prefix, ulid, c));
      }
    }
    String[] others = {"debug/metas/a.json", "zz", "~", "\u00fcber/x", "\ud83d\ude00/y", "\u4e2d/z", " space", "0"};
    for (String o : others) {
      if (r.nextBoolean()) {
        keys.add(o);
      }
    }
    return new ArrayList<>(keys);
  }

  @Test
  void everyKeySpaceIsListedOnceInOrderAtEveryPageSizeAndConcurrency() throws Exception {
    Random r = new Random(11);
    for (int round = 0; round < 300; round++) {
      List<String> keys = keySpace(r);
      int maxKeys = 1 + r.nextInt(r.nextBoolean() ? 5 : 60);
      int concurrency = 1 + r.nextInt(8);
      List<String> listed = list(new SortedPages(keys, maxKeys, false), concurrency);
      if (!keys.equals(listed)) {
        int i = 0;
        while (i < keys.size() && i < listed.size() && keys.get(i).equals(listed.get(i))) {
          i++;
        }
        throw new AssertionError("round " + round + ": " + keys.size() + " keys, pages of " + maxKeys + ", "
            + concurrency + " at once: " + listed.size() + " listed, first difference at " + i + ": expected "
            + keys.subList(Math.max(0, i - 2), Math.min(keys.size(), i + 3)) + ", listed "
            + listed.subList(Math.max(0, i - 2), Math.min(listed.size(), i + 3)));
      }
    }
  }

  @Test
  void aStoreIgnoringStartAfterIsListedThroughItsOwnPaging() throws Exception {
    Random r = new Random(12);
    for (int round = 0; round < 20; round++) {
      List<String> keys = keySpace(r);
      List<String> listed = new ArrayList<>();
      SplitListing.list("test", new SortedPages(keys, 3, true), 4, e -> listed.add(e.key()));
      assertEquals(keys, listed, "round " + round);
    }
  }

  @Test
  void aLeapEndsPastThePageAndSpellsAsciiAfterItsPrefix() {
    Random r = new Random(13);
    int leaps = 0;
    for (int round = 0; round < 2000; round++) {
      List<String> keys = keySpace(r);
      int size = 1 + r.nextInt(Math.min(keys.size(), 50));
      int start = r.nextInt(keys.size() - size + 1);
      List<ListEntry> page = new ArrayList<>();
      for (String k : keys.subList(start, start + size)) {
        page.add(new ListEntry(k, 1, null));
      }
      String last = page.get(page.size() - 1).key();
      String cut = SplitListing.leapAhead(new SplitListing.Page(page, last, true),
          1 << r.nextInt(Integer.numberOfTrailingZeros(SplitListing.MAX_LEAP_PAGES) + 1));
      if (cut != null) {
        leaps++;
        assertTrue(Labels.compareStrings(cut, last) > 0, cut + " past " + last);
        assertTrue(cut.chars().skip(Math.max(0, cut.length() - 3)).allMatch(c -> c >= ' ' && c < 0x80), cut);
      }
    }
    assertTrue(leaps > 1000, "most pages give a leap: " + leaps);
  }
}
