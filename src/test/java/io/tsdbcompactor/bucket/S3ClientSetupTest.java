package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client construction for the configurations operators use; no network needed. */
class S3ClientSetupTest {
  @Test
  void awsEndpointWithDefaultCredentialChainBuilds() throws Exception {
    S3Config c = ObjstoreConfig.parse("type: S3\nconfig:\n  bucket: b\n  endpoint: s3.eu-west-1.amazonaws.com\n"
        + "  aws_sdk_auth: true\n", java.util.Map.of()).s3;
    try (S3Bucket b = new S3Bucket(c)) {
      assertEquals("b", b.name());
      assertTrue(c.isAwsEndpoint());
    }
  }

  @Test
  void sseAndTlsOptionsBuild(@TempDir Path dir) throws Exception {
    Path key = dir.resolve("key");
    Files.write(key, new byte[32]);
    S3Config c = new S3Config();
    c.bucket = "b";
    c.endpoint = "minio.local:9000";
    c.accessKey = "a";
    c.secretKey = "s";
    c.sseType = "SSE-C";
    c.sseEncryptionKeyFile = key.toString();
    c.insecureSkipVerify = true;
    try (S3Bucket b = new S3Bucket(c)) {
      assertFalse(b.toString().contains("\"s\""));
    }
    Files.write(key, new byte[5]);
    ConfigException e = assertThrows(ConfigException.class, () -> new S3Bucket(c).close());
    assertTrue(e.getMessage().contains("32-byte"));
    S3Config kms = new S3Config();
    kms.bucket = "b";
    kms.endpoint = "s3.amazonaws.com";
    kms.sseType = "SSE-KMS";
    kms.kmsKeyId = "arn:aws:kms:eu-west-1:1:key/x";
    kms.kmsEncryptionContext.put("team", "obs");
    new S3Bucket(kms).close();
  }

  @Test
  void badCaFileIsAConfigError(@TempDir Path dir) throws Exception {
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, "not a certificate");
    S3Config c = new S3Config();
    c.bucket = "b";
    c.endpoint = "minio.local:9000";
    c.caFile = ca.toString();
    assertThrows(ConfigException.class, () -> new S3Bucket(c).close());
  }
}
