package io.tsdbcompactor.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The GCS suite over HTTP against fake-gcs-server in Docker (Testcontainers), reached the way Go's and our
 * client reach an emulator: {@code STORAGE_EMULATOR_HOST}. Skipped where no Docker engine runs: the container is
 * created in {@link #start()} only.
 */
@Testcontainers(disabledWithoutDocker = true)
class FakeGcsServerBucketTest extends GcsLocalStorageBucketTest {
  static GenericContainer<?> server;
  static String emulatorHost;

  @BeforeAll
  static void start() throws Exception {
    server = new GenericContainer<>("fsouza/fake-gcs-server:1.52.2")
        .withExposedPorts(4443)
        .withCommand("-scheme", "http", "-port", "4443", "-backend", "memory");
    server.start();
    emulatorHost = "http://" + server.getHost() + ":" + server.getMappedPort(4443);
    // Resumable uploads continue at the server's external URL, which must be the mapped address.
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(emulatorHost + "/_internal/config"))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"externalUrl\":\"" + emulatorHost + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IOException("fake-gcs-server config update failed: HTTP " + r.statusCode() + " " + r.body());
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.stop();
    }
  }

  static Storage storage() throws IOException {
    return GcsBucket.storage(config("unused"), Map.of("STORAGE_EMULATOR_HOST", emulatorHost));
  }

  @Override
  protected Bucket newBucket() throws IOException {
    String name = "contract-" + BUCKETS.incrementAndGet();
    Storage storage = storage();
    storage.create(BucketInfo.of(name));
    GcsBucket b = new GcsBucket(config(name), storage);
    b.chunkSize = 256 * 1024;
    return b;
  }

  @Override
  protected boolean noPartialObject(String key, byte[] data) throws IOException {
    return !bucket.exists(key);
  }

  @Override
  protected int smallListPage() {
    return 7;
  }

  @Test
  void objstoreYamlOpensTheSameBucketThroughTheEmulatorVariable() throws Exception {
    bucket.upload("y/meta.json", new byte[] {42});
    GcsConfig c = ObjstoreConfig.parse("type: GCS\nconfig:\n  bucket: " + bucket.name() + "\n").gcs;
    try (Bucket b = new GcsBucket(c, GcsBucket.storage(c, Map.of("STORAGE_EMULATOR_HOST", emulatorHost)))) {
      assertArrayEquals(new byte[] {42}, b.getBytes("y/meta.json"));
    }
  }
}
