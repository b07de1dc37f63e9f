package io.tsdbcompactor.bucket;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdbcompactor.labels.Labels;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * A bucket on Amazon S3 or an S3-compatible store (MinIO, Ceph RGW, S3Proxy), on the AWS SDK for Java v2
 * with the Apache HTTP client.
 *
 * <ul>
 *   <li>Addressing: {@code bucket_lookup_type} auto (path style unless the endpoint is Amazon's), path or
 *       virtual-hosted; {@code insecure: true} is plain HTTP.
 *   <li>Credentials: static {@code access_key}/{@code secret_key}[/{@code session_token}], otherwise the SDK's
 *       default chain (environment, system properties, web identity / IRSA, profile, container, instance profile).
 *   <li>Checksums: SDK 2.30+ adds CRC checksums to every upload, which many S3-compatible stores reject
 *       ("x-amz-content-sha256 does not match"). Unless told otherwise, checksums are only sent where S3 requires
 *       them for endpoints that are not Amazon's; on Amazon the SDK defaults stay.
 *   <li>Retries: every request (each listing page, get, ranged get, head, put, each multipart step, delete) is
 *       retried here, not by the SDK, up to {@code max_retries} times with exponential backoff and jitter, when it
 *       failed for a transient reason: throttling (503 SlowDown, 429), 5xx, a reset or refused connection, a
 *       read that timed out ({@code http_config.response_header_timeout}), or a response cut off before its end
 *       (a listing whose XML does not parse, a body shorter than its Content-Length). Reads resume from the byte
 *       they reached, of the version they began on ({@code If-Match}). Ambiguous successes are harmless: puts and
 *       deletes are idempotent, a delete of an object already gone succeeds, a multipart completion whose reply
 *       was lost is recognised by the object it left.
 *   <li>{@link #probe()} checks at start-up that the bucket answers, failing within seconds with the endpoint
 *       and the cause (connection refused, unknown host, TLS, an S3 error code such as AccessDenied).
 *   <li>Uploads stream: objects up to {@code part_size} are one PUT; larger ones are a multipart upload of
 *       {@code part_size} parts, aborted on failure, so a reader never sees a part. Memory: one part for a stream;
 *       none for a local file (a block's files), whose parts are read from the disk as they are sent, four at once.
 *   <li>Downloads to a file ({@link #download}) fetch 16 MiB ranges, four at once, all of the version the first
 *       range came from ({@code If-Match}).
 *   <li>Bounded: at most {@code max_conns_per_host} (else {@code max_idle_conns_per_host}) connections.
 *   <li>Listings: a recursive listing longer than one page (1000 keys) is listed in key ranges, up to 8 requests
 *       at once ({@link SplitListing}, {@link #listConcurrency}); a store that does not honour
 *       {@code start-after} (v2) or {@code marker} (v1), or orders keys its own way, is noticed and listed page
 *       after page.
 * </ul>
 */
public final class S3Bucket implements Bucket {
  private static final Logger LOG = LoggerFactory.getLogger(S3Bucket.class);
  private static final Pattern AWS_REGION_HOST = Pattern.compile("^s3[.-]([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?$");

  private final S3Config config;
  private final S3Client s3;
  /** The JVM's trust, read at the first HTTPS handshake; null when {@code ca_file} names the CA or none is checked. */
  private final LazyDefaultTrustManager defaultTrust;
  private final String bucket;
  private final String storageClass;
  private final Map<String, String> userMetadata;
  private final String sseCustomerKey; // base64, SSE-C only
  private final String sseCustomerKeyMd5;
  private final String kmsContext;
  /** Page size of listings: S3's own limit, 1000. The bucket tests lower it to page through a few objects. */
  volatile int listMaxKeys = 1000;
  /**
   * Listing requests at once in a recursive listing ({@link SplitListing}): a listing of more than one page is
   * cut into key ranges listed side by side, at most as many as the connections. One lists page after page.
   */
  volatile int listConcurrency = DEFAULT_LIST_CONCURRENCY;
  static final int DEFAULT_LIST_CONCURRENCY = 8;
  /**
   * Parts of one file uploaded at once. Thanos pins minio-go's to 4 for the same uploads; here a part in flight is a
   * range of the file, not a buffer, so this costs connections, not heap.
   */
  volatile int partConcurrency = DEFAULT_PART_CONCURRENCY;
  static final int DEFAULT_PART_CONCURRENCY = 4;
  /** Bytes per GET when a file is downloaded in ranges ({@link #download}); the bucket tests lower it. */
  volatile long downloadRange = 16L * 1024 * 1024;
  private final RetryPolicy retries;
  private final String endpointUri;
  /** Retries per operation name since the bucket was opened. */
  private final Map<String, LongAdder> retryCounts = new ConcurrentSkipListMap<>();

  public S3Bucket(S3Config config) throws IOException {
    config.validate();
    this.config = config;
    this.bucket = config.bucket;
    Map<String, String> meta = new java.util.LinkedHashMap<>(config.putUserMetadata);
    String sc = null;
    for (String k : new ArrayList<>(meta.keySet())) {
      if (k.equalsIgnoreCase("X-Amz-Storage-Class")) {
        sc = meta.remove(k);
      }
    }
    this.storageClass = sc;
    this.userMetadata = meta;
    if (config.sseType.equals("SSE-C")) {
      byte[] key = Files.readAllBytes(Path.of(config.sseEncryptionKeyFile));
      if (key.length != 32) {
        throw new ConfigException("sse_config.encryption_key file must hold a 32-byte key, it holds " + key.length + " bytes");
      }
      this.sseCustomerKey = Base64.getEncoder().encodeToString(key);
      this.sseCustomerKeyMd5 = Base64.getEncoder().encodeToString(UploadParts.md5Digest().digest(key));
    } else {
      this.sseCustomerKey = null;
      this.sseCustomerKeyMd5 = null;
    }
    this.kmsContext = config.sseType.equals("SSE-KMS") && !config.kmsEncryptionContext.isEmpty()
        ? Base64.getEncoder().encodeToString(new ObjectMapper().writeValueAsBytes(config.kmsEncryptionContext))
        : null;
    this.defaultTrust = config.caFile.isEmpty() && !config.insecureSkipVerify ? new LazyDefaultTrustManager() : null;
    this.s3 = buildClient(config, defaultTrust);
    this.listConcurrency = Math.min(DEFAULT_LIST_CONCURRENCY, maxConnections(config));
    this.partConcurrency = Math.min(DEFAULT_PART_CONCURRENCY, maxConnections(config));
    this.retries = new RetryPolicy(config.maxRetries + 1, config.minRetryBackoff, config.maxRetryBackoff,
        RetryPolicy.THREAD_SLEEP);
    this.endpointUri = (config.endpoint.startsWith("http://") || config.endpoint.startsWith("https://") ? ""
        : config.insecure ? "http://" : "https://") + config.endpoint;
  }

  private static int maxConnections(S3Config c) {
    return c.maxConnsPerHost > 0 ? c.maxConnsPerHost : Math.max(1, c.maxIdleConnsPerHost);
  }

  /**
   * Whether the client has read the JVM's trust store, which it does only for the first HTTPS connection to an
   * endpoint that {@code ca_file} does not name a CA for (tests).
   */
  boolean readDefaultTrustStore() {
    return defaultTrust != null && defaultTrust.isLoaded();
  }

  /**
   * @param defaultTrust the JVM's trust, read when first needed; null when {@code ca_file} names the CA or
   *     {@code insecure_skip_verify} checks none
   */
  private static S3Client buildClient(S3Config c, LazyDefaultTrustManager defaultTrust) throws IOException {
    ApacheHttpClient.Builder http = ApacheHttpClient.builder()
        .maxConnections(maxConnections(c))
        // A stalled connect or read is abandoned and the request retried (see call()): an unreachable endpoint
        // is reported within seconds, a stalled response does not hold a run for minutes.
        .connectionTimeout(c.tlsHandshakeTimeout.isZero() ? Duration.ofSeconds(10) : c.tlsHandshakeTimeout)
        .socketTimeout(c.responseHeaderTimeout.isZero() ? Duration.ofMinutes(2) : c.responseHeaderTimeout)
        .connectionMaxIdleTime(c.idleConnTimeout.isZero() ? Duration.ofSeconds(90) : c.idleConnTimeout)
        // Callers may run more threads than connections: they wait for a connection instead of failing.
        .connectionAcquisitionTimeout(Duration.ofMinutes(10))
        .expectContinueEnabled(!c.expectContinueTimeout.isZero())
        .tcpKeepAlive(true);
    if (defaultTrust != null) {
      http.tlsTrustManagersProvider(() -> new TrustManager[] {defaultTrust});
    } else if (!c.caFile.isEmpty()) {
      TrustManagerFactory tmf = trustFrom(c.caFile);
      http.tlsTrustManagersProvider(tmf::getTrustManagers);
    }
    AttributeMap httpAttrs = c.insecureSkipVerify
        ? AttributeMap.builder().put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build()
        : AttributeMap.empty();

    S3ClientBuilder b = S3Client.builder()
        .httpClient(http.buildWithDefaults(httpAttrs))
        .credentialsProvider(credentials(c))
        .overrideConfiguration(overrides(c));
    String host = c.endpoint.replaceFirst("^https?://", "").replaceFirst("/+$", "");
    boolean aws = c.isAwsEndpoint();
    String region = c.region;
    if (aws) {
      Matcher m = AWS_REGION_HOST.matcher(host.toLowerCase(Locale.ROOT));
      if (region.isEmpty() && m.matches() && !m.group(1).equals("external-1")) {
        region = m.group(1);
      }
      if (region.isEmpty()) {
        region = "us-east-1";
        b.crossRegionAccessEnabled(true); // Thanos finds the bucket's region itself; so does the SDK with this
      }
    } else if (region.isEmpty()) {
      region = "us-east-1";
    }
    b.region(Region.of(region));
    String scheme = c.endpoint.startsWith("http://") ? "http" : c.endpoint.startsWith("https://") ? "https"
        : c.insecure ? "http" : "https";
    if (!aws || scheme.equals("http")) {
      b.endpointOverride(URI.create(scheme + "://" + host));
    }
    // On Amazon's own endpoints the SDK derives the endpoint from the region, which keeps cross-region access
    // and FIPS/dual-stack resolution working.
    boolean pathStyle = switch (c.bucketLookupType) {
      case PATH -> true;
      case VIRTUAL_HOSTED -> false;
      case AUTO -> !aws;
    };
    b.forcePathStyle(pathStyle);
    if (scheme.equals("http")) {
      // Over plain HTTP SigV4 signs the payload. Chunked, the SDK copies every 128 KiB of an upload into a fresh
      // array and signs it (as much garbage as bytes sent, which a compaction writing its next chunk segment
      // meanwhile pays for in collections); unchunked, it hashes each part from its file, then sends it.
      b.serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
    }
    S3Config.ChecksumMode mode = c.checksumMode;
    if (mode == S3Config.ChecksumMode.AUTO) {
      boolean envSays = System.getenv("AWS_REQUEST_CHECKSUM_CALCULATION") != null
          || System.getProperty("aws.requestChecksumCalculation") != null;
      mode = aws || envSays ? null : S3Config.ChecksumMode.WHEN_REQUIRED;
    }
    if (mode == S3Config.ChecksumMode.WHEN_REQUIRED) {
      b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
      b.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    } else if (mode == S3Config.ChecksumMode.WHEN_SUPPORTED) {
      b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED);
      b.responseChecksumValidation(ResponseChecksumValidation.WHEN_SUPPORTED);
    }
    try {
      return b.build();
    } catch (SdkException e) {
      throw new ConfigException("cannot create the S3 client for bucket " + c.bucket + ": " + e.getMessage());
    }
  }

  private static AwsCredentialsProvider credentials(S3Config c) {
    if (!c.accessKey.isEmpty()) {
      return StaticCredentialsProvider.create(c.sessionToken.isEmpty()
          ? AwsBasicCredentials.create(c.accessKey, c.secretKey)
          : AwsSessionCredentials.create(c.accessKey, c.secretKey, c.sessionToken));
    }
    return DefaultCredentialsProvider.create();
  }

  private static ClientOverrideConfiguration overrides(S3Config c) {
    ClientOverrideConfiguration.Builder o = ClientOverrideConfiguration.builder()
        // Retries are ours (call()): the SDK does not retry a listing whose body was cut off, and one budget per
        // request, counted in one place, is easier to reason about than two nested ones.
        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(1).build());
    if (c.trace) {
      o.addExecutionInterceptor(new TraceInterceptor());
    }
    return o.build();
  }

  private static TrustManagerFactory trustFrom(String caFile) throws IOException {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ExtHttpConfig.trustStore(caFile));
      return tmf;
    } catch (java.security.GeneralSecurityException e) {
      throw new ConfigException("http_config.tls_config.ca_file " + caFile + " cannot be read: " + e.getMessage());
    }
  }

  /** Logs each request at debug level (config {@code trace: enable: true}); never headers, so never credentials. */
  private static final class TraceInterceptor implements ExecutionInterceptor {
    @Override
    public void afterExecution(Context.AfterExecution ctx, ExecutionAttributes attrs) {
      LOG.debug("s3 {} {} -> {}", ctx.httpRequest().method(), ctx.httpRequest().encodedPath(),
          ctx.httpResponse().statusCode());
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution ctx, ExecutionAttributes attrs) {
      SdkRequest r = ctx.request();
      LOG.debug("s3 {} failed: {}", r.getClass().getSimpleName(), ctx.exception().toString());
    }
  }

  public S3Config config() {
    return config;
  }

  @Override
  public String name() {
    return bucket;
  }

  // ------------------------------------------------------------------ errors

  private IOException translate(String op, String key, SdkException e) {
    if (e instanceof AbortedException) {
      // The SDK stops a request when its thread is interrupted: an interrupt, not a failure of the bucket, and
      // kept for the caller (the SDK may have cleared it).
      Thread.currentThread().interrupt();
      InterruptedIOException x = new InterruptedIOException("s3 " + op + " " + (key == null ? "" : key + " ")
          + "in bucket " + bucket + " was interrupted");
      x.initCause(e);
      return x;
    }
    if (e instanceof NoSuchKeyException) {
      return new ObjectNotFoundException(bucket, key);
    }
    if (e instanceof S3Exception s3e) {
      int status = s3e.statusCode();
      if (status == 404 && key != null) {
        return new ObjectNotFoundException(bucket, key);
      }
      String code = s3e.awsErrorDetails() == null ? "" : s3e.awsErrorDetails().errorCode();
      String msg = s3e.awsErrorDetails() == null ? s3e.getMessage() : s3e.awsErrorDetails().errorMessage();
      boolean retryable = status >= 500 || status == 429 || "SlowDown".equals(code) || "RequestTimeout".equals(code);
      return new BucketException("s3 " + op + " " + (key == null ? "" : key + " ") + "in bucket " + bucket
          + " failed: HTTP " + status + " " + code + ": " + msg, retryable, e);
    }
    boolean retryable = e.retryable()
        || (e instanceof SdkClientException
            && (BucketException.causedBy(e, IOException.class) || cutOrTimedOut(e)));
    return new BucketException("s3 " + op + " " + (key == null ? "" : key + " ") + "in bucket " + bucket + " failed: "
        + e.getMessage(), retryable, e);
  }

  /**
   * A response cut off half way fails to parse (a listing's XML) or to match its checksum; an attempt that ran
   * out of time is abandoned. All of these are worth another attempt.
   */
  private static boolean cutOrTimedOut(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage() == null ? "" : c.getMessage();
      if (c instanceof javax.xml.stream.XMLStreamException || m.contains("Could not parse XML")
          || m.contains("Unable to unmarshall") || m.contains("checksum")
          || c instanceof software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ retries

  /** One S3 request; SDK exceptions are translated by {@link #call}. */
  @FunctionalInterface
  private interface Request<T> {
    T run() throws IOException;
  }

  /** Runs a request, repeating it after transient failures with backoff, up to {@code max_retries} times. */
  private <T> T call(String op, String key, Request<T> request) throws IOException {
    for (int attempt = 1; ; attempt++) {
      IOException failure;
      try {
        return request.run();
      } catch (SdkException e) {
        failure = translate(op, key, e);
      } catch (BucketException e) {
        failure = e;
      }
      if (!BucketException.isRetryable(failure) || attempt >= retries.maxAttempts()) {
        if (attempt > 1) {
          failure.addSuppressed(new BucketException("gave up after " + attempt + " attempts", false));
        }
        throw failure;
      }
      countRetry(op);
      pause(op, key, attempt, failure);
    }
  }

  private void countRetry(String op) {
    retryCounts.computeIfAbsent(op, k -> new LongAdder()).increment();
  }

  private void pause(String op, String key, int attempt, IOException failure) throws IOException {
    Duration d = retries.backoff(attempt);
    LOG.debug("s3 {} {} failed (attempt {} of {}), retrying in {} ms: {}", op, key == null ? "" : key, attempt,
        retries.maxAttempts(), d.toMillis(), failure.getMessage());
    try {
      retries.sleeper().sleep(d);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      InterruptedIOException x = new InterruptedIOException("interrupted while retrying s3 " + op);
      x.addSuppressed(failure);
      throw x;
    }
  }

  /** Retries per operation name so far ("list", "get", "get (resume)", "put", ...). */
  public Map<String, Long> retryCounts() {
    Map<String, Long> out = new java.util.TreeMap<>();
    retryCounts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /**
   * Checks that the bucket answers a one-key listing. Connection-level failures (refused, unknown host, TLS,
   * connect timeout) get one quick second try only, so a wrong endpoint is reported within seconds; throttling
   * and server errors get the usual budget. The error names the endpoint and the cause.
   */
  public void probe() throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        if (config.listObjectsVersion.equals("v1")) {
          s3.listObjects(ListObjectsRequest.builder().bucket(bucket).maxKeys(1).build());
        } else {
          s3.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).maxKeys(1).build());
        }
        return;
      } catch (SdkException e) {
        IOException x = translate("list", null, e);
        String connection = connectionProblem(e);
        int budget = connection != null ? Math.min(2, retries.maxAttempts()) : retries.maxAttempts();
        if (!BucketException.isRetryable(x) || attempt >= budget) {
          String why = connection != null ? connection : x.getMessage().replaceFirst("^s3 list in bucket \\S+ failed: ", "");
          throw new BucketException("cannot use bucket " + bucket + " at " + endpointUri + ": " + why, false, e);
        }
        countRetry("list");
        pause("probe", null, attempt, x);
      }
    }
  }

  /** "connection refused", "unknown host h", ... when the request never reached an S3 server; else null. */
  private static String connectionProblem(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.net.ConnectException) {
        return "connection refused (" + c.getMessage() + ")";
      }
      if (c instanceof java.net.UnknownHostException) {
        return "unknown host " + c.getMessage();
      }
      if (c instanceof javax.net.ssl.SSLException) {
        return "TLS failed: " + c.getMessage();
      }
      if (c instanceof java.net.NoRouteToHostException) {
        return "no route to host (" + c.getMessage() + ")";
      }
      if (c instanceof java.net.SocketTimeoutException || c.getClass().getSimpleName().equals("ConnectTimeoutException")) {
        return "connect timed out (" + c.getMessage() + ")";
      }
    }
    return null;
  }


  // ------------------------------------------------------------------ reads

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    String dir = Bucket.dirPrefix(prefix);
    String delimiter = recursive ? null : "/";
    try {
      if (recursive && listConcurrency > 1) {
        String what = "s3 list " + (dir.isEmpty() ? "" : dir + " ") + "in bucket " + bucket;
        SplitListing.list(what, new SplitListing.Pages() {
          @Override
          public SplitListing.Page after(String startAfter) throws IOException {
            return page(dir, startAfter);
          }

          @Override
          public void listAll(ListVisitor v) throws IOException {
            listPaged(dir, null, v);
          }
        }, listConcurrency, visitor);
      } else {
        listPaged(dir, delimiter, visitor);
      }
    } catch (SdkException e) {
      throw translate("list", dir, e);
    }
  }

  /** One page of a recursive listing from {@code startAfter} (exclusive). */
  private SplitListing.Page page(String dir, String startAfter) throws IOException {
    List<S3Object> objects;
    boolean truncated;
    if (config.listObjectsVersion.equals("v1")) {
      ListObjectsRequest request = ListObjectsRequest.builder().bucket(bucket).prefix(dir).maxKeys(listMaxKeys)
          .marker(startAfter).build();
      ListObjectsResponse page = call("list", dir, () -> s3.listObjects(request));
      objects = page.contents();
      truncated = Boolean.TRUE.equals(page.isTruncated());
    } else {
      ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(dir).maxKeys(listMaxKeys)
          .startAfter(startAfter).build();
      ListObjectsV2Response page = call("list", dir, () -> s3.listObjectsV2(request));
      objects = page.contents();
      truncated = Boolean.TRUE.equals(page.isTruncated());
    }
    List<ListEntry> entries = new ArrayList<>(objects.size());
    emit(dir, objects, List.of(), e -> entries.add(e));
    // The next page starts after the last key listed here, a folder marker (a key ending in '/') included.
    String last = objects.isEmpty() ? null : objects.get(objects.size() - 1).key();
    return new SplitListing.Page(entries, last, truncated);
  }

  /**
   * Sets how many listing requests a recursive listing may have in flight ({@link SplitListing}; default 8, at
   * most the connections); 1 lists page after page, with S3's continuation tokens.
   */
  public S3Bucket listConcurrency(int requests) {
    if (requests < 1) {
      throw new IllegalArgumentException("list concurrency must be at least 1, not " + requests);
    }
    this.listConcurrency = requests;
    return this;
  }

  /** S3's: UTF-8 bytes. */
  @Override
  public java.util.Comparator<String> keyOrder() {
    return Labels::compareStrings;
  }

  /** The listing as S3 pages it, one page after another. */
  private void listPaged(String dir, String delimiter, ListVisitor visitor) throws IOException {
    if (config.listObjectsVersion.equals("v1")) {
      listV1(dir, delimiter, visitor);
    } else {
      listV2(dir, delimiter, visitor);
    }
  }

  private void listV2(String dir, String delimiter, ListVisitor visitor) throws IOException {
    String token = null;
    do {
      ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(dir)
          .delimiter(delimiter).maxKeys(listMaxKeys).continuationToken(token).build();
      ListObjectsV2Response page = call("list", dir, () -> s3.listObjectsV2(request));
      if (!emit(dir, page.contents(), page.commonPrefixes(), visitor)) {
        return;
      }
      token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
    } while (token != null);
  }

  private void listV1(String dir, String delimiter, ListVisitor visitor) throws IOException {
    String marker = null;
    while (true) {
      ListObjectsRequest request = ListObjectsRequest.builder().bucket(bucket).prefix(dir)
          .delimiter(delimiter).maxKeys(listMaxKeys).marker(marker).build();
      ListObjectsResponse page = call("list", dir, () -> s3.listObjects(request));
      if (!emit(dir, page.contents(), page.commonPrefixes(), visitor) || !Boolean.TRUE.equals(page.isTruncated())) {
        return;
      }
      String last = null;
      for (S3Object o : page.contents()) {
        last = o.key();
      }
      for (CommonPrefix p : page.commonPrefixes()) {
        if (last == null || p.prefix().compareTo(last) > 0) {
          last = p.prefix();
        }
      }
      marker = page.nextMarker() != null ? page.nextMarker() : last;
      if (marker == null) {
        return;
      }
    }
  }

  /** Merges one page's objects and common prefixes into key order. */
  private static boolean emit(String dir, List<S3Object> objects, List<CommonPrefix> prefixes, ListVisitor visitor)
      throws IOException {
    int i = 0;
    int j = 0;
    while (i < objects.size() || j < prefixes.size()) {
      ListEntry e;
      if (j >= prefixes.size() || (i < objects.size() && objects.get(i).key().compareTo(prefixes.get(j).prefix()) < 0)) {
        S3Object o = objects.get(i++);
        if (o.key().equals(dir) || o.key().endsWith("/")) {
          continue; // directory marker objects some tools create
        }
        e = new ListEntry(o.key(), o.size() == null ? 0 : o.size(), o.lastModified());
      } else {
        e = ListEntry.directory(prefixes.get(j++).prefix());
      }
      if (!visitor.visit(e)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    if (length == 0) {
      attributes(key); // still report a missing object
      return InputStream.nullInputStream();
    }
    ResponseInputStream<GetObjectResponse> first = openGet(key, offset, length, null);
    if (first == null) {
      attributes(key);
      return InputStream.nullInputStream(); // offset at or past the end: nothing there, as for a file
    }
    return resuming(key, first, offset, length, first.response().eTag());
  }

  /**
   * {@code first}, the open reply for {@code [offset, offset + length)} (length -1: to the end), read on past broken
   * connections: the rest is asked for again from the byte reached, of the version whose ETag is {@code etag} only
   * (a replaced object fails the read rather than being stitched to the old one's start).
   */
  private InputStream resuming(String key, ResponseInputStream<GetObjectResponse> first, long offset, long length,
      String etag) {
    return new ResumingInputStream("s3 get " + key + " in bucket " + bucket, offset, length, retries,
        new ResumingInputStream.Part(first, first.response().contentLength()), (pos, remaining) -> {
          ResponseInputStream<GetObjectResponse> again = openGet(key, pos, remaining, etag);
          return again == null ? new ResumingInputStream.Part(InputStream.nullInputStream(), 0)
              : new ResumingInputStream.Part(again, again.response().contentLength());
        }, () -> countRetry("get (resume)"));
  }

  /**
   * A GET of {@code [offset, offset + length)} (length -1: to the end), only of the version whose ETag is
   * {@code ifMatch} when that is given (else a non-retryable error saying the object was replaced); null on 416.
   * The response always has a Content-Length.
   */
  private ResponseInputStream<GetObjectResponse> openGet(String key, long offset, long length, String ifMatch)
      throws IOException {
    GetObjectRequest.Builder r = GetObjectRequest.builder().bucket(bucket).key(key);
    if (offset > 0 || length > 0) {
      r.range("bytes=" + offset + "-" + (length > 0 ? Long.toString(offset + length - 1) : ""));
    }
    if (ifMatch != null) {
      r.ifMatch(ifMatch);
    }
    if (sseCustomerKey != null) {
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(sseCustomerKey).sseCustomerKeyMD5(sseCustomerKeyMd5);
    }
    GetObjectRequest request = r.build();
    return call("get", key, () -> {
      try {
        ResponseInputStream<GetObjectResponse> in = s3.getObject(request);
        if (in.response().contentLength() == null) {
          // S3 always sends Content-Length with an object; without it the headers were cut off, and reading to
          // the end of the connection would take a broken body for a whole one.
          in.abort();
          throw new BucketException("s3 get " + key + " in bucket " + bucket + ": response without Content-Length",
              true);
        }
        if (offset > 0 && in.response().contentRange() == null) {
          // The store ignored the Range and sent the object from its first byte: not the bytes asked for.
          in.abort();
          throw new BucketException("s3 get " + key + " in bucket " + bucket + ": the store ignored the range from byte "
              + offset + " and sent the whole object; it cannot be read from the middle", false);
        }
        return in;
      } catch (S3Exception e) {
        if (e.statusCode() == 416) {
          return null;
        }
        if (e.statusCode() == 412 && ifMatch != null) {
          throw new BucketException("s3 get " + key + " in bucket " + bucket
              + ": the object was replaced while it was read", false, e);
        }
        throw e;
      }
    });
  }

  /**
   * Downloads in ranges of {@link #downloadRange} bytes, {@link #partConcurrency} at once, each written where it
   * belongs in the file: one GET stream is limited by its connection (and, against S3, by a per-connection
   * rate), so a block's large files come down several times faster. The first range's reply gives the size
   * and the ETag; every other range is asked for that ETag only ({@code If-Match}), so a file is never stitched
   * from two versions of an object. A range cut off resumes from the byte it reached.
   */
  @Override
  public long download(String key, Path target) throws IOException {
    return rangedDownload(key, target, -1, (offset, count) -> { });
  }

  /** {@link #download}'s ranges, written in place into the file of the listed size. */
  @Override
  public long downloadInto(String key, Path target, long size, WrittenRanges written) throws IOException {
    return rangedDownload(key, target, size, written);
  }

  /**
   * Downloads {@code key} into {@code target}: a new file ({@code expected} -1), or the existing file of
   * {@code expected} bytes, written in place and left alone when the object has another size.
   */
  private long rangedDownload(String key, Path target, long expected, WrittenRanges written) throws IOException {
    long rangeSize = downloadRange;
    ResponseInputStream<GetObjectResponse> first = openGet(key, 0, rangeSize, null);
    if (first == null) {
      attributes(key); // an empty object answers 416; a missing one is ObjectNotFoundException
      if (expected < 0) {
        Files.write(target, new byte[0]);
      }
      return 0;
    }
    long size = totalSize(first.response());
    String etag = first.response().eTag();
    if (expected >= 0 && (size < 0 || size != expected)) {
      first.close();
      // Another size: nothing is written. No size at all (a store that ignored the range): streamed whole, which
      // writes no more than the file holds.
      return size >= 0 ? size : Bucket.super.downloadInto(key, target, expected, written);
    }
    OpenOption[] mode = expected < 0
        ? new OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING}
        : new OpenOption[] {StandardOpenOption.WRITE};
    try (FileChannel out = FileChannel.open(target, mode)) {
      if (size < 0) {
        // A store that ignored the range (no Content-Range) sent the whole object: write it as it comes.
        return copyRange(key, first, 0, -1, etag, out, written);
      }
      long ranges = (size + rangeSize - 1) / rangeSize;
      AtomicLong next = new AtomicLong(1);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Runnable worker = () -> {
        for (long i; failure.get() == null && (i = next.getAndIncrement()) < ranges; ) {
          long offset = i * rangeSize;
          long length = Math.min(rangeSize, size - offset);
          try {
            ResponseInputStream<GetObjectResponse> in = openGet(key, offset, length, etag);
            if (in == null) {
              throw new BucketException("s3 get " + key + " in bucket " + bucket + ": range at " + offset
                  + " refused; the object was replaced while it was read", false);
            }
            copyRange(key, in, offset, length, etag, out, written);
          } catch (IOException | RuntimeException | Error e) {
            failure.compareAndSet(null, e);
          }
        }
      };
      runConcurrently("s3-download-ranges", (int) Math.min(partConcurrency, ranges) - 1, worker, failure, () -> {
        try {
          copyRange(key, first, 0, Math.min(rangeSize, size), etag, out, written);
        } catch (IOException | RuntimeException | Error e) {
          failure.compareAndSet(null, e);
        }
        worker.run();
      });
      return size;
    } finally {
      first.close();
    }
  }

  /** The object's size from a ranged reply's {@code Content-Range: bytes a-b/size}; -1 without one. */
  private static long totalSize(GetObjectResponse r) {
    String range = r.contentRange();
    int slash = range == null ? -1 : range.lastIndexOf('/');
    if (slash < 0 || range.endsWith("*")) {
      return -1;
    }
    return Long.parseLong(range.substring(slash + 1).trim());
  }

  /**
   * Writes {@code [offset, offset + length)} (length -1: to the end) from {@code in}, the open reply for it, at
   * that place in {@code out}, resuming from the byte reached when the reply breaks. Returns the bytes written.
   */
  private long copyRange(String key, ResponseInputStream<GetObjectResponse> in, long offset, long length,
      String etag, FileChannel out, WrittenRanges written) throws IOException {
    try (InputStream range = resuming(key, in, offset, length, etag)) {
      byte[] buf = new byte[64 * 1024];
      long position = offset;
      for (int n; (n = range.read(buf)) > 0; ) {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
        long at = position;
        while (b.hasRemaining()) {
          position += out.write(b, position);
        }
        written.written(at, n);
      }
      if (length >= 0 && position - offset != length) {
        throw new BucketException("s3 get " + key + " in bucket " + bucket + ": range at " + offset + " ended after "
            + (position - offset) + " of " + length + " bytes", true);
      }
      return position - offset;
    }
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    HeadObjectRequest.Builder r = HeadObjectRequest.builder().bucket(bucket).key(key);
    if (sseCustomerKey != null) {
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(sseCustomerKey).sseCustomerKeyMD5(sseCustomerKeyMd5);
    }
    HeadObjectRequest request = r.build();
    return call("head", key, () -> {
      HeadObjectResponse h = s3.headObject(request);
      if (h.contentLength() == null) {
        // The headers were cut off before Content-Length: the connection broke, the object is not empty.
        throw new BucketException("s3 head " + key + " in bucket " + bucket + ": response without Content-Length", true);
      }
      return new ObjectAttributes(h.contentLength(), h.lastModified());
    });
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    Keys.check(key);
    // Without multipart, the whole object is one part (as large as a byte array can be).
    upload(key, new UploadParts(key, in, length, config.disableMultipart ? Long.MAX_VALUE : config.partSize));
  }

  /** Sends each part from the file as it goes: no part is held on the heap, a retried part is read again. */
  @Override
  public void upload(String key, Path file) throws IOException {
    Keys.check(key);
    upload(key, UploadParts.ofFile(key, file, config.disableMultipart ? Long.MAX_VALUE : config.partSize));
  }

  /**
   * Sends the file's parts as the writer gets past each of them, in one multipart upload completed once the file is
   * whole (a file that ends within its first part goes up in one request then). Without multipart, the whole file
   * once it is whole.
   */
  @Override
  public void uploadWhileWritten(String key, GrowingFile file) throws IOException {
    Keys.check(key);
    if (config.disableMultipart) {
      Bucket.super.uploadWhileWritten(key, file);
      return;
    }
    upload(key, UploadParts.ofGrowingFile(key, file, config.partSize));
  }

  @Override
  public boolean uploadsWhileWritten() {
    return !config.disableMultipart;
  }

  private void upload(String key, UploadParts parts) throws IOException {
    UploadParts.Part first = parts.nextPart();
    if (config.disableMultipart || parts.isWhole(first)) {
      parts.checkComplete();
      putObject(key, first);
      return;
    }
    multipart(key, parts, first);
  }

  private void putObject(String key, UploadParts.Part data) throws IOException {
    PutObjectRequest.Builder r = PutObjectRequest.builder().bucket(bucket).key(key).contentLength(data.length());
    applyWriteOptions(r);
    if (config.sendContentMd5) {
      r.contentMD5(Base64.getEncoder().encodeToString(data.md5()));
    }
    PutObjectRequest request = r.build();
    try (PartBody body = new PartBody(data)) {
      call("put", key, () -> s3.putObject(request, body.requestBody()));
    }
  }

  /**
   * A part as the SDK's request body: a fresh stream of it for every read (the payload's hash, then each attempt),
   * without the copy {@code RequestBody.fromBytes} makes. The SDK does not close every stream it opens (over plain
   * HTTP, not the one it hashes for the signature when an attempt fails), so each new stream closes the one before
   * it and {@link #close} the last: a retried part leaves no file open.
   */
  private static final class PartBody implements AutoCloseable {
    private final UploadParts.Part part;
    private InputStream open;

    PartBody(UploadParts.Part part) {
      this.part = part;
    }

    RequestBody requestBody() {
      return RequestBody.fromContentProvider(this::newStream, part.length(), "application/octet-stream");
    }

    private synchronized InputStream newStream() {
      close();
      try {
        open = part.open();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return open;
    }

    @Override
    public synchronized void close() {
      if (open != null) {
        try {
          open.close();
        } catch (IOException ignored) {
          // A read-only file or a byte array: nothing was lost.
        }
        open = null;
      }
    }
  }

  private void applyWriteOptions(PutObjectRequest.Builder r) {
    if (!userMetadata.isEmpty()) {
      r.metadata(userMetadata);
    }
    if (storageClass != null) {
      r.storageClass(storageClass);
    }
    switch (config.sseType) {
      case "SSE-S3" -> r.serverSideEncryption(ServerSideEncryption.AES256);
      case "SSE-KMS" -> r.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(config.kmsKeyId)
          .ssekmsEncryptionContext(kmsContext);
      case "SSE-C" -> r.sseCustomerAlgorithm("AES256").sseCustomerKey(sseCustomerKey).sseCustomerKeyMD5(sseCustomerKeyMd5);
      default -> { }
    }
  }

  private void multipart(String key, UploadParts stream, UploadParts.Part first) throws IOException {
    CreateMultipartUploadRequest.Builder cr = CreateMultipartUploadRequest.builder().bucket(bucket).key(key);
    if (!userMetadata.isEmpty()) {
      cr.metadata(userMetadata);
    }
    if (storageClass != null) {
      cr.storageClass(storageClass);
    }
    switch (config.sseType) {
      case "SSE-S3" -> cr.serverSideEncryption(ServerSideEncryption.AES256);
      case "SSE-KMS" -> cr.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(config.kmsKeyId)
          .ssekmsEncryptionContext(kmsContext);
      case "SSE-C" -> cr.sseCustomerAlgorithm("AES256").sseCustomerKey(sseCustomerKey).sseCustomerKeyMD5(sseCustomerKeyMd5);
      default -> { }
    }
    // A creation whose reply was lost leaves an unused upload behind; S3 lifecycle rules remove those.
    CreateMultipartUploadRequest create = cr.build();
    String uploadId = call("create multipart upload", key, () -> s3.createMultipartUpload(create)).uploadId();
    boolean completed = false;
    try {
      List<CompletedPart> parts = stream.isFile() ? sendFileParts(key, uploadId, stream, first)
          : sendStreamParts(key, uploadId, stream, first);
      stream.checkComplete();
      CompleteMultipartUploadRequest complete = CompleteMultipartUploadRequest.builder().bucket(bucket).key(key)
          .uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build();
      boolean[] sent = {false};
      long size = stream.bytesRead();
      call("complete multipart upload", key, () -> {
        try {
          return s3.completeMultipartUpload(complete);
        } catch (S3Exception e) {
          // An earlier attempt completed the upload and its reply was lost: the upload is gone (S3 says
          // NoSuchUpload, S3Proxy a bare 400), the object is there, whole.
          if (sent[0] && e.statusCode() >= 400 && e.statusCode() < 500 && hasSize(key, size)) {
            return null;
          }
          throw e;
        } finally {
          sent[0] = true;
        }
      });
      completed = true;
    } finally {
      if (!completed) {
        AbortMultipartUploadRequest abort = AbortMultipartUploadRequest.builder().bucket(bucket).key(key)
            .uploadId(uploadId).build();
        // An upload stopped by an interrupt (a block abandoned, SIGTERM) still asks S3 to drop its parts: one quick
        // request, made with the interrupt set aside (the SDK would not send it) and then restored.
        boolean interrupted = Thread.interrupted();
        try {
          call("abort multipart upload", key, () -> {
            try {
              return s3.abortMultipartUpload(abort);
            } catch (S3Exception e) {
              if (e.statusCode() == 404) {
                return null; // already aborted by an attempt whose reply was lost
              }
              throw e;
            }
          });
        } catch (IOException e) {
          LOG.warn("could not abort multipart upload of {} in bucket {}: {}", key, bucket, e.getMessage());
        } finally {
          if (interrupted) {
            Thread.currentThread().interrupt();
          }
        }
      }
    }
  }

  /** A stream's parts, one after another: each is read onto the heap, so one is held at a time. */
  private List<CompletedPart> sendStreamParts(String key, String uploadId, UploadParts stream, UploadParts.Part first)
      throws IOException {
    List<CompletedPart> parts = new ArrayList<>();
    for (UploadParts.Part part = first; part.length() > 0; part = stream.nextPart()) {
      checkPartCount(key, parts.size() + 1);
      parts.add(sendPart(key, uploadId, parts.size() + 1, part));
    }
    return parts;
  }

  /**
   * A file's parts, {@link #partConcurrency} at once: the calling thread and helpers take the next unsent range
   * until none is left or one has failed; a failure is thrown once every part in flight has finished, so the abort
   * that follows cannot race a part still being sent. The ranges are cut one at a time as they are taken: a file
   * still being written has its next one only once the writer has got past it.
   */
  private List<CompletedPart> sendFileParts(String key, String uploadId, UploadParts stream, UploadParts.Part first)
      throws IOException {
    List<CompletedPart> done = new ArrayList<>();
    int[] cut = {0};
    // Taken interruptibly: the thread holding it may wait long for a growing file's next part.
    java.util.concurrent.locks.ReentrantLock cutting = new java.util.concurrent.locks.ReentrantLock();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Runnable worker = () -> {
      while (failure.get() == null) {
        try {
          UploadParts.Part part;
          int number;
          try {
            cutting.lockInterruptibly();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading " + key);
          }
          try {
            // Checked again under the lock: a thread that waited here for a part must not send it after a failure.
            if (failure.get() != null) {
              return;
            }
            part = cut[0] == 0 ? first : stream.nextPart();
            if (part.length() == 0) {
              return;
            }
            number = ++cut[0];
          } finally {
            cutting.unlock();
          }
          checkPartCount(key, number);
          CompletedPart sent = sendPart(key, uploadId, number, part);
          synchronized (done) {
            done.add(sent);
          }
        } catch (IOException | RuntimeException | Error e) {
          failure.compareAndSet(null, e);
          stream.stop();
        }
      }
    };
    // A file whose size is known is checked before anything is sent, and needs no more helpers than it has parts.
    long parts = stream.isGrowing() ? partConcurrency : (stream.length() + first.length() - 1) / first.length();
    if (!stream.isGrowing()) {
      checkPartCount(key, (int) Math.min(parts, Integer.MAX_VALUE));
    }
    runConcurrently("s3-upload-parts", (int) Math.min(partConcurrency, parts) - 1, worker, failure, worker);
    done.sort(java.util.Comparator.comparingInt(CompletedPart::partNumber));
    return done;
  }

  /**
   * Runs {@code helpers} copies of {@code worker} on threads of their own and {@code own} on this one, and waits for
   * all of them: work in flight ends on its own (a request cannot be taken back), so whatever follows a failure
   * (an abort, a delete) cannot race it. Then throws the first failure the workers recorded, if any. Interrupted,
   * it interrupts the helpers and still waits for them (up to five minutes), the interrupt kept for the caller: a
   * part still on its way when the multipart upload is aborted may be stored after the abort, where nothing lists
   * it.
   */
  static void runConcurrently(String name, int helpers, Runnable worker, AtomicReference<Throwable> failure,
      Runnable own) throws IOException {
    ExecutorService pool = helpers <= 0 ? null : Executors.newFixedThreadPool(helpers, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    List<Future<?>> running = new ArrayList<>();
    try {
      for (int h = 0; h < helpers; h++) {
        running.add(pool.submit(worker));
      }
      own.run();
      for (Future<?> f : running) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure.compareAndSet(null, new InterruptedIOException("interrupted: " + name));
    } catch (ExecutionException e) {
      failure.compareAndSet(null, e.getCause());
    } finally {
      if (pool != null) {
        pool.shutdownNow();
        awaitEnd(pool, TimeUnit.MINUTES.toNanos(5));
      }
    }
    BucketException.rethrow(failure.get());
  }

  /**
   * Waits up to {@code nanos} for the pool's threads to end, whether or not this thread is or gets interrupted;
   * its interrupt is kept.
   */
  private static void awaitEnd(ExecutorService pool, long nanos) {
    boolean interrupted = Thread.interrupted();
    long deadline = System.nanoTime() + nanos;
    try {
      while (true) {
        try {
          pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void checkPartCount(String key, int parts) throws BucketException {
    if (parts > 10_000) {
      throw new BucketException("upload of " + key + " needs more than 10000 parts; raise part_size", false);
    }
  }

  /** Sends part {@code number}; its ETag names it in the completion. */
  private CompletedPart sendPart(String key, String uploadId, int number, UploadParts.Part part) throws IOException {
    UploadPartRequest.Builder pr = UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
        .partNumber(number).contentLength(part.length());
    if (sseCustomerKey != null) {
      pr.sseCustomerAlgorithm("AES256").sseCustomerKey(sseCustomerKey).sseCustomerKeyMD5(sseCustomerKeyMd5);
    }
    if (config.sendContentMd5) {
      pr.contentMD5(Base64.getEncoder().encodeToString(part.md5()));
    }
    UploadPartRequest upload = pr.build();
    String etag;
    try (PartBody body = new PartBody(part)) {
      etag = call("upload part", key, () -> {
        String tag = s3.uploadPart(upload, body.requestBody()).eTag();
        if (tag == null || (tag.startsWith("\"") && (tag.length() < 2 || !tag.endsWith("\"")))) {
          // The reply's headers were cut off; without its whole ETag the part cannot be named in the completion.
          throw new BucketException("s3 upload part of " + key + " in bucket " + bucket + ": reply without ETag", true);
        }
        return tag;
      });
    }
    return CompletedPart.builder().partNumber(number).eTag(etag).build();
  }

  private boolean hasSize(String key, long size) throws IOException {
    try {
      return attributes(key).size() == size;
    } catch (ObjectNotFoundException e) {
      return false;
    }
  }

  @Override
  public void delete(String key) throws IOException {
    // Deleting is idempotent: a retry after a lost reply, or a delete of an object already gone, succeeds.
    call("delete", key, () -> {
      try {
        return s3.deleteObject(b -> b.bucket(bucket).key(key));
      } catch (S3Exception e) {
        if (e.statusCode() == 404) {
          return null;
        }
        throw e;
      }
    });
  }

  @Override
  public void close() {
    Map<String, Long> retried = retryCounts();
    if (!retried.isEmpty()) {
      LOG.info("s3 retries in bucket {}: {}", bucket, retried);
    }
    s3.close();
  }

  @Override
  public String toString() {
    return "S3Bucket[" + config + "]";
  }
}
