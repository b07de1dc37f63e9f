package io.tsdbcompactor.bucket;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code config:} section of Thanos's {@code type: S3} objstore YAML (thanos-io/objstore providers/s3),
 * with the same keys and defaults. Keys that this client cannot honour are rejected with a clear message
 * rather than ignored. {@link #toString()} never shows a secret.
 */
public final class S3Config {
  static final Set<String> KEYS = Set.of("bucket", "endpoint", "region", "disable_dualstack", "aws_sdk_auth",
      "access_key", "insecure", "signature_version2", "secret_key", "session_token", "put_user_metadata",
      "http_config", "trace", "list_objects_version", "bucket_lookup_type", "send_content_md5",
      "disable_multipart", "part_size", "sse_config", "sts_endpoint", "max_retries");
  static final Set<String> HTTP_KEYS = Set.of("idle_conn_timeout", "response_header_timeout", "insecure_skip_verify",
      "tls_handshake_timeout", "expect_continue_timeout", "max_idle_conns", "max_idle_conns_per_host",
      "max_conns_per_host", "tls_config", "force_attempt_http2", "disable_compression");
  static final Set<String> TLS_KEYS = Set.of("ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify");
  static final Set<String> SSE_KEYS = Set.of("type", "kms_key_id", "kms_encryption_context", "encryption_key");

  /** How the bucket name goes into requests. AUTO: path style except for AWS endpoints. */
  public enum LookupType { AUTO, VIRTUAL_HOSTED, PATH }

  /** When the SDK adds request checksums; see docs/s3-compatibility.md: many S3-compatible stores refuse them. */
  public enum ChecksumMode { AUTO, WHEN_SUPPORTED, WHEN_REQUIRED }

  public String bucket = "";
  public String endpoint = "";
  public String region = "";
  public boolean disableDualstack;
  public boolean awsSdkAuth;
  public String accessKey = "";
  public boolean insecure;
  public String secretKey = "";
  public String sessionToken = "";
  public Map<String, String> putUserMetadata = new LinkedHashMap<>();
  public boolean trace;
  public String listObjectsVersion = "";
  public LookupType bucketLookupType = LookupType.AUTO;
  public boolean sendContentMd5 = true;
  public boolean disableMultipart;
  public long partSize = 64L * 1024 * 1024;
  /** Retries of one request after its first attempt ({@code max_retries}, Thanos's key and default). */
  public int maxRetries = 10;
  /** Backoff before the first retry, doubling (with jitter) up to {@link #maxRetryBackoff}; not a YAML key. */
  public Duration minRetryBackoff = Duration.ofMillis(100);
  public Duration maxRetryBackoff = Duration.ofSeconds(20);
  // http_config, defaults of Thanos's exthttp.DefaultHTTPConfig
  public Duration idleConnTimeout = Duration.ofSeconds(90);
  public Duration responseHeaderTimeout = Duration.ofMinutes(2);
  public Duration tlsHandshakeTimeout = Duration.ofSeconds(10);
  public Duration expectContinueTimeout = Duration.ofSeconds(1);
  public boolean insecureSkipVerify;
  public int maxIdleConns = 100;
  public int maxIdleConnsPerHost = 100;
  public int maxConnsPerHost;
  public String caFile = "";
  // sse_config
  public String sseType = "";
  public String kmsKeyId = "";
  public Map<String, String> kmsEncryptionContext = new LinkedHashMap<>();
  public String sseEncryptionKeyFile = "";
  /** Not a Thanos key: set from the Java API or the SDK's AWS_REQUEST_CHECKSUM_CALCULATION variable. */
  public ChecksumMode checksumMode = ChecksumMode.AUTO;

  static S3Config from(YamlTree c) {
    c.requireOnly(KEYS);
    S3Config s = new S3Config();
    s.bucket = c.string("bucket", "");
    s.endpoint = c.string("endpoint", "");
    s.region = c.string("region", "");
    s.disableDualstack = c.bool("disable_dualstack", false);
    s.awsSdkAuth = c.bool("aws_sdk_auth", false);
    s.accessKey = c.string("access_key", "");
    s.insecure = c.bool("insecure", false);
    s.secretKey = c.string("secret_key", "");
    s.sessionToken = c.string("session_token", "");
    s.putUserMetadata = c.stringMap("put_user_metadata");
    YamlTree trace = c.child("trace");
    trace.requireOnly(Set.of("enable"));
    s.trace = trace.bool("enable", false);
    s.listObjectsVersion = c.string("list_objects_version", "");
    String lookup = c.string("bucket_lookup_type", "auto");
    s.bucketLookupType = switch (lookup) {
      case "auto" -> LookupType.AUTO;
      case "virtual-hosted" -> LookupType.VIRTUAL_HOSTED;
      case "path" -> LookupType.PATH;
      default -> throw new ConfigException("unsupported bucket lookup type: " + lookup + " (auto, virtual-hosted or path)");
    };
    s.sendContentMd5 = c.bool("send_content_md5", true);
    s.disableMultipart = c.bool("disable_multipart", false);
    s.partSize = c.number("part_size", s.partSize);
    s.maxRetries = (int) Math.min(1000, c.number("max_retries", s.maxRetries));
    if (c.bool("signature_version2", false)) {
      throw new ConfigException("signature_version2: true is not supported: this S3 client signs with AWS Signature V4 only");
    }
    if (c.has("sts_endpoint") && !c.string("sts_endpoint", "").isEmpty()) {
      throw new ConfigException("sts_endpoint is not supported; set the environment variable AWS_ENDPOINT_URL_STS "
          + "for the default credentials chain instead");
    }
    YamlTree h = c.child("http_config");
    h.requireOnly(HTTP_KEYS);
    s.idleConnTimeout = h.duration("idle_conn_timeout", s.idleConnTimeout);
    s.responseHeaderTimeout = h.duration("response_header_timeout", s.responseHeaderTimeout);
    s.tlsHandshakeTimeout = h.duration("tls_handshake_timeout", s.tlsHandshakeTimeout);
    s.expectContinueTimeout = h.duration("expect_continue_timeout", s.expectContinueTimeout);
    s.insecureSkipVerify = h.bool("insecure_skip_verify", false);
    s.maxIdleConns = (int) h.number("max_idle_conns", s.maxIdleConns);
    s.maxIdleConnsPerHost = (int) h.number("max_idle_conns_per_host", s.maxIdleConnsPerHost);
    s.maxConnsPerHost = (int) h.number("max_conns_per_host", 0);
    h.bool("disable_compression", false); // we never ask for compressed responses, so either value holds
    if (h.bool("force_attempt_http2", false)) {
      throw new ConfigException("http_config.force_attempt_http2: true is not supported: this client speaks HTTP/1.1");
    }
    YamlTree tls = h.child("tls_config");
    tls.requireOnly(TLS_KEYS);
    s.caFile = tls.string("ca_file", "");
    s.insecureSkipVerify |= tls.bool("insecure_skip_verify", false);
    for (String k : new String[] {"cert_file", "key_file", "server_name"}) {
      if (!tls.string(k, "").isEmpty()) {
        throw new ConfigException("http_config.tls_config." + k + " is not supported (client certificates and "
            + "server name overrides are not implemented)");
      }
    }
    YamlTree sse = c.child("sse_config");
    sse.requireOnly(SSE_KEYS);
    s.sseType = sse.string("type", "");
    s.kmsKeyId = sse.string("kms_key_id", "");
    s.kmsEncryptionContext = sse.stringMap("kms_encryption_context");
    s.sseEncryptionKeyFile = sse.string("encryption_key", "");
    s.validate();
    return s;
  }

  /** The checks Thanos makes before creating the client, with its messages. */
  public void validate() {
    if (bucket.isEmpty()) {
      throw new ConfigException("no s3 bucket in config file");
    }
    if (endpoint.isEmpty()) {
      throw new ConfigException("no s3 endpoint in config file");
    }
    if (awsSdkAuth && !accessKey.isEmpty()) {
      throw new ConfigException("aws_sdk_auth and access_key are mutually exclusive configurations");
    }
    if (accessKey.isEmpty() && !secretKey.isEmpty()) {
      throw new ConfigException("no s3 access_key specified while secret_key is present in config file; "
          + "either both should be present in config or envvars/IAM should be used.");
    }
    if (!accessKey.isEmpty() && secretKey.isEmpty()) {
      throw new ConfigException("no s3 secret_key specified while access_key is present in config file; "
          + "either both should be present in config or envvars/IAM should be used.");
    }
    switch (sseType) {
      case "" -> { }
      case "SSE-S3" -> { }
      case "SSE-KMS" -> {
        if (kmsKeyId.isEmpty()) {
          throw new ConfigException("kms_key_id must be set if sse_config.type is set to 'SSE-KMS'");
        }
      }
      case "SSE-C" -> {
        if (sseEncryptionKeyFile.isEmpty()) {
          throw new ConfigException("encryption_key must be set if sse_config.type is set to 'SSE-C'");
        }
      }
      default -> throw new ConfigException("Unsupported sse_config.type \"" + sseType
          + "\" was provided. Supported types are SSE-S3, SSE-KMS, SSE-C");
    }
    if (!listObjectsVersion.isEmpty() && !listObjectsVersion.equals("v1") && !listObjectsVersion.equals("v2")) {
      throw new ConfigException("Unsupported list_objects_version \"" + listObjectsVersion
          + "\" was provided. Supported values are v1, v2");
    }
    if (partSize < 5L * 1024 * 1024 && !disableMultipart) {
      throw new ConfigException("part_size must be at least 5 MiB (5242880), the S3 minimum part size");
    }
    if (partSize > 5L * 1024 * 1024 * 1024) {
      throw new ConfigException("part_size must be at most 5 GiB, the S3 maximum part size");
    }
  }

  /** Whether the endpoint is Amazon's own (virtual-host addressing and the SDK's checksums work there). */
  public boolean isAwsEndpoint() {
    String host = endpoint.replaceFirst("^https?://", "").replaceFirst("[:/].*$", "").toLowerCase(java.util.Locale.ROOT);
    return host.endsWith(".amazonaws.com") || host.endsWith(".amazonaws.com.cn");
  }

  @Override
  public String toString() {
    return "S3Config{bucket=" + bucket + ", endpoint=" + endpoint + ", region=" + region + ", insecure=" + insecure
        + ", access_key=" + (accessKey.isEmpty() ? "" : "<set>") + ", secret_key=" + (secretKey.isEmpty() ? "" : "<redacted>")
        + ", session_token=" + (sessionToken.isEmpty() ? "" : "<redacted>") + ", aws_sdk_auth=" + awsSdkAuth
        + ", bucket_lookup_type=" + bucketLookupType + ", part_size=" + partSize + ", sse=" + sseType + "}";
  }
}
