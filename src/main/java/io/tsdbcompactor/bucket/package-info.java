/**
 * Object storage as the compactor sees it: one {@link io.tsdbcompactor.bucket.Bucket} interface (list, get,
 * ranged get, exists, attributes, streaming upload, delete) with {@link io.tsdbcompactor.bucket.S3Bucket} and
 * {@link io.tsdbcompactor.bucket.FilesystemBucket}, the {@link io.tsdbcompactor.bucket.RetryingBucket} wrapper,
 * and Thanos's objstore YAML ({@link io.tsdbcompactor.bucket.ObjstoreConfig}). Nothing here knows
 * about blocks; that is {@code io.tsdbcompactor.sync}. The in-memory and fault-injecting buckets the tests use
 * live in the test source set.
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}. The interface and
 * the filesystem bucket need nothing beyond the library's own dependencies. {@code S3Bucket} needs the AWS SDK v2
 * ({@code software.amazon.awssdk:s3}, {@code apache-client}, {@code sts}) and {@code ObjstoreConfig} needs
 * {@code jackson-dataformat-yaml}: optional dependencies of this artifact, which a user of those classes declares.
 */
package io.tsdbcompactor.bucket;
