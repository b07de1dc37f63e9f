package io.tsdbcompactor.block;

import java.util.Comparator;
import java.util.List;

/**
 * Go 1.19's {@code sort.Slice} (pattern-defeating quicksort, {@code pdqsort_func}), element move for element
 * move. It is not stable, and promtool orders blocks with it by minTime, so blocks with equal minTime end up in
 * whatever order it leaves them in; that order decides which sample wins when overlapping blocks disagree at a
 * timestamp. Up to 12 elements it is an insertion sort (stable); above, partitioning reorders equal elements.
 * To give the same order, the comparisons and swaps must be Go's own, so this follows the steps of Go's
 * {@code pdqsort_func} (sort/zsortfunc.go; Orson Peters's pattern-defeating quicksort) with its constants:
 * insertion sort up to 12, ninther pivot from 50, partial insertion sort of at most 5 steps from 50, heap
 * sort after log2(n) bad pivots, xorshift(13, 17, 5) pattern breaking. Checked against promtool's output for
 * a directory of 20 overlapping blocks ({@code BlockPromtoolTest}).
 */
final class GoSort {
  private GoSort() {}

  private static final int UNKNOWN = 0;
  private static final int INCREASING = 1;
  private static final int DECREASING = 2;

  /** Sorts {@code list} in place exactly as Go 1.19's sort.Slice with less(i, j) = cmp(i, j) &lt; 0 would. */
  static <T> void slice(List<T> list, Comparator<? super T> cmp) {
    Data<T> d = new Data<>(list, cmp);
    int n = list.size();
    pdqsort(d, 0, n, 32 - Integer.numberOfLeadingZeros(n));
  }

  private static final class Data<T> {
    final List<T> list;
    final Comparator<? super T> cmp;

    Data(List<T> list, Comparator<? super T> cmp) {
      this.list = list;
      this.cmp = cmp;
    }

    boolean less(int i, int j) {
      return cmp.compare(list.get(i), list.get(j)) < 0;
    }

