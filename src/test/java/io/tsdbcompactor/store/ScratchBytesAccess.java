package io.tsdbcompactor.store;

import java.nio.file.Path;

/** Tests elsewhere: scratch bytes with small mapped slices, so that bytes span them. */
public final class ScratchBytesAccess {
  private ScratchBytesAccess() {}

  public static ScratchBytes spilling(Path dir, String prefix, int heapBytes, int sliceShift) {
    return new ScratchBytes(dir, prefix, heapBytes, sliceShift);
  }
}
