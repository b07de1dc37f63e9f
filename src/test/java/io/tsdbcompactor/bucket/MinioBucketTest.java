package io.tsdbcompactor.bucket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The S3 suite against MinIO in Docker (Testcontainers). Skipped where no Docker engine runs: the container is
 * created in {@link #start()} only, never while the class loads, so a missing engine cannot fail the build.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioBucketTest extends AbstractS3BucketTest {
  static org.testcontainers.containers.MinIOContainer minio;

  @BeforeAll
  static void start() {
    minio = new org.testcontainers.containers.MinIOContainer("minio/minio:RELEASE.2024-10-13T13-34-11Z")
        .withUserName("minio-test-user").withPassword("minio-test-password");
    minio.start();
  }

  @AfterAll
  static void stop() {
    if (minio != null) {
      minio.stop();
    }
  }

  @Override
  protected S3Config config(String bucket) {
    S3Config c = new S3Config();
    c.bucket = bucket;
    c.endpoint = minio.getS3URL().replaceFirst("^https?://", "");
    c.region = "us-east-1";
    c.accessKey = minio.getUserName();
    c.secretKey = minio.getPassword();
    c.insecure = true;
    c.maxRetries = 2;
    return c;
  }
}
