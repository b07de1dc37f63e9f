package io.tsdbcompactor.chunk;

/**
 * A chunk's entry in a series: its time range (both ends inclusive, as the index stores them), its reference
 * into the segment files, and the chunk itself once loaded. Mutable on purpose: writers fill in the reference
 * after the chunk lands in a segment, readers fill in the chunk after the index entry is read.
 */
public final class ChunkMeta {
  public long minTime;
  public long maxTime;
  public long ref;
  public Chunk chunk;

  public ChunkMeta() {}

  public ChunkMeta(long minTime, long maxTime, long ref, Chunk chunk) {
    this.minTime = minTime;
    this.maxTime = maxTime;
    this.ref = ref;
    this.chunk = chunk;
  }

  public boolean overlaps(ChunkMeta other) {
    return minTime <= other.maxTime && other.minTime <= maxTime;
  }

  @Override
  public String toString() {
    return "ChunkMeta{[" + minTime + "," + maxTime + "] ref=" + Long.toHexString(ref)
        + (chunk == null ? "" : " " + chunk) + "}";
  }
}
