package io.tsdbcompactor.bucket;

import java.io.IOException;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * Creates the buckets the S3 tests run against (S3Proxy, MinIO). The compactor itself never creates an S3 bucket:
 * as with Thanos, operators do.
 */
public final class S3TestBuckets {
  private S3TestBuckets() {}

  /** Creates {@code c.bucket} on {@code c}'s plain-HTTP endpoint with its static keys, unless it exists. */
  public static void create(S3Config c) throws IOException {
    String endpoint = c.endpoint.startsWith("http") ? c.endpoint : "http://" + c.endpoint;
    try (S3Client s3 = S3Client.builder().httpClient(ApacheHttpClient.builder().build())
        .endpointOverride(URI.create(endpoint)).region(Region.of(c.region)).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKey, c.secretKey)))
        .build()) {
      if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(c.bucket))) {
        s3.createBucket(b -> b.bucket(c.bucket));
      }
    } catch (BucketAlreadyOwnedByYouException e) {
      // created meanwhile: what we wanted
    } catch (RuntimeException e) {
      throw new IOException("creating test bucket " + c.bucket + " at " + endpoint + ": " + e.getMessage(), e);
    }
  }
}
