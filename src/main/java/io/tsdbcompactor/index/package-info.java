/**
 * The block index, format v2: {@link io.tsdbcompactor.index.IndexWriter} (which documents the format and writes
 * files byte-identical to Prometheus 2.42's) and {@link io.tsdbcompactor.index.IndexReader} (symbols, label names
 * and values, postings, series entries, and a full {@code verify()}).
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}.
 */
package io.tsdbcompactor.index;
