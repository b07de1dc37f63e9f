package io.tsdbcompactor.index;

import io.tsdbcompactor.store.CorruptDataException;

/** A forward cursor over series entries in postings (= label) order. */
public interface SeriesCursor {
  boolean next() throws CorruptDataException;

  /** The current series; a new object per step. */
  IndexSeries at();
}
