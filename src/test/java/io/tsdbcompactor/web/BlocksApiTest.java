package io.tsdbcompactor.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Thanos's blocks API and the viewer's routes, through HTTP, on a bucket the subclass provides. */
abstract class BlocksApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  Bucket bucket;
  ViewerBucket known;
  WebServer server;
  BlockViewer viewer;

  /** A fresh, empty bucket. */
  abstract Bucket newBucket() throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    bucket = newBucket();
    known = ViewerBucket.write(bucket);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
    if (viewer != null) {
      viewer.close();
    }
    bucket.close();
  }

  String serve(boolean adminDisabled, BlocksApi.Options options) throws Exception {
    viewer = new BlockViewer(bucket, new BlockViewer.Settings("cluster", List.of(), Duration.ZERO, Duration.ZERO, 8,
        null, adminDisabled), ViewPlan.Source.NONE, ViewerBucket.CLOCK);
    assertNull(viewer.refresh(Duration.ofMinutes(1)).err());
    server = WebServer.start("127.0.0.1:0", WebConfig.NONE);
    BlocksApi.mount(server, viewer, options);
    return "http://127.0.0.1:" + server.port();
  }

  HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String url, String form) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void blocksListingEqualsTheBucketInThanossShape() throws Exception {
    String base = serve(false, BlocksApi.Options.DEFAULTS);
    HttpResponse<String> r = get(base + "/api/v1/blocks");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    JsonNode body = JSON.readTree(r.body());
    assertEquals("success", body.get("status").asText());
    JsonNode data = body.get("data");
    TreeSet<String> fields = new TreeSet<>();
    data.fieldNames().forEachRemaining(fields::add);
    assertEquals(new TreeSet<>(List.of("blocks", "label", "refreshedAt", "err")), fields);
    assertEquals("cluster", data.get("label").asText());
    assertEquals("2026-01-08T00:00:00Z", data.get("refreshedAt").asText());
    assertTrue(data.get("err").isNull());
    Map<String, JsonNode> listed = new TreeMap<>();
    data.get("blocks").forEach(b -> listed.put(b.get("ulid").asText(), b));
    Map<String, JsonNode> inBucket = new TreeMap<>();
    for (BlockMeta m : known.metas) {
      inBucket.put(m.ulid, JSON.readTree(bucket.getBytes(m.ulid + "/meta.json")));
    }
    assertEquals(inBucket, listed); // every block, each exactly its meta.json
    assertEquals("*", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
  }

  @Test
  void viewDataHasMarksLanesAndTotals() throws Exception {
    String base = serve(false, BlocksApi.Options.DEFAULTS);
    JsonNode data = JSON.readTree(get(base + "/api/v1/blocks/view").body()).get("data");
    assertEquals("keeps failing", data.at("/marks/" + known.noCompactMarked + "/no-compact-mark.json/details").asText());
    assertEquals(ViewerBucket.CLOCK.instant().getEpochSecond(),
        data.at("/marks/" + known.deletionMarked + "/deletion-mark.json/deletion_time").asLong());
    assertEquals("manual", data.at("/marks/" + known.noDownsampleMarked + "/no-downsample-mark.json/reason").asText());
    // eu1 raw, 5m, 1h and us1 raw: four lanes titled by --bucket-web-label
    assertEquals(4, data.get("groups").size());
    long blocks = 0;
    for (JsonNode g : data.get("groups")) {
      blocks += g.get("blocks").size();
      assertTrue(List.of("eu1", "us1").contains(g.get("title").asText()), g.toString());
      long bytes = 0;
      for (JsonNode u : g.get("blocks")) {
        BlockMeta m = known.metas.stream().filter(x -> x.ulid.equals(u.asText())).findFirst().orElseThrow();
        bytes += ViewJson.sizeBytes(m);
      }
      assertEquals(bytes, g.get("bytes").asLong());
    }
    assertEquals(known.metas.size(), blocks);
  }

  @Test
  void markWritesThanossMarkerFiles() throws Exception {
    String base = serve(false, BlocksApi.Options.DEFAULTS);
    String id = known.metas.get(0).ulid;
    HttpResponse<String> r = post(base + "/api/v1/blocks/mark", "id=" + id + "&action=NO_COMPACTION&detail=too+big");
    assertEquals(204, r.statusCode(), r.body());
    Marker.NoCompactMark m = Markers.readNoCompactMark(bucket, id).orElseThrow();
    assertEquals("manual", m.reason());
    assertEquals("too big", m.details());
    assertEquals(ViewerBucket.CLOCK.instant().getEpochSecond(), m.noCompactTime());

    String other = known.metas.get(1).ulid;
    assertEquals(204, post(base + "/api/v1/blocks/mark", "id=" + other + "&action=DELETION&detail=").statusCode());
    assertEquals("{\"id\":\"" + other + "\",\"version\":1,\"deletion_time\":" + ViewerBucket.CLOCK.instant().getEpochSecond()
        + "}", new String(bucket.getBytes(other + "/deletion-mark.json")));
    // the page sees the marks at once
    JsonNode marks = JSON.readTree(get(base + "/api/v1/blocks/view").body()).at("/data/marks");
    assertTrue(marks.has(id) && marks.get(id).has("no-compact-mark.json"));
    assertTrue(marks.has(other) && marks.get(other).has("deletion-mark.json"));
  }

  @Test
  void badMarkRequestsAreRefusedWithThanossErrorShape() throws Exception {
    String base = serve(false, BlocksApi.Options.DEFAULTS);
    String id = known.metas.get(0).ulid;
    for (String form : List.of("action=DELETION", "id=" + id, "id=nope&action=DELETION",
        "id=" + id + "&action=NO_DOWNSAMPLE", "id=01ARZ3NDEKTSV4RRFFQ69G5FAV&action=DELETION")) {
      HttpResponse<String> r = post(base + "/api/v1/blocks/mark", form);
      assertEquals(400, r.statusCode(), form);
      JsonNode body = JSON.readTree(r.body());
      assertEquals("error", body.get("status").asText());
      assertEquals("bad_data", body.get("errorType").asText());
    }
    assertFalse(bucket.exists(id + "/deletion-mark.json"));
    assertEquals(405, get(base + "/api/v1/blocks/mark").statusCode());
  }

  @Test
  void adminOperationsAreRefusedWhenDisabledAndNothingIsWritten() throws Exception {
    String base = serve(true, BlocksApi.Options.DEFAULTS);
    String id = known.metas.get(0).ulid;
    HttpResponse<String> r = post(base + "/api/v1/blocks/mark", "id=" + id + "&action=DELETION&detail=x");
    assertEquals(400, r.statusCode());
    assertEquals("Admin operations are disabled", JSON.readTree(r.body()).get("error").asText());
    assertFalse(bucket.exists(id + "/deletion-mark.json"));
    assertEquals("true", JSON.readTree(get(base + "/api/v1/status/flags").body())
        .at("/data/disable-admin-operations").asText());
    assertTrue(JSON.readTree(get(base + "/api/v1/blocks/view").body()).at("/data/adminDisabled").asBoolean());
  }

  @Test
  void routePrefixIsHonoured() throws Exception {
    String base = serve(false, new BlocksApi.Options("/thanos/", "", "", true));
    assertEquals(200, get(base + "/thanos/api/v1/blocks").statusCode());
    assertEquals(404, get(base + "/api/v1/blocks").statusCode());
    assertEquals(404, get(base + "/blocks").statusCode());
    HttpResponse<String> root = get(base + "/");
    assertEquals(302, root.statusCode());
    assertEquals("/thanos/blocks", root.headers().firstValue("Location").orElse(""));
    HttpResponse<String> page = get(base + "/thanos/blocks");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("prefix: \"/thanos\""), "the page calls the API under the prefix");
    assertFalse(get(base + "/thanos/api/v1/blocks").headers().firstValue("Access-Control-Allow-Origin").isPresent(),
        "--web.disable-cors");
    String id = known.metas.get(0).ulid;
    assertEquals(204, post(base + "/thanos/api/v1/blocks/mark", "id=" + id + "&action=DELETION").statusCode());
    assertTrue(bucket.exists(id + "/deletion-mark.json"));
  }

  @Test
  void externalPrefixAndPrefixHeaderShapeLinks() throws Exception {
    String base = serve(false, new BlocksApi.Options("", "", "X-Forwarded-Prefix", false));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/")).header("X-Forwarded-Prefix",
        "/proxy/compactor").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals("/proxy/compactor/blocks", r.headers().firstValue("Location").orElse(""));
    server.close();
    viewer.close();
    base = serve(false, new BlocksApi.Options("", "https://example.org/obs/compactor", "", false));
    // The route prefix defaults to the external prefix's path, as in Thanos.
    assertEquals(200, get(base + "/obs/compactor/api/v1/blocks").statusCode());
    assertTrue(get(base + "/obs/compactor/blocks").body().contains("prefix: \"/obs/compactor\""));
  }
}
