package io.tsdbcompactor.block;

import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Merges sorted symbol cursors (e.g. the symbol tables of the blocks being compacted) into one sorted cursor
 * without duplicates: the symbol table of the output block. Streams: holds one symbol per input.
 */
public final class SymbolMerger implements StringCursor {
  private final StringCursor[] inputs;
  private final String[] heads;
  private String current;

  private SymbolMerger(StringCursor[] inputs) throws CorruptDataException {
    this.inputs = inputs;
    this.heads = new String[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      heads[i] = inputs[i].next() ? inputs[i].value() : null;
    }
  }

  public static StringCursor merge(StringCursor... sorted) throws CorruptDataException {
    return new SymbolMerger(sorted.clone());
  }

  public static StringCursor merge(List<StringCursor> sorted) throws CorruptDataException {
    return new SymbolMerger(sorted.toArray(new StringCursor[0]));
  }

  /** A cursor over an unsorted collection of strings: sorted by UTF-8 bytes, duplicates removed. */
  public static StringCursor of(Collection<String> strings) {
    String[] s = strings.toArray(new String[0]);
    Arrays.sort(s, Labels::compareStrings);
    return new StringCursor() {
      private int i = -1;

      @Override
      public boolean next() {
        i++;
        while (i < s.length && i > 0 && s[i].equals(s[i - 1])) {
          i++;
        }
        return i < s.length;
      }

      @Override
      public String value() {
        return s[i];
      }
    };
  }

  @Override
  public boolean next() throws CorruptDataException {
    String min = null;
    for (String h : heads) {
      if (h != null && (min == null || Labels.compareStrings(h, min) < 0)) {
        min = h;
      }
    }
    if (min == null) {
      current = null;
      return false;
    }
    for (int i = 0; i < heads.length; i++) {
      while (heads[i] != null && heads[i].equals(min)) {
        heads[i] = inputs[i].next() ? inputs[i].value() : null;
      }
    }
    current = min;
    return true;
  }

  @Override
  public String value() {
    return current;
  }
}
