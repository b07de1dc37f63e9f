package io.tsdbcompactor.block;

import java.util.ArrayList;

/**
 * A binary min-heap that moves its elements exactly as Go's {@code container/heap} does (same sift-up and
 * sift-down steps, same swap order). Prometheus's merges resolve ties between equal keys by whatever order
 * that heap leaves them in, so reproducing its output means reproducing its moves.
 */
final class GoHeap<T> {
  interface Less<T> {
    boolean less(T a, T b);
  }

  private final ArrayList<T> items = new ArrayList<>();
  private final Less<T> less;

  GoHeap(Less<T> less) {
    this.less = less;
  }

  int size() {
    return items.size();
  }

  T peek() {
    return items.get(0);
  }

  void push(T x) {
    items.add(x);
    up(items.size() - 1);
  }

  T pop() {
    int n = items.size() - 1;
    swap(0, n);
    down(0, n);
    return items.remove(n);
  }

  private boolean lessAt(int i, int j) {
    return less.less(items.get(i), items.get(j));
  }

  private void swap(int i, int j) {
    T t = items.get(i);
    items.set(i, items.get(j));
    items.set(j, t);
  }

  private void up(int j) {
    while (true) {
      int i = (j - 1) / 2; // Go's integer division truncates toward zero too: the root is its own parent.
      if (i == j || !lessAt(j, i)) {
        break;
      }
      swap(i, j);
      j = i;
    }
  }

  private void down(int i0, int n) {
    int i = i0;
    while (true) {
      int j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) {
        break;
      }
      int j = j1;
      int j2 = j1 + 1;
      if (j2 < n && lessAt(j2, j1)) {
        j = j2;
      }
      if (!lessAt(j, i)) {
        break;
      }
      swap(i, j);
      i = j;
    }
  }
}
