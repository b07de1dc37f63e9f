package io.tsdbcompactor.sync;

import java.io.IOException;

/**
 * A block left the bucket, or began to, after it was planned: its meta.json is gone, an object vanished during
 * the download, or a deletion mark appeared (another run replaced it). Whoever planned it drops it from the plan;
 * nothing about the block is wrong.
 */
public class BlockGoneException extends IOException {
  private final String ulid;

  public BlockGoneException(String ulid, String message, Throwable cause) {
    super(message, cause);
    this.ulid = ulid;
  }

  public String ulid() {
    return ulid;
  }
}
