package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.common.policy.RequestRetryOptions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Thanos's AZURE and GCS objstore YAML: keys, defaults, validation messages, and no secret in any message. */
class CloudObjstoreConfigTest {
  static final String SECRET = "S3cr3t-Value-Never-Shown-91";

  static ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> ObjstoreConfig.parse(yaml, Map.of()));
  }

  @Test
  void azureKeysAndDefaultsAsThanos() {
    ObjstoreConfig c = ObjstoreConfig.parse("""
        type: AZURE
        config:
          storage_account: acct
          storage_account_key: $(AZ_KEY)
          container: blocks
          max_retries: 5
          pipeline_config:
            try_timeout: 30s
            retry_delay: 100ms
            max_retry_delay: 2s
          http_config:
            response_header_timeout: 1m
            idle_conn_timeout: 30s
          msi_resource: ""
        prefix: tenant
        """, Map.of("AZ_KEY", SECRET));
    assertEquals(ObjstoreConfig.Type.AZURE, c.type);
    AzureConfig a = c.azure;
    assertEquals("acct", a.storageAccount);
    assertEquals("blocks", a.container);
    assertEquals("blob.core.windows.net", a.endpoint);
    assertEquals("https://acct.blob.core.windows.net", a.accountUrl());
    assertTrue(a.storageCreateContainer);
    assertEquals(5, a.pipelineMaxTries, "max_retries fills pipeline_config.max_tries");
    assertEquals(5, a.readerMaxRetryRequests, "and reader_config.max_retry_requests");
    assertEquals(Duration.ofMinutes(1), a.http.responseHeaderTimeout);
    assertEquals("tenant/", c.prefix);
    assertEquals("shared key", a.authMethod());
    RequestRetryOptions r = AzureBucket.retryOptions(a);
    assertEquals(6, r.getMaxTries(), "Go counts retries, the Java SDK tries");
    assertEquals(Duration.ofMillis(100), r.getRetryDelay());
    assertEquals(Duration.ofSeconds(2), r.getMaxRetryDelay());
    assertEquals(Duration.ofSeconds(30), r.getTryTimeoutDuration());
    assertFalse(c.toString().contains(SECRET), c.toString());
    assertTrue(c.toString().contains("acct") && c.toString().contains("blocks"), c.toString());

    AzureConfig d = ObjstoreConfig.parse("type: AZURE\nconfig:\n  storage_account: a\n  container: c\n"
        + "  endpoint: blob.core.chinacloudapi.cn\n  user_assigned_id: 1234\n", Map.of()).azure;
    assertEquals("https://a.blob.core.chinacloudapi.cn", d.accountUrl());
    assertEquals("managed identity 1234", d.authMethod());
    assertEquals(4, AzureBucket.retryOptions(d).getMaxTries(), "three retries by default, as azcore");
    AzureConfig sp = ObjstoreConfig.parse("type: AZURE\nconfig:\n  storage_account: a\n  container: c\n"
        + "  az_tenant_id: t\n  client_id: id\n  client_secret: " + SECRET + "\n", Map.of()).azure;
    assertEquals("client secret of id", sp.authMethod());
    assertFalse(sp.toString().contains(SECRET));
  }

  @Test
  void azureValidationUsesThanosMessagesWithoutSecrets() {
    String base = "type: AZURE\nconfig:\n  storage_account: a\n  container: c\n";
    assertTrue(fails("type: AZURE\nconfig:\n  container: c\n").getMessage()
        .contains("storage_account_name is required but not configured"));
    assertTrue(fails("type: AZURE\nconfig:\n  storage_account: a\n").getMessage().contains("no container specified"));
    ConfigException both = fails(base + "  storage_account_key: " + SECRET + "\n  storage_connection_string: x" + SECRET + "\n");
    assertTrue(both.getMessage().contains("storage_account_key and storage_connection_string cannot both be set"));
    assertFalse(both.getMessage().contains(SECRET));
    assertTrue(fails(base + "  user_assigned_id: u\n  storage_account_key: k\n").getMessage()
        .contains("user_assigned_id cannot be set when using storage_account_key authentication"));
    assertTrue(fails(base + "  client_id: id\n").getMessage()
        .contains("az_tenant_id, client_id, and client_secret must be set together"));
    assertTrue(fails(base + "  pipeline_config:\n    max_tries: -1\n").getMessage().contains("max_tries"));
    assertTrue(fails(base + "  bucket: b\n").getMessage().contains("unknown key 'config.bucket'"));
    assertTrue(fails(base + "  http_config:\n    insecure_skip_verify: true\n").getMessage().contains("ca_file"));
    assertTrue(fails(base + "  reader_config:\n    retries: 1\n").getMessage().contains("reader_config.retries"));
  }

  @Test
  void gcsKeysAndDefaultsAsThanos() {
    String json = "{\"type\": \"service_account\", \"private_key\": \"" + SECRET + "\"}";
    ObjstoreConfig c = ObjstoreConfig.parse("type: GCS\nconfig:\n  bucket: blocks\n  service_account: '" + json + "'\n"
        + "  use_grpc: false\n  grpc_conn_pool_size: 4\n  chunk_size_bytes: 8388608\n  max_retries: 3\n"
        + "  http_config:\n    tls_handshake_timeout: 5s\n", Map.of());
    assertEquals(ObjstoreConfig.Type.GCS, c.type);
    GcsConfig g = c.gcs;
    assertEquals("blocks", g.bucket);
    assertEquals(json, g.serviceAccount);
    assertEquals(8 * 1024 * 1024, g.chunkSizeBytes);
    assertEquals(3, g.maxRetries);
    assertEquals(Duration.ofSeconds(5), g.http.tlsHandshakeTimeout);
    assertFalse(c.toString().contains(SECRET), c.toString());
    GcsBucket local = new GcsBucket(g, com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper.getOptions().getService());
    assertEquals(8 * 1024 * 1024, local.chunkSize, "chunk_size_bytes sizes resumable uploads");

    assertTrue(fails("type: GCS\nconfig:\n  service_account: x\n").getMessage()
        .contains("missing Google Cloud Storage bucket name for stored blocks"));
    assertTrue(fails("type: GCS\nconfig:\n  bucket: b\n  region: x\n").getMessage().contains("unknown key 'config.region'"));
  }

  @Test
  void badServiceAccountJsonIsNamedButNotQuoted() {
    GcsConfig g = new GcsConfig();
    g.bucket = "b";
    g.serviceAccount = "{\"type\": \"service_account\", \"private_key\": \"" + SECRET + "\"";
    ConfigException e = assertThrows(ConfigException.class, () -> GcsBucket.storage(g, Map.of()));
    assertTrue(e.getMessage().contains("service_account") && e.getMessage().contains("GCS bucket b"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET));
  }
}
