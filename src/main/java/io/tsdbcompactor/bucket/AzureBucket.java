package io.tsdbcompactor.bucket;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.rest.PagedIterable;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.core.util.HttpClientOptions;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.CredentialUnavailableException;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DeleteSnapshotsOptionType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container in Azure Blob Storage (or Azurite), on the Azure SDK for Java over the JDK's HTTP client.
 *
 * <ul>
 *   <li>Opening: the container is created when missing, as Thanos does, unless {@code storage_create_container:
 *       false}.
 *   <li>Uploads stream: objects up to the block size are one Put Blob; larger ones are staged as blocks of that size
 *       and committed with one Put Block List, so a reader sees the old blob or the whole new one. A failed upload
 *       leaves only uncommitted blocks, which Azure discards after a week. Memory: one block. Every request carries
 *       a Content-MD5 the service checks.
 *   <li>Reads are ranged and pinned to the blob's ETag: should the blob be replaced while it is read, the read
 *       fails (not retried) instead of mixing two versions. {@link RetryingBucket} resumes broken reads.
 *   <li>Retries: the SDK's exponential policy repeats each request on throttling (429, 503), 5xx, timeouts and
 *       connection errors ({@code pipeline_config}); errors say whether a further retry may help.
 *   <li>Secrets: keys and connection strings go to the SDK only; messages name the account, container and
 *       authentication method, never a credential.
 * </ul>
 */
public final class AzureBucket implements Bucket {
  private static final Logger LOG = LoggerFactory.getLogger(AzureBucket.class);
  static final int DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
  /** Azure's limit of committed blocks per blob. */
  private static final int MAX_BLOCKS = 50_000;

  private final AzureConfig config;
  private final BlobContainerClient container;
  private final String where;
  /** Objects up to this size are one request; larger ones go up in blocks of this size. Tests make it small. */
  int blockSize = DEFAULT_BLOCK_SIZE;
  /** Bytes fetched per ranged read request. */
  int readBlockSize = 4 * 1024 * 1024;
  /** Listing page size (at most 5000); tests make it small to exercise paging. */
  int listPageSize = 5000;

  public AzureBucket(AzureConfig config) throws IOException {
    config.validate();
    this.config = config;
    this.where = "container " + config.container + " of storage account " + config.storageAccount;
    if (!config.msiResource.isEmpty()) {
      LOG.warn("The field msi_resource has been deprecated and should no longer be set"); // as Thanos says it
    }
    this.container = client(config);
    if (config.storageCreateContainer) {
      createContainerIfMissing();
    }
  }

  private static BlobContainerClient client(AzureConfig c) throws IOException {
    java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder();
    SSLContext ssl = c.http.sslContext();
    if (ssl != null) {
      jdk.sslContext(ssl);
    }
    HttpClient http = new JdkHttpClientBuilder(jdk)
        .connectionTimeout(positiveOr(c.http.tlsHandshakeTimeout, Duration.ofSeconds(10)))
        .responseTimeout(positiveOr(c.http.responseHeaderTimeout, Duration.ofMinutes(2)))
        .build();
    BlobContainerClientBuilder b = new BlobContainerClientBuilder()
        .httpClient(http)
        .retryOptions(retryOptions(c))
        .clientOptions(new HttpClientOptions().setApplicationId("tsdb-compactor"));
    try {
      if (!c.storageConnectionString.isEmpty()) {
        b.connectionString(c.storageConnectionString);
      } else {
        b.endpoint(c.accountUrl());
        if (!c.storageAccountKey.isEmpty()) {
          b.credential(new StorageSharedKeyCredential(c.storageAccount, c.storageAccountKey));
        } else {
          b.credential(tokenCredential(c, http));
        }
      }
      return b.containerName(c.container).buildClient();
    } catch (IllegalArgumentException | IllegalStateException e) {
      // The SDK's parse errors describe the field, not its value (checked for the connection string and key).
      throw new ConfigException("cannot set up the AZURE client for " + c.container + " in storage account "
          + c.storageAccount + " (" + c.authMethod() + "): " + e.getMessage());
    }
  }

  private static TokenCredential tokenCredential(AzureConfig c, HttpClient http) {
    if (!c.clientSecret.isEmpty()) {
      return new ClientSecretCredentialBuilder().tenantId(c.azTenantId).clientId(c.clientId)
          .clientSecret(c.clientSecret).httpClient(http).build();
    }
    if (!c.userAssignedId.isEmpty()) {
      return new ManagedIdentityCredentialBuilder().clientId(c.userAssignedId).httpClient(http).build();
    }
    return new DefaultAzureCredentialBuilder().httpClient(http).build();
  }

