/**
 * Object storage as the compactor sees it: one {@link io.tsdbcompactor.bucket.Bucket} interface (list, get,
 * ranged get, exists, attributes, streaming upload, delete) with {@link io.tsdbcompactor.bucket.S3Bucket} and
 * {@link io.tsdbcompactor.bucket.FilesystemBucket}, the {@link io.tsdbcompactor.bucket.RetryingBucket} wrapper,
 * and Thanos's objstore YAML ({@link io.tsdbcompactor.bucket.ObjstoreConfig}). Nothing here knows
 * about blocks; that is {@code io.tsdbcompactor.sync}. The in-memory and fault-injecting buckets the tests use
 * live in the test source set.
 */
package io.tsdbcompactor.bucket;
