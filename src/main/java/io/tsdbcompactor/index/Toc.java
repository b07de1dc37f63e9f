package io.tsdbcompactor.index;

/**
 * The index's table of contents: where each section starts. Stored as the last 52 bytes of the file (six
 * big-endian uint64 offsets and a CRC32C over them), see {@link IndexWriter}.
 */
public record Toc(long symbols, long series, long labelIndices, long labelIndicesTable, long postings,
    long postingsTable) {

  public static final int SIZE = 6 * 8 + 4;

  /** True when the file has label index sections (Prometheus up to 2.4x writes them, later versions do not). */
  public boolean hasLabelIndices() {
    return labelIndicesTable < postingsTable;
  }
}