    void swap(int i, int j) {
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  private static void insertionSort(Data<?> d, int a, int b) {
    for (int i = a + 1; i < b; i++) {
      for (int j = i; j > a && d.less(j, j - 1); j--) {
        d.swap(j, j - 1);
      }
    }
  }

  private static void siftDown(Data<?> d, int lo, int hi, int first) {
    int root = lo;
    while (true) {
      int child = 2 * root + 1;
      if (child >= hi) {
        return;
      }
      if (child + 1 < hi && d.less(first + child, first + child + 1)) {
        child++;
      }
      if (!d.less(first + root, first + child)) {
        return;
      }
      d.swap(first + root, first + child);
      root = child;
    }
  }

  private static void heapSort(Data<?> d, int a, int b) {
    int first = a;
    int hi = b - a;
    for (int i = (hi - 1) / 2; i >= 0; i--) {
      siftDown(d, i, hi, first);
    }
    for (int i = hi - 1; i >= 0; i--) {
      d.swap(first, first + i);
      siftDown(d, 0, i, first);
    }
  }

  private static void pdqsort(Data<?> d, int a, int b, int limit) {
    boolean wasBalanced = true;
    boolean wasPartitioned = true;
    while (true) {
      int length = b - a;
      if (length <= 12) {
        insertionSort(d, a, b);
        return;
      }
      if (limit == 0) {
        heapSort(d, a, b);
        return;
      }
      if (!wasBalanced) {
        breakPatterns(d, a, b);
        limit--;
      }
      int[] ph = choosePivot(d, a, b);
      int pivot = ph[0];
      int hint = ph[1];
      if (hint == DECREASING) {
        reverseRange(d, a, b);
        pivot = (b - 1) - (pivot - a);
        hint = INCREASING;
      }
      if (wasBalanced && wasPartitioned && hint == INCREASING && partialInsertionSort(d, a, b)) {
        return;
      }
      if (a > 0 && !d.less(a - 1, pivot)) {
        a = partitionEqual(d, a, b, pivot);
        continue;
      }
      int[] mp = partition(d, a, b, pivot);
      int mid = mp[0];
      wasPartitioned = mp[1] != 0;
      int leftLen = mid - a;
      int rightLen = b - mid;
      int balanceThreshold = length / 8;
      if (leftLen < rightLen) {
        wasBalanced = leftLen >= balanceThreshold;
        pdqsort(d, a, mid, limit);
        a = mid + 1;
      } else {
        wasBalanced = rightLen >= balanceThreshold;
        pdqsort(d, mid + 1, b, limit);
        b = mid;
      }
    }
  }

  /** Returns {new pivot position, 1 if the range was already partitioned}. */
  private static int[] partition(Data<?> d, int a, int b, int pivot) {
    d.swap(a, pivot);
    int i = a + 1;
    int j = b - 1;
    while (i <= j && d.less(i, a)) {
      i++;
    }
    while (i <= j && !d.less(j, a)) {
      j--;
    }
    if (i > j) {
      d.swap(j, a);
      return new int[] {j, 1};
    }
    d.swap(i, j);
    i++;
    j--;
    while (true) {
      while (i <= j && d.less(i, a)) {
        i++;
      }
      while (i <= j && !d.less(j, a)) {
        j--;
      }
      if (i > j) {
        break;
      }
      d.swap(i, j);
      i++;
      j--;
    }
    d.swap(j, a);
    return new int[] {j, 0};
  }

  private static int partitionEqual(Data<?> d, int a, int b, int pivot) {
    d.swap(a, pivot);
    int i = a + 1;
    int j = b - 1;
    while (true) {
      while (i <= j && !d.less(a, i)) {
        i++;
      }
      while (i <= j && d.less(a, j)) {
        j--;
      }
      if (i > j) {
        break;
      }
      d.swap(i, j);
      i++;
      j--;
    }
    return i;
  }

  private static boolean partialInsertionSort(Data<?> d, int a, int b) {
    int i = a + 1;
    for (int step = 0; step < 5; step++) {
      while (i < b && !d.less(i, i - 1)) {
        i++;
      }
      if (i == b) {
        return true;
      }
      if (b - a < 50) {
        return false;
      }
      d.swap(i, i - 1);
      if (i - a >= 2) {
        for (int j = i - 1; j >= 1; j--) {
          if (!d.less(j, j - 1)) {
            break;
          }
          d.swap(j, j - 1);
        }
      }
      if (b - i >= 2) {
        for (int j = i + 1; j < b; j++) {
          if (!d.less(j, j - 1)) {
            break;
          }
          d.swap(j, j - 1);
        }
      }
    }
    return false;
  }

  private static void breakPatterns(Data<?> d, int a, int b) {
    int length = b - a;
    if (length >= 8) {
      long random = length;
      long modulus = 1L << (64 - Long.numberOfLeadingZeros(length));
      for (int idx = a + (length / 4) * 2 - 1; idx <= a + (length / 4) * 2 + 1; idx++) {
        random ^= random << 13;
        random ^= random >>> 17;
        random ^= random << 5;
        int other = (int) (random & (modulus - 1));
        if (other >= length) {
          other -= length;
        }
        d.swap(idx, a + other);
      }
    }
  }

  /** Returns {pivot, hint}. */
  private static int[] choosePivot(Data<?> d, int a, int b) {
    int l = b - a;
    int[] swaps = {0};
    int i = a + l / 4;
    int j = a + l / 4 * 2;
    int k = a + l / 4 * 3;
    if (l >= 8) {
      if (l >= 50) {
        i = median(d, i - 1, i, i + 1, swaps);
        j = median(d, j - 1, j, j + 1, swaps);
        k = median(d, k - 1, k, k + 1, swaps);
      }
      j = median(d, i, j, k, swaps);
    }
    int hint = swaps[0] == 0 ? INCREASING : swaps[0] == 12 ? DECREASING : UNKNOWN;
    return new int[] {j, hint};
  }

  private static int median(Data<?> d, int a, int b, int c, int[] swaps) {
    // order2(a, b), order2(b, c), order2(a, b): the middle index ends up in b.
    if (d.less(b, a)) {
      swaps[0]++;
      int t = a;
      a = b;
      b = t;
    }
    if (d.less(c, b)) {
      swaps[0]++;
      int t = b;
      b = c;
      c = t;
    }
    if (d.less(b, a)) {
      swaps[0]++;
      int t = a;
      a = b;
      b = t;
    }
    return b;
  }

  private static void reverseRange(Data<?> d, int a, int b) {
    int i = a;
    int j = b - 1;
    while (i < j) {
      d.swap(i, j);
      i++;
      j--;
    }
  }
}
