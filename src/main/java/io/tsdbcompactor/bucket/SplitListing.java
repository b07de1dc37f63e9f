package io.tsdbcompactor.bucket;

import io.tsdbcompactor.labels.Labels;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A recursive listing of a big key space in several ranges at once, for stores whose listing is one page of at
 * most 1000 keys per round trip: 100,000 blocks are about 500 pages, minutes of round trips one after another.
 *
 * <p>The first page is listed and handed to the visitor as usual; a listing that fits in it costs nothing more.
 * After it, as many ranges {@code (after, upTo]} start as requests may be, of growing length guessed from the
 * first page's spread ({@link #firstRanges}), the last one open to the end of the key space. Each range is listed
 * page by page from its lower bound ({@code start-after}). When a page ends short of its range's end while fewer
 * ranges are under way than requests may be, the rest of the range is cut in two and the upper part becomes a
 * range of its own:
 *
 * <ul>
 *   <li>the range keeps a few pages' worth of keys, judged from the spread of its last page (see
 *       {@link #leapAhead}), and hands the rest on to a range that keeps twice as many when it hands on in turn;
 *   <li>when the guess passes the range's end, or the page gives none, the range is halved
 *       ({@link Keys#cutBetween}).
 * </ul>
 *
 * <p>So requests spread over the key space whatever its shape (old 14-day blocks thin, the last days' 2-hour
 * blocks dense) without knowing it in advance. A range ends at the first page that passes its end; that page's
 * keys past the cut are read again by the next range and kept once.
 *
 * <p>A key missed here would make its block look partial, and partial blocks are deleted in the end, so the
 * listing checks what it relies on: every page must hold keys strictly after its {@code start-after}, in strictly
 * increasing {@link Labels#compareStrings} order (S3's), and a page that says it is truncated must hold a key. A store
 * that breaks one of these (one that ignores {@code start-after}, or orders keys its own way) is listed again
 * through {@link Pages#listAll}, its own paging, the keys already handed over skipped. Cuts are a real key's
 * prefix and one ASCII character, and block keys are ASCII: they sort against a cut alike in byte order and in
 * UTF-16 order.
 *
 * <p>The ranges' keys are kept until the last range is done, then handed to the visitor in key order: memory for
 * the listed entries, which the caller of a whole-bucket listing keeps anyway.
 */
final class SplitListing {
  private static final Logger LOG = LoggerFactory.getLogger(SplitListing.class);
  /** Pages' worth of keys the first range keeps (see firstRanges). */
  static final int FIRST_LEAP_PAGES = 4;
  /** The most pages' worth a range keeps: a handful of ranges covers any bucket, and the guess stays a number. */
  static final int MAX_LEAP_PAGES = 1 << 12;

  /** One page of keys, in key order. */
  record Page(List<ListEntry> entries, String lastKey, boolean truncated) {}

  /** The store's listing of one prefix. */
  interface Pages {
    /** The page of keys after {@code startAfter} (exclusive; null: from the first key). */
    Page after(String startAfter) throws IOException;

    /** The whole listing as the store pages it by itself, for stores that break the rules above. */
    void listAll(Bucket.ListVisitor visitor) throws IOException;
  }

  /** The store broke a rule the ranges rely on. */
  private static final class RuleBroken extends Exception {
    RuleBroken(String message) {
      super(message, null, false, false);
    }
  }

  /** Keys {@code (after, upTo]}; a null bound is the start or the end of the key space. */
  private static final class Range {
    final String after;
    String upTo; // lowered only by the thread listing this range, when it hands the upper part on
    final List<ListEntry> entries = new ArrayList<>();

    /** Pages' worth of keys this range keeps when it hands the rest on; a range handed on leaps twice as far. */
    final int leap;

    Range(String after, String upTo, int leap) {
      this.after = after;
      this.upTo = upTo;
      this.leap = leap;
    }
  }

  private final String what;
  private final Pages pages;
  private final int concurrency;
  private final List<Range> ranges = new ArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private ExecutorService pool;
  private int unfinished;
  private Throwable failure;

  private SplitListing(String what, Pages pages, int concurrency) {
    this.what = what;
    this.pages = pages;
    this.concurrency = concurrency;
  }

  /**
   * Lists {@code pages} with at most {@code concurrency} requests at once; {@code what} names the listing in
   * errors and logs.
   */
  static void list(String what, Pages pages, int concurrency, Bucket.ListVisitor visitor) throws IOException {
    new SplitListing(what, pages, concurrency).run(visitor);
  }

  private void run(Bucket.ListVisitor visitor) throws IOException {
    requests.incrementAndGet();
    Page first = pages.after(null);
    try {
      check(first, null);
    } catch (RuleBroken e) {
      fallBack(e, Set.of(), visitor);
      return;
    }
    for (ListEntry e : first.entries()) {
      if (!visitor.visit(e)) {
        return;
      }
    }
    if (!first.truncated()) {
      return;
    }
    try {
      listRanges(firstRanges(first));
    } catch (RuleBroken e) {
      Set<String> handedOver = new HashSet<>();
      for (ListEntry e2 : first.entries()) {
        handedOver.add(e2.key());
      }
      fallBack(e, handedOver, visitor);
      return;
    }
    ranges.sort(Comparator.comparing((Range r) -> r.after, Labels::compareStrings));
    LOG.debug("{}: {} ranges, {} requests", what, ranges.size(), requests.get());
    for (Range r : ranges) {
      for (ListEntry e : r.entries) {
        if (!visitor.visit(e)) {
          return;
        }
      }
    }
  }

  /**
   * The ranges that start at once after the first page: as many as requests may be, keeping {@link
   * #FIRST_LEAP_PAGES}, then twice, four times as many pages' worth as the first page's spread suggests, the last
   * one open to the end of the key space. Ranges past the last key cost one request each and free their worker to
   * take half of a busy range; without them the ranges would take a round trip each to spread.
   */
  private List<Range> firstRanges(Page first) {
    List<Range> out = new ArrayList<>();
    String after = first.lastKey();
    int pages = 0;
    for (int leap = FIRST_LEAP_PAGES; out.size() < concurrency - 1 && leap <= MAX_LEAP_PAGES; leap *= 2) {
      pages += leap;
      String cut = leapAhead(first, pages);
      if (cut == null) {
        break;
      }
      if (Labels.compareStrings(cut, after) > 0) {
        out.add(new Range(after, cut, leap));
        after = cut;
      }
    }
    out.add(new Range(after, null, Math.min(2 * Math.max(pages, FIRST_LEAP_PAGES), MAX_LEAP_PAGES)));
    return out;
  }

  /** Lists every range, the first ones given, to the end of the key space. */
  private void listRanges(List<Range> first) throws IOException, RuleBroken {
    pool = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "list-ranges");
      t.setDaemon(true);
      return t;
    });
    try {
      for (Range r : first) {
        start(r);
      }
      synchronized (this) {
        while (unfinished > 0 && failure == null) {
          wait();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while listing " + what);
    } finally {
      pool.shutdownNow();
    }
    Throwable f;
    synchronized (this) {
      f = failure;
    }
    if (f instanceof RuleBroken r) {
      throw r;
    }
    BucketException.rethrow(f);
  }

  private synchronized void start(Range range) {
    ranges.add(range);
    unfinished++;
    pool.execute(() -> {
      Throwable failed = null;
      try {
        listRange(range);
      } catch (Throwable t) {
        failed = t;
      }
      synchronized (this) {
        unfinished--;
        if (failed != null && failure == null) {
          failure = failed;
        }
        notifyAll();
      }
    });
  }

  private void listRange(Range range) throws IOException, RuleBroken {
    String from = range.after;
    while (!failed()) {
      requests.incrementAndGet();
      Page page = pages.after(from);
      check(page, from);
      for (ListEntry e : page.entries()) {
        if (range.upTo != null && Labels.compareStrings(e.key(), range.upTo) > 0) {
          return;
        }
        range.entries.add(e);
      }
      if (!page.truncated() || (range.upTo != null && Labels.compareStrings(page.lastKey(), range.upTo) >= 0)) {
        return;
      }
      from = page.lastKey();
      if (workerIdle()) {
        String cut = leapAhead(page, range.leap);
        if (cut == null || (range.upTo != null && Labels.compareStrings(cut, range.upTo) >= 0)) {
          cut = Keys.cutBetween(from, range.upTo);
        }
        if (cut != null && Labels.compareStrings(cut, from) > 0) {
          String upTo = range.upTo;
          range.upTo = cut;
          start(new Range(cut, upTo, Math.min(2 * range.leap, MAX_LEAP_PAGES)));
        }
      }
    }
  }

  private synchronized boolean failed() {
    return failure != null;
  }

  private synchronized boolean workerIdle() {
    return unfinished < concurrency;
  }

  /**
   * Where a range that hands the rest of its keys on stops: about {@code pages} pages of keys past this page if
   * they are as dense as its last quarter, read at the first character where that quarter's first and last keys
   * differ. The last quarter, not the whole page, because density changes along the key space (a page from old
   * 14-day blocks into the last days' 2-hour blocks). A guess too short costs a range more (one request past its
   * end); too long, and the range hands on again while a worker is idle. Null when the keys give no spread to go
   * by (they differ past ASCII). A guess past the keys that share the characters before that one stops at their
   * end.
   */
  static String leapAhead(Page page, int pages) {
    List<ListEntry> entries = page.entries();
    if (entries.isEmpty()) {
      return null;
    }
    int quarter = entries.size() / 4;
    String first = entries.get(entries.size() - 1 - quarter).key();
    String last = page.lastKey();
    int p = 0;
    while (p < first.length() && p < last.length() && first.charAt(p) == last.charAt(p)) {
      p++;
    }
    if (p >= last.length()) {
      return null;
    }
    // The spread, read as a number of base 128 over the differing character and up to two before it, is carried
    // ahead; the result is spelled back in those characters, which keeps the cut ASCII.
    int from = Math.max(0, p - 2);
    long low = 0;
    long high = 0;
    for (int i = from; i <= p; i++) {
      int lowChar = i < first.length() ? first.charAt(i) : 0;
      int highChar = last.charAt(i);
      if (lowChar >= 0x80 || highChar >= 0x80) {
        return null;
      }
      low = low * 128 + lowChar;
      high = high * 128 + highChar;
    }
    long ahead = high + (long) pages * (quarter > 0 ? 4 : 1) * (high - low);
    int width = p - from + 1;
    if (ahead >= 1L << (7 * width)) {
      // Past the keys sharing the characters before these: stop at their end.
      return from > 0 && last.charAt(from - 1) < 0x7f ? last.substring(0, from - 1) + (char) (last.charAt(from - 1) + 1)
          : null;
    }
    char[] digits = new char[width];
    for (int i = width - 1; i >= 0; i--) {
      digits[i] = (char) Math.max(' ', ahead % 128); // below ' ' only raises the cut, which stays past the page
      ahead /= 128;
    }
    return last.substring(0, from) + new String(digits);
  }

  private static void check(Page page, String startAfter) throws RuleBroken {
    String previous = startAfter;
    for (ListEntry e : page.entries()) {
      if (previous != null && Labels.compareStrings(e.key(), previous) <= 0) {
        throw new RuleBroken(previous == startAfter
            ? "key " + e.key() + " listed after start-after " + startAfter
            : "key " + e.key() + " listed after " + previous);
      }
      previous = e.key();
    }
    if (page.lastKey() != null && previous != null && Labels.compareStrings(page.lastKey(), previous) < 0) {
      throw new RuleBroken("page ends at " + page.lastKey() + " before its key " + previous);
    }
    if (page.truncated() && page.lastKey() == null) {
      throw new RuleBroken("a truncated page with no key");
    }
  }

  /** The store's own paging, the keys already given to the visitor skipped. */
  private void fallBack(RuleBroken why, Set<String> handedOver, Bucket.ListVisitor visitor) throws IOException {
    LOG.warn("{}: the store's listing cannot be split into ranges ({}); listing it page after page", what,
        why.getMessage());
    pages.listAll(e -> handedOver.contains(e.key()) || visitor.visit(e));
  }
}
