package io.tsdbcompactor.bucket;

class MemoryBucketTest extends BucketContractTest {
  @Override
  protected Bucket newBucket() {
    return new MemoryBucket();
  }
}
