package io.tsdbcompactor.bucket;

import java.io.IOException;

/** The object does not exist (S3 404 NoSuchKey, a missing file). Never retried. */
public class ObjectNotFoundException extends IOException {
  private final String key;

  public ObjectNotFoundException(String bucket, String key) {
    super("object " + key + " not found in bucket " + bucket);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
