package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjstoreConfigTest {
  static final String SECRET = "s3cr3t-Do-Not-Print-9f8e";

  static ConfigException fails(String yaml) {
    ConfigException e = assertThrows(ConfigException.class, () -> ObjstoreConfig.parse(yaml, Map.of()));
    assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    return e;
  }

  @Test
  void fullThanosS3Example() {
    ObjstoreConfig c = ObjstoreConfig.parse("""
        type: S3
        config:
          bucket: "metrics"
          endpoint: "minio.example:9000"
          region: "eu-west-1"
          aws_sdk_auth: false
          access_key: "AKIA1"
          insecure: true
          signature_version2: false
          secret_key: "%s"
          session_token: ""
          put_user_metadata: {X-Amz-Storage-Class: STANDARD_IA, team: obs}
          http_config:
            idle_conn_timeout: 1m30s
            response_header_timeout: 2m
            insecure_skip_verify: false
            tls_handshake_timeout: 10s
            expect_continue_timeout: 1s
            max_idle_conns: 100
            max_idle_conns_per_host: 100
            max_conns_per_host: 16
            tls_config:
              ca_file: ""
              cert_file: ""
              key_file: ""
              server_name: ""
              insecure_skip_verify: false
            disable_compression: false
          trace:
            enable: false
          list_objects_version: ""
          bucket_lookup_type: path
          send_content_md5: true
          disable_multipart: false
          part_size: 67108864
          sse_config:
            type: ""
            kms_key_id: ""
            kms_encryption_context: {}
            encryption_key: ""
          sts_endpoint: ""
          max_retries: 3
        prefix: "tenant-a"
        """.formatted(SECRET), Map.of());
    assertEquals(ObjstoreConfig.Type.S3, c.type);
    S3Config s = c.s3;
    assertEquals("metrics", s.bucket);
    assertEquals("minio.example:9000", s.endpoint);
    assertEquals(SECRET, s.secretKey);
    assertTrue(s.insecure);
    assertEquals(S3Config.LookupType.PATH, s.bucketLookupType);
    assertEquals(Duration.ofSeconds(90), s.idleConnTimeout);
    assertEquals(16, s.maxConnsPerHost);
    assertEquals(3, s.maxRetries);
    assertEquals("STANDARD_IA", s.putUserMetadata.get("X-Amz-Storage-Class"));
    assertEquals("tenant-a/", c.prefix);
    assertFalse(c.toString().contains(SECRET), c.toString());
    assertFalse(s.isAwsEndpoint());
  }

  @Test
  void defaultsAreThanosDefaults() {
    S3Config s = ObjstoreConfig.parse("type: s3\nconfig:\n  bucket: b\n  endpoint: s3.eu-west-1.amazonaws.com\n", Map.of()).s3;
    assertEquals(64L * 1024 * 1024, s.partSize);
    assertTrue(s.sendContentMd5);
    assertEquals(S3Config.LookupType.AUTO, s.bucketLookupType);
    assertEquals(Duration.ofMinutes(2), s.responseHeaderTimeout);
    assertTrue(s.isAwsEndpoint());
  }

  @Test
  void unknownAndUnsupportedKeysAreErrors() {
    String base = "type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: a\n  secret_key: " + SECRET + "\n";
    assertTrue(fails(base + "  bogus: 1\n").getMessage().contains("unknown key 'config.bogus'"));
    assertTrue(fails(base + "  http_config:\n    bogus: 1\n").getMessage().contains("http_config.bogus"));
    assertTrue(fails(base + "  signature_version2: true\n").getMessage().contains("signature_version2"));
    assertTrue(fails(base + "  sts_endpoint: https://sts.example\n").getMessage().contains("sts_endpoint"));
    assertTrue(fails(base + "  http_config:\n    tls_config:\n      cert_file: /x\n").getMessage().contains("cert_file"));
    assertTrue(fails(base + "  list_objects_version: v3\n").getMessage().contains("v3"));
    assertTrue(fails(base + "  bucket_lookup_type: dns\n").getMessage().contains("dns"));
    assertTrue(fails(base + "  sse_config:\n    type: SSE-KMS\n").getMessage().contains("kms_key_id"));
    assertTrue(fails(base + "  sse_config:\n    type: SSE-X\n").getMessage().contains("SSE-X"));
    assertTrue(fails(base + "  part_size: 1000\n").getMessage().contains("part_size"));
    assertTrue(fails(base + "  part_size: " + SECRET + "\n").getMessage().contains("part_size"));
    assertTrue(fails(base + "  http_config:\n    idle_conn_timeout: soon\n").getMessage().contains("idle_conn_timeout"));
    assertTrue(fails("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  secret_key: " + SECRET + "\n").getMessage()
        .contains("no s3 access_key"));
    assertTrue(fails("type: S3\nconfig:\n  bucket: b\n").getMessage().contains("no s3 endpoint"));
    assertTrue(fails("type: SWIFT\nconfig:\n  container: b\n").getMessage().contains("SWIFT is not supported"));
    assertTrue(fails("type: FILESYSTEM\nconfig:\n  dir: /x\n").getMessage().contains("unknown key 'config.dir'"));
    assertTrue(fails("config:\n  bucket: b\n").getMessage().contains("no 'type'"));
    assertTrue(fails("type: S3\nfoo: bar\n").getMessage().contains("unknown key 'foo'"));
  }

  @Test
  void invalidYamlErrorDoesNotQuoteTheText() {
    ConfigException e = fails("type: S3\nconfig:\n  secret_key: \"" + SECRET + "\n  bucket: [unclosed\n");
    assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
  }

  @Test
  void environmentVariablesAreSubstituted() {
    ObjstoreConfig c = ObjstoreConfig.parse(
        "type: S3\nconfig:\n  bucket: $(BUCKET)\n  endpoint: e:9000\n  access_key: a\n  secret_key: $(SECRET)\n",
        Map.of("BUCKET", "from-env", "SECRET", SECRET));
    assertEquals("from-env", c.s3.bucket);
    assertEquals(SECRET, c.s3.secretKey);
    assertTrue(fails("type: S3\nconfig:\n  bucket: $(NOPE_NOT_SET)\n").getMessage().contains("NOPE_NOT_SET"));
  }

  @Test
  void filesystemBucket() {
    ObjstoreConfig c = ObjstoreConfig.parse("type: FILESYSTEM\nconfig:\n  directory: /tmp/bkt\n", Map.of());
    assertEquals(ObjstoreConfig.Type.FILESYSTEM, c.type);
    assertEquals(Path.of("/tmp/bkt"), c.directory);
    assertTrue(fails("type: FILESYSTEM\nconfig: {}\n").getMessage().contains("directory"));
  }

  @Test
  void prefixedBucketKeepsKeysUnderThePrefix(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    ObjstoreConfig c = ObjstoreConfig.parse("type: FILESYSTEM\nconfig:\n  directory: " + dir + "\nprefix: t1\n", Map.of());
    try (Bucket b = c.open()) {
      b.upload("01A/meta.json", new byte[] {1});
      assertEquals(java.util.List.of("01A/"), b.list("", false).stream().map(ListEntry::key).toList());
    }
    assertTrue(java.nio.file.Files.exists(dir.resolve("t1/01A/meta.json")));
  }

  @Test
  void goDurations() {
    assertEquals(Duration.ofHours(48), GoDuration.parse("48h"));
    assertEquals(Duration.ofMinutes(90), GoDuration.parse("1h30m"));
    assertEquals(Duration.ofDays(2), GoDuration.parse("2d"));
    assertEquals(Duration.ZERO, GoDuration.parse("0s"));
    assertEquals("2h0m0s", GoDuration.format(Duration.ofHours(2)));
    assertEquals("5m0s", GoDuration.format(Duration.ofMinutes(5)));
    assertEquals("1h46m30.369s", GoDuration.format(Duration.ofMillis(6390369)));
    assertEquals("0s", GoDuration.format(Duration.ZERO));
  }

  @Test
  void bucketNameIsTheMetricsLabelThanosUsesWithoutThePrefix() {
    assertEquals("metrics", ObjstoreConfig.parse("type: S3\nconfig:\n  bucket: metrics\n  endpoint: s3.example:9000\n"
        + "prefix: tenant-a\n", Map.of()).bucketName());
    assertEquals("blocks", ObjstoreConfig.parse("type: GCS\nconfig:\n  bucket: blocks\n", Map.of()).bucketName());
    assertEquals("c", ObjstoreConfig.parse("type: AZURE\nconfig:\n  storage_account: a\n  container: c\n", Map.of())
        .bucketName());
    assertEquals(Path.of("/var/lib/blocks").toString(),
        ObjstoreConfig.parse("type: FILESYSTEM\nconfig:\n  directory: /var/lib/blocks\nprefix: p\n", Map.of()).bucketName());
  }
}