  /**
   * Thanos passes {@code max_tries} to Go's azcore as its number of retries (0: three), so one more try here;
   * zero delays leave the SDK's defaults.
   */
  static RequestRetryOptions retryOptions(AzureConfig c) {
    int tries = (c.pipelineMaxTries > 0 ? c.pipelineMaxTries : 3) + 1;
    Duration tryTimeout = c.tryTimeout.isZero() ? null : c.tryTimeout;
    Duration delay = null;
    Duration maxDelay = null;
    if (!c.retryDelay.isZero() || !c.maxRetryDelay.isZero()) {
      delay = c.retryDelay.isZero() ? Duration.ofSeconds(4) : c.retryDelay;
      maxDelay = c.maxRetryDelay.isZero() ? Duration.ofMinutes(2) : c.maxRetryDelay;
      if (maxDelay.compareTo(delay) < 0) {
        maxDelay = delay;
      }
    }
    return new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, tries, tryTimeout, delay, maxDelay, null);
  }

  private static Duration positiveOr(Duration d, Duration dflt) {
    return d == null || d.isZero() || d.isNegative() ? dflt : d;
  }

  private void createContainerIfMissing() throws IOException {
    try {
      container.getProperties();
      return;
    } catch (BlobStorageException e) {
      if (e.getStatusCode() != 404) {
        throw translate("check", null, e);
      }
    } catch (RuntimeException e) {
      throw translate("check", null, e);
    }
    try {
      container.create();
      LOG.info("created Azure blob container {} in storage account {}", config.container, config.storageAccount);
    } catch (BlobStorageException e) {
      if (!BlobErrorCode.CONTAINER_ALREADY_EXISTS.equals(e.getErrorCode())) {
        throw translate("create", null, e);
      }
    } catch (RuntimeException e) {
      throw translate("create", null, e);
    }
  }

  public AzureConfig config() {
    return config;
  }

  @Override
  public String name() {
    return config.container;
  }

  /** The blob of {@code key}, for the tests that look at what a bucket call leaves (its uncommitted blocks). */
  BlobClient blob(String key) {
    return container.getBlobClient(key);
  }

  // ------------------------------------------------------------------ errors

  private IOException translate(String op, String key, RuntimeException e) {
    String what = "azure " + op + " " + (key == null ? "" : key + " in ") + where;
    if (e instanceof BlobStorageException b) {
      int status = b.getStatusCode();
      BlobErrorCode code = b.getErrorCode();
      if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code) || (key == null && status == 404)) {
        return new BucketException(what + " failed: the container does not exist"
            + (config.storageCreateContainer ? "" : " (storage_create_container is false)"), false, e);
      }
      if (status == 404 && key != null) {
        return new ObjectNotFoundException(config.container, key);
      }
      boolean retryable = status >= 500 || status == 429 || status == 408;
      String hint = status == 403 ? " (check the credentials: " + config.authMethod() + ")" : "";
      return new BucketException(what + " failed: HTTP " + status + " " + (code == null ? "" : code) + hint,
          retryable, e);
    }
    if (e instanceof CredentialUnavailableException || e instanceof ClientAuthenticationException) {
      return new BucketException(what + " failed: cannot authenticate with the " + config.authMethod() + ": "
          + BucketException.firstLine(e.getMessage()), false, e);
    }
    boolean transientCause = BucketException.causedBy(e, IOException.class)
        || BucketException.causedBy(e, TimeoutException.class);
    return new BucketException(what + " failed: " + e, transientCause, e);
  }



  // ------------------------------------------------------------------ reads

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    String dir = Bucket.dirPrefix(prefix);
    ListBlobsOptions o = new ListBlobsOptions().setMaxResultsPerPage(listPageSize)
        .setDetails(new BlobListDetails().setRetrieveMetadata(true));
    if (!dir.isEmpty()) {
      o.setPrefix(dir);
    }
    try {
      PagedIterable<BlobItem> items = recursive ? container.listBlobs(o, null) : container.listBlobsByHierarchy("/", o, null);
      for (PagedResponse<BlobItem> page : items.iterableByPage()) {
        // Prefixes and blobs come in one name range per page; sorting the page keeps the whole listing in order.
        List<ListEntry> entries = new ArrayList<>();
        for (BlobItem item : page.getValue()) {
          if (Boolean.TRUE.equals(item.isPrefix())) {
            entries.add(ListEntry.directory(item.getName()));
          } else if (!isDirectoryBlob(item, dir)) {
            entries.add(new ListEntry(item.getName(), item.getProperties().getContentLength(),
                item.getProperties().getLastModified().toInstant()));
          }
        }
        entries.sort(Comparator.comparing(ListEntry::key));
        for (ListEntry e : entries) {
          if (!visitor.visit(e)) {
            return;
          }
        }
      }
    } catch (RuntimeException e) {
      throw translate("list", dir, e);
    }
  }

  /**
   * Directory markers: a blob named like the folder with a trailing '/', or, on accounts with a hierarchical
   * namespace (Data Lake Gen2), the folder's own blob with metadata {@code hdi_isfolder=true}.
   */
  private static boolean isDirectoryBlob(BlobItem item, String dir) {
    if (item.getName().equals(dir) || item.getName().endsWith("/")) {
      return true;
    }
    return item.getMetadata() != null && "true".equalsIgnoreCase(item.getMetadata().get("hdi_isfolder"));
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
    BlobRange range = length > 0 ? new BlobRange(offset, length) : new BlobRange(offset);
    BlobInputStreamOptions o = new BlobInputStreamOptions().setRange(range).setBlockSize(readBlockSize);
    try {
      return new ErrorTranslatingInputStream(blob(key).openInputStream(o), e -> readError(key, e));
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 416) {
        attributes(key);
        return InputStream.nullInputStream(); // offset at or past the end: nothing there, as for a file
      }
      throw translate("get", key, e);
    } catch (RuntimeException e) {
      throw translate("get", key, e);
    }
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    try {
      BlobProperties p = blob(key).getProperties();
      return new ObjectAttributes(p.getBlobSize(), p.getLastModified().toInstant());
    } catch (RuntimeException e) {
      throw translate("head", key, e);
    }
  }

  /** Turns the SDK's errors inside a read into ours, so that a replaced blob is not resumed. */
  private IOException readError(String key, Exception e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof BlobStorageException b) {
        if (b.getStatusCode() == 412) {
          return new BucketException("azure read of " + key + " in " + where
              + " failed: the blob was replaced while it was read", false, e);
        }
        return translate("read", key, b);
      }
    }
    return e instanceof IOException io ? io : translate("read", key, (RuntimeException) e);
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    Keys.check(key);
    upload(key, new UploadParts(key, in, length, blockSize));
  }

  /** Stages each block from the file as it goes: no block is held on the heap. */
  @Override
  public void upload(String key, Path file) throws IOException {
    Keys.check(key);
    upload(key, UploadParts.ofFile(key, file, blockSize));
  }

  /** Stages each block as soon as the writer has got past it; commits the list once the file is whole. */
  @Override
  public void uploadWhileWritten(String key, GrowingFile file) throws IOException {
    Keys.check(key);
    upload(key, UploadParts.ofGrowingFile(key, file, blockSize));
  }

  @Override
  public boolean uploadsWhileWritten() {
    return true;
  }

  private void upload(String key, UploadParts parts) throws IOException {
    BlockBlobClient bb = blob(key).getBlockBlobClient();
    UploadParts.Part first = parts.nextPart();
    if (parts.isWhole(first)) {
      putBlob(bb, key, first);
      return;
    }
    stageAndCommit(bb, key, parts, first);
  }

  /**
   * A part as the SDK's body, which it may read more than once (its retries): the bytes, the file range, or a
   * growing file's range mapped (its file is renamed once whole, so it is not read by name).
   */
  private static BinaryData body(UploadParts.Part part) throws IOException {
    if (part instanceof UploadParts.FileRange f) {
      return BinaryData.fromFile(f.file(), f.offset(), f.length());
    }
    if (part instanceof UploadParts.GrowingRange g) {
      return BinaryData.fromByteBuffer(g.file().map(g.offset(), g.length()));
    }
    return BinaryData.fromBytes(((UploadParts.Bytes) part).data());
  }

  private void putBlob(BlockBlobClient bb, String key, UploadParts.Part data) throws IOException {
    byte[] md5 = data.md5();
    try {
      bb.uploadWithResponse(new BlockBlobSimpleUploadOptions(body(data)).setContentMd5(md5), null, Context.NONE);
    } catch (RuntimeException e) {
      throw translate("put", key, e);
    }
  }

  private void stageAndCommit(BlockBlobClient bb, String key, UploadParts parts, UploadParts.Part first)
      throws IOException {
    // Block ids must all have one length within a blob; a fresh id prefix per upload keeps two uploads of the
    // same key from committing each other's blocks.
    String uploadId = UUID.randomUUID().toString();
    List<String> ids = new ArrayList<>();
    UploadParts.Part block = first;
    while (block.length() > 0) {
      if (ids.size() >= MAX_BLOCKS) {
        throw new BucketException("upload of " + key + " to " + where + " needs more than " + MAX_BLOCKS + " blocks", false);
      }
      String id = Base64.getEncoder().encodeToString(
          String.format("%s-%06d", uploadId, ids.size()).getBytes(StandardCharsets.US_ASCII));
      byte[] md5 = block.md5();
      try {
        bb.stageBlockWithResponse(new BlockBlobStageBlockOptions(id, body(block)).setContentMd5(md5), null,
            Context.NONE);
      } catch (RuntimeException e) {
        throw translate("stage block " + ids.size() + " of", key, e);
      }
      ids.add(id);
      block = parts.nextPart();
    }
    parts.checkComplete();
    try {
      bb.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(ids), null, Context.NONE);
    } catch (RuntimeException e) {
      throw translate("commit block list of", key, e);
    }
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      blob(key).deleteIfExistsWithResponse(DeleteSnapshotsOptionType.INCLUDE, null, null, Context.NONE);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() != 404) {
        throw translate("delete", key, e);
      }
    } catch (RuntimeException e) {
      throw translate("delete", key, e);
    }
  }

  @Override
  public String toString() {
    return "AzureBucket[" + config + "]";
  }
}
