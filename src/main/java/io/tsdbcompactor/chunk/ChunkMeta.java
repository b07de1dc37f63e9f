package io.tsdbcompactor.chunk;

/**
 * A chunk's entry in a series: its time range (both ends inclusive, as the index stores them), its reference
 * into the segment files, and the chunk itself once loaded. Mutable on purpose: writers fill in the reference
 * after the chunk lands in a segment, readers fill in the chunk after the index entry is read.
 */
public final class ChunkMeta {
  /** Timestamp of the chunk's first sample, ms. */
  public long minTime;
  /** Timestamp of the chunk's last sample, ms (inclusive). */
  public long maxTime;
  /** Where the chunk is stored: segment file number in the upper 32 bits, offset in the lower 32 (as in the index). */
  public long ref;
  /** The chunk's encoding and bytes; null until loaded. */
  public Chunk chunk;

  /** An empty meta, filled in by readers. */
  public ChunkMeta() {}

  /** A meta with all its fields. */
  public ChunkMeta(long minTime, long maxTime, long ref, Chunk chunk) {
    this.minTime = minTime;
    this.maxTime = maxTime;
    this.ref = ref;
    this.chunk = chunk;
  }

  /** Whether the two chunks' closed time ranges intersect. */
  public boolean overlaps(ChunkMeta other) {
    return minTime <= other.maxTime && other.minTime <= maxTime;
  }

  @Override
  public String toString() {
    return "ChunkMeta{[" + minTime + "," + maxTime + "] ref=" + Long.toHexString(ref)
        + (chunk == null ? "" : " " + chunk) + "}";
  }
}
