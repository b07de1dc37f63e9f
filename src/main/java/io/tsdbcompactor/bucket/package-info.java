/**
 * Object storage as the compactor sees it: one {@link io.tsdbcompactor.bucket.Bucket} interface (list, get,
 * ranged get, exists, attributes, streaming upload, delete) with {@link io.tsdbcompactor.bucket.S3Bucket},
 * {@link io.tsdbcompactor.bucket.FilesystemBucket} and {@link io.tsdbcompactor.bucket.MemoryBucket}, the
 * {@link io.tsdbcompactor.bucket.RetryingBucket} and {@link io.tsdbcompactor.bucket.FaultInjectingBucket}
 * wrappers, and Thanos's objstore YAML ({@link io.tsdbcompactor.bucket.ObjstoreConfig}). Nothing here knows
 * about blocks; that is {@code io.tsdbcompactor.sync}.
 */
package io.tsdbcompactor.bucket;
