package io.tsdbcompactor.bucket;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code config:} section of Thanos's {@code type: AZURE} objstore YAML (thanos-io/objstore
 * providers/azure), with the same keys, defaults and validation messages. {@link #toString()} never shows a
 * secret.
 *
 * <p>Authentication, in Thanos's order: {@code storage_connection_string}; else {@code storage_account_key}
 * (shared key); else {@code client_secret} with {@code az_tenant_id} and {@code client_id}; else the managed
 * identity {@code user_assigned_id}; else the default chain (environment, AKS workload identity, managed
 * identity, Azure CLI).
 */
public final class AzureConfig {
  static final Set<String> KEYS = Set.of("storage_account", "storage_account_key", "storage_connection_string",
      "storage_create_container", "container", "endpoint", "user_assigned_id", "max_retries", "reader_config",
      "pipeline_config", "http_config", "msi_resource", "az_tenant_id", "client_id", "client_secret",
      "azure_storage_account_type");

  public String storageAccount = "";
  public String storageAccountKey = "";
  public String storageConnectionString = "";
  public boolean storageCreateContainer = true;
  public String container = "";
  /**
   * Thanos's meaning: the host suffix after the account ({@code blob.core.windows.net}, or a sovereign cloud's).
   * Our extension: a full URL with a scheme ({@code http://127.0.0.1:10000/devstoreaccount1}) is the account's
   * URL as given, for emulators and private endpoints.
   */
  public String endpoint = "blob.core.windows.net";
  public String userAssignedId = "";
  public int maxRetries;
  /** reader_config.max_retry_requests: how often a broken download is resumed. */
  public int readerMaxRetryRequests;
  /** pipeline_config: retries of each request, as Go's azcore counts them (retries, not tries). */
  public int pipelineMaxTries;
  public Duration tryTimeout = Duration.ZERO;
  public Duration retryDelay = Duration.ZERO;
  public Duration maxRetryDelay = Duration.ZERO;
  public String msiResource = "";
  public String azTenantId = "";
  public String clientId = "";
  public String clientSecret = "";
  public String storageAccountType = "";
  ExtHttpConfig http = new ExtHttpConfig();

  static AzureConfig from(YamlTree c) {
    c.requireOnly(KEYS);
    AzureConfig a = new AzureConfig();
    a.storageAccount = c.string("storage_account", "");
    a.storageAccountKey = c.string("storage_account_key", "");
    a.storageConnectionString = c.string("storage_connection_string", "");
    a.storageCreateContainer = c.bool("storage_create_container", true);
    a.container = c.string("container", "");
    a.endpoint = c.string("endpoint", a.endpoint);
    if (a.endpoint.isEmpty()) {
      a.endpoint = "blob.core.windows.net";
    }
    a.userAssignedId = c.string("user_assigned_id", "");
    a.maxRetries = (int) Math.min(1000, c.number("max_retries", 0));
    YamlTree reader = c.child("reader_config");
    reader.requireOnly(Set.of("max_retry_requests"));
    a.readerMaxRetryRequests = (int) Math.min(1000, reader.number("max_retry_requests", 0));
    YamlTree pipeline = c.child("pipeline_config");
    pipeline.requireOnly(Set.of("max_tries", "try_timeout", "retry_delay", "max_retry_delay"));
    a.pipelineMaxTries = (int) Math.min(1000, pipeline.number("max_tries", 0));
    a.tryTimeout = pipeline.duration("try_timeout", Duration.ZERO);
    a.retryDelay = pipeline.duration("retry_delay", Duration.ZERO);
    a.maxRetryDelay = pipeline.duration("max_retry_delay", Duration.ZERO);
    a.http = ExtHttpConfig.from(c.child("http_config"), "AZURE");
    a.msiResource = c.string("msi_resource", "");
    a.azTenantId = c.string("az_tenant_id", "");
    a.clientId = c.string("client_id", "");
    a.clientSecret = c.string("client_secret", "");
    a.storageAccountType = c.string("azure_storage_account_type", "");
    // As Thanos: the generic max_retries fills in whichever specific setting is unset.
    if (a.maxRetries > 0) {
      if (a.pipelineMaxTries == 0) {
        a.pipelineMaxTries = a.maxRetries;
      }
      if (a.readerMaxRetryRequests == 0) {
        a.readerMaxRetryRequests = a.maxRetries;
      }
    }
    a.validate();
    return a;
  }

  /** Thanos's checks, with its messages, all reported at once. */
  public void validate() {
    List<String> errors = new ArrayList<>();
    if (!userAssignedId.isEmpty() && !storageAccountKey.isEmpty()) {
      errors.add("user_assigned_id cannot be set when using storage_account_key authentication");
    }
    if (!userAssignedId.isEmpty() && !storageConnectionString.isEmpty()) {
      errors.add("user_assigned_id cannot be set when using storage_connection_string authentication");
    }
    if (!userAssignedId.isEmpty() && !clientId.isEmpty()) {
      errors.add("user_assigned_id cannot be set when using client_id authentication");
    }
    boolean anySp = !azTenantId.isEmpty() || !clientSecret.isEmpty() || !clientId.isEmpty();
    boolean allSp = !azTenantId.isEmpty() && !clientSecret.isEmpty() && !clientId.isEmpty();
    if (anySp && !allSp) {
      errors.add("az_tenant_id, client_id, and client_secret must be set together");
    }
    if (!storageAccountKey.isEmpty() && !storageConnectionString.isEmpty()) {
      errors.add("storage_account_key and storage_connection_string cannot both be set");
    }
    if (storageAccount.isEmpty()) {
      errors.add("storage_account_name is required but not configured");
    }
    if (container.isEmpty()) {
      errors.add("no container specified");
    }
    if (!storageAccountType.isEmpty() && !storageAccountType.equals("blob") && !storageAccountType.equals("datalake")) {
      errors.add("azure_storage_account_type must be blob or datalake");
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(String.join(", ", errors));
    }
  }

  /** How requests are authenticated, without the secret: for messages. */
  public String authMethod() {
    if (!storageConnectionString.isEmpty()) {
      return "connection string";
    }
    if (!storageAccountKey.isEmpty()) {
      return "shared key";
    }
    if (!clientSecret.isEmpty()) {
      return "client secret of " + clientId;
    }
    if (!userAssignedId.isEmpty()) {
      return "managed identity " + userAssignedId;
    }
    return "default Azure credential chain";
  }

  /** The account URL ({@code https://ACCOUNT.ENDPOINT}) unless a connection string gives it. */
  public String accountUrl() {
    if (endpoint.startsWith("http://") || endpoint.startsWith("https://")) {
      return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    }
    return "https://" + storageAccount + "." + endpoint;
  }

  @Override
  public String toString() {
    return "AzureConfig{storage_account=" + storageAccount + ", container=" + container + ", endpoint=" + endpoint
        + ", auth=" + authMethod() + ", storage_account_key=" + (storageAccountKey.isEmpty() ? "" : "<redacted>")
        + ", storage_connection_string=" + (storageConnectionString.isEmpty() ? "" : "<redacted>")
        + ", client_secret=" + (clientSecret.isEmpty() ? "" : "<redacted>") + ", max_tries=" + pipelineMaxTries
        + ", max_retry_requests=" + readerMaxRetryRequests + "}";
  }
}
