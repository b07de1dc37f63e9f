package io.tsdbcompactor.bucket;

import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.gax.paging.Page;
import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A bucket in Google Cloud Storage, on Google's {@code google-cloud-storage} client (JSON API over HTTP, or gRPC
 * with {@code use_grpc: true}).
 *
 * <ul>
 *   <li>Credentials: {@code service_account} (a key file's JSON, inline), else Application Default Credentials.
 *       With {@code STORAGE_EMULATOR_HOST} set, as Go's client does, requests go to that emulator without
 *       credentials.
 *   <li>Uploads stream: objects up to the chunk size ({@code chunk_size_bytes}, default 16 MiB) are one request;
 *       larger ones are a resumable upload sent a chunk at a time and finalized only when the whole stream has
 *       been read, so a reader never sees a part. A failed upload is abandoned unfinalized. Memory: the client's
 *       one chunk (an upload of unknown length also holds its first chunk while deciding which way it goes).
 *   <li>Reads are ranged and pinned to the object's generation: should it be replaced while being read, the read
 *       fails instead of mixing two versions. {@link RetryingBucket} resumes broken reads.
 *   <li>Retries: the client repeats idempotent requests on 429, 408, 5xx and connection errors with
 *       exponential backoff ({@code max_retries} attempts); uploads are repeated whole by {@link RetryingBucket}.
 * </ul>
 */
public final class GcsBucket implements Bucket {
  static final int DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
  private static final String FULL_CONTROL = "https://www.googleapis.com/auth/devstorage.full_control";

  private final GcsConfig config;
  private final Storage storage;
  private final String bucket;
  /** Objects up to this size are one request; larger ones go up in chunks of this size. Tests make it small. */
  int chunkSize;
  /** What a resumable upload of known length reads from its stream at a time. */
  private static final int PIECE = 1 << 20;
  /** Listing page size; tests make it small to exercise paging. */
  int listPageSize = 1000;

  public GcsBucket(GcsConfig config) throws IOException {
    this(config, storage(config, System.getenv()));
  }

  /** Over a given client: an emulator, Google's in-process test storage, or a client configured by the caller. */
  public GcsBucket(GcsConfig config, Storage storage) {
    config.validate();
    this.config = config;
    this.storage = storage;
    this.bucket = config.bucket;
    this.chunkSize = config.chunkSizeBytes > 0 ? config.chunkSizeBytes : DEFAULT_CHUNK_SIZE;
  }

  static Storage storage(GcsConfig c, Map<String, String> env) throws IOException {
    return options(c, env).build().getService();
  }

  /** The client settings for this configuration; {@code env} supplies {@code STORAGE_EMULATOR_HOST}. */
  static StorageOptions.Builder options(GcsConfig c, Map<String, String> env) throws IOException {
    // gRPC without DirectPath and without exporting client metrics to Cloud Monitoring: the libraries those need
    // are left out of our jar (see pom.xml).
    StorageOptions.Builder b = c.useGrpc
        ? StorageOptions.grpc().setAttemptDirectPath(false).setEnableGrpcClientMetrics(false)
        : StorageOptions.http();
    String emulator = env.getOrDefault("STORAGE_EMULATOR_HOST", "");
    if (!emulator.isEmpty()) {
      b.setHost(emulator.contains("://") ? emulator : "http://" + emulator)
          .setCredentials(NoCredentials.getInstance())
          .setProjectId("emulator");
    } else if (!c.serviceAccount.isEmpty()) {
      b.setCredentials(credentials(c));
    }
    if (c.maxRetries > 0) {
      RetrySettings defaults = StorageOptions.getDefaultRetrySettings();
      b.setRetrySettings(defaults.toBuilder().setMaxAttempts(c.maxRetries).build());
    }
    if (!c.useGrpc) {
      HttpTransportOptions.Builder t = HttpTransportOptions.newBuilder()
          .setConnectTimeout(millis(c.http.tlsHandshakeTimeout))
          .setReadTimeout(millis(c.http.responseHeaderTimeout));
      KeyStore trust = c.http.trustStore();
      if (trust != null) {
        NetHttpTransport transport;
        try {
          transport = new NetHttpTransport.Builder().trustCertificates(trust).build();
        } catch (GeneralSecurityException e) {
          throw new IOException("cannot set up TLS with ca_file " + c.http.caFile + ": " + e.getMessage(), e);
        }
        t.setHttpTransportFactory(() -> transport);
      }
      b.setTransportOptions(t.build());
    }
    return b;
  }

  @SuppressWarnings("deprecation") // fromStream takes every kind of key file, as Go's CredentialsFromJSON does
  private static GoogleCredentials credentials(GcsConfig c) {
    try {
      return GoogleCredentials.fromStream(new ByteArrayInputStream(c.serviceAccount.getBytes(StandardCharsets.UTF_8)))
          .createScoped(FULL_CONTROL);
    } catch (IOException | RuntimeException e) {
      // The parser's message may quote the key; name the problem only.
      throw new ConfigException("service_account for GCS bucket " + c.bucket
          + " is not a valid credentials JSON (a service account key file's content)");
    }
  }

  private static int millis(java.time.Duration d) {
    return d == null || d.isNegative() ? 0 : (int) Math.min(Integer.MAX_VALUE, d.toMillis());
  }

  public GcsConfig config() {
    return config;
  }

  @Override
  public String name() {
    return bucket;
  }

  // ------------------------------------------------------------------ errors

  private IOException translate(String op, String key, RuntimeException e) {
    String what = "gcs " + op + " " + (key == null ? "" : key + " in ") + "bucket " + bucket;
    if (e instanceof StorageException s) {
      int code = s.getCode();
      if (code == 404 && key != null) {
        return new ObjectNotFoundException(bucket, key);
      }
      boolean retryable = s.isRetryable() || code == 429 || code == 408 || code >= 500
          || (code == 0 && BucketException.causedBy(e, IOException.class));
      String reason = s.getReason() == null ? "" : " " + s.getReason();
      String hint = code == 401 || code == 403 ? " (check the credentials: "
          + (config.serviceAccount.isEmpty() ? "application default credentials" : "service_account") + ")" : "";
      return new BucketException(what + " failed: HTTP " + code + reason + ": "
          + BucketException.firstLine(s.getMessage()) + hint,
          retryable, e);
    }
    return new BucketException(what + " failed: " + e, BucketException.causedBy(e, IOException.class), e);
  }



  // ------------------------------------------------------------------ reads

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    String dir = Bucket.dirPrefix(prefix);
    List<Storage.BlobListOption> opts = new ArrayList<>();
    opts.add(Storage.BlobListOption.pageSize(listPageSize));
    if (!dir.isEmpty()) {
      opts.add(Storage.BlobListOption.prefix(dir));
    }
    if (!recursive) {
      opts.add(Storage.BlobListOption.currentDirectory());
    }
    try {
      Page<Blob> page = storage.list(bucket, opts.toArray(new Storage.BlobListOption[0]));
      while (page != null) {
        // Objects and prefixes come in one name range per page; sorting the page keeps the whole listing in order.
        List<ListEntry> entries = new ArrayList<>();
        for (Blob b : page.getValues()) {
          if (b.isDirectory()) {
            if (!recursive) {
              entries.add(ListEntry.directory(b.getName()));
            }
          } else if (!b.getName().equals(dir) && !b.getName().endsWith("/")) { // directory markers some tools create
            entries.add(new ListEntry(b.getName(), b.getSize() == null ? 0 : b.getSize(), updated(b)));
          }
        }
        entries.sort(Comparator.comparing(ListEntry::key));
        for (ListEntry e : entries) {
          if (!visitor.visit(e)) {
            return;
          }
        }
        page = page.hasNextPage() ? page.getNextPage() : null;
      }
    } catch (RuntimeException e) {
      throw translate("list", dir, e);
    }
  }

  private static Instant updated(BlobInfo b) {
    if (b.getUpdateTimeOffsetDateTime() != null) {
      return b.getUpdateTimeOffsetDateTime().toInstant();
    }
    return b.getCreateTimeOffsetDateTime() == null ? Instant.EPOCH : b.getCreateTimeOffsetDateTime().toInstant();
  }

  private Blob metadata(String key) throws IOException {
    Blob b;
    try {
      b = storage.get(BlobId.of(bucket, key));
    } catch (RuntimeException e) {
      throw translate("get metadata of", key, e);
    }
    if (b == null) {
      throw new ObjectNotFoundException(bucket, key);
    }
    return b;
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    Blob b = metadata(key);
    long size = b.getSize() == null ? 0 : b.getSize();
    if (length == 0 || offset >= size) {
      return InputStream.nullInputStream(); // nothing there, as for a file
    }
    long end = length < 0 ? size : Math.min(size, offset + length);
    try {
      ReadChannel ch = storage.reader(BlobId.of(bucket, key, b.getGeneration()));
      ch.seek(offset);
      ch.limit(end);
      return new ErrorTranslatingInputStream(Channels.newInputStream(ch), e -> readError(key, e));
    } catch (RuntimeException e) {
      throw translate("get", key, e);
    }
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    Blob b = metadata(key);
    return new ObjectAttributes(b.getSize() == null ? 0 : b.getSize(), updated(b));
  }

  /** Turns the client's errors inside a read into ours; the generation a read is pinned to vanishing ends it. */
  private IOException readError(String key, Exception e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof StorageException s) {
        if (s.getCode() == 404 || s.getCode() == 412) {
          return new BucketException("gcs read of " + key + " in bucket " + bucket
              + " failed: the object was replaced or deleted while it was read", false, e);
        }
        return translate("read", key, s);
      }
    }
    return e instanceof IOException io ? io : translate("read", key, (RuntimeException) e);
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    Keys.check(key);
    BlobInfo info = BlobInfo.newBuilder(BlobId.of(bucket, key)).build();
    if (length > chunkSize) {
      // Known to take several chunks: the client's channel holds one chunk as it sends it, so the stream is handed
      // to it in small pieces rather than a chunk at a time (which held a second chunk on the heap).
      resumable(info, key, new UploadParts(key, in, length, Math.min(chunkSize, PIECE)), null);
      return;
    }
    UploadParts parts = new UploadParts(key, in, length, chunkSize);
    byte[] first = parts.next();
    if (parts.isWhole(first)) {
      create(info, key, first);
      return;
    }
    resumable(info, key, parts, new UploadParts.Bytes(first));
  }

  /**
   * Hands each chunk of the file to a resumable upload as soon as the writer has got past it, so the client sends
   * it while the rest is written; the object is finalized once the file is whole. A file of at most one chunk goes
   * up in one request once whole, as {@link #upload} sends it. A file thrown away while it goes up stops at its
   * next chunk, and its upload is never finalized: no object appears (the store forgets the session after a week).
   */
  @Override
  public void uploadWhileWritten(String key, GrowingFile file) throws IOException {
    Keys.check(key);
    BlobInfo info = BlobInfo.newBuilder(BlobId.of(bucket, key)).build();
    UploadParts parts = UploadParts.ofGrowingFile(key, file, chunkSize);
    UploadParts.Part first = parts.nextPart();
    if (parts.isWhole(first)) {
      byte[] data;
      try (InputStream in = first.open()) {
        data = in.readAllBytes();
      }
      create(info, key, data);
      return;
    }
    resumable(info, key, parts, first);
  }

  @Override
  public boolean uploadsWhileWritten() {
    return true;
  }

  private void create(BlobInfo info, String key, byte[] data) throws IOException {
    try {
      storage.create(info, data);
    } catch (RuntimeException e) {
      throw translate("put", key, e);
    }
  }

  /**
   * Sends {@code first} (null: nothing cut yet) and the rest of {@code parts}, each copied to the client's channel a
   * piece at a time (the channel holds one chunk as it sends it), then finalizes the object.
   */
  private void resumable(BlobInfo info, String key, UploadParts parts, UploadParts.Part first) throws IOException {
    WriteChannel w;
    try {
      w = storage.writer(info);
      w.setChunkSize(chunkSize);
    } catch (RuntimeException e) {
      throw translate("start resumable upload of", key, e);
    }
    byte[] piece = new byte[Math.min(chunkSize, PIECE)];
    try {
      UploadParts.Part part = first != null ? first : parts.nextPart();
      while (part.length() > 0) {
        try (InputStream in = part.open()) {
          for (int n; (n = in.readNBytes(piece, 0, piece.length)) > 0; ) {
            ByteBuffer buf = ByteBuffer.wrap(piece, 0, n);
            while (buf.hasRemaining()) {
              w.write(buf);
            }
          }
        }
        part = parts.nextPart();
      }
      // A short stream throws here, and not closing the channel leaves the upload unfinalized: no object appears.
      parts.checkComplete();
      w.close(); // finalizes: the object appears whole
    } catch (StorageException e) {
      throw translate("resumable upload of", key, e);
    } catch (IOException e) {
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (c instanceof StorageException s) {
          throw translate("resumable upload of", key, s);
        }
      }
      throw e;
    }
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      storage.delete(BlobId.of(bucket, key));
    } catch (StorageException e) {
      if (e.getCode() != 404) {
        throw translate("delete", key, e);
      }
    } catch (RuntimeException e) {
      throw translate("delete", key, e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      storage.close();
    } catch (Exception e) {
      throw new IOException("closing the GCS client for bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "GcsBucket[" + config + "]";
  }
}
