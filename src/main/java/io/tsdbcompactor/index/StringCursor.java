package io.tsdbcompactor.index;

import io.tsdbcompactor.store.CorruptDataException;

/** A forward cursor over strings read from an index (symbols), in the file's order. */
public interface StringCursor {
  boolean next() throws CorruptDataException;

  String value();
}
