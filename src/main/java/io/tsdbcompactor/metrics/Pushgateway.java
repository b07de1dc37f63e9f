package io.tsdbcompactor.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Pushes the text format to a Prometheus Pushgateway at the end of a CronJob run, whose pod is gone before any
 * scrape: {@code PUT <url>/metrics/job/<job>[/<label>/<value>...]}, which replaces every metric previously
 * pushed under that grouping key (so a shard's metrics replace only that shard's).
 */
public final class Pushgateway {
  private final URI base;
  private final HttpClient client;

  public Pushgateway(String url) {
    String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.base = URI.create(u);
    if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
      throw new IllegalArgumentException("--metrics.pushgateway-url must be an http(s) URL, got \"" + url + "\"");
    }
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** The URI the metrics of this grouping key go to. */
  public URI target(String job, Map<String, String> groupingLabels) {
    StringBuilder path = new StringBuilder(base.toString()).append("/metrics/job/").append(encode(job));
    groupingLabels.forEach((k, v) -> path.append('/').append(encode(k)).append('/').append(encode(v)));
    return URI.create(path.toString());
  }

  /** PUTs {@code text} (Prometheus text format 0.0.4); an {@link IOException} names the URL and status. */
  public void push(String job, Map<String, String> groupingLabels, String text) throws IOException {
    URI target = target(job, groupingLabels);
    HttpRequest req = HttpRequest.newBuilder(target)
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", MetricsServer.TEXT_FORMAT)
        .PUT(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8))
        .build();
    HttpResponse<String> resp;
    try {
      resp = client.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("push to " + target + " interrupted", e);
    }
    if (resp.statusCode() / 100 != 2) {
      throw new IOException("push to " + target + " failed: HTTP " + resp.statusCode() + " " + resp.body().strip());
    }
  }

  private static String encode(String s) {
    // Path segments: URLEncoder encodes for forms, where a space is '+'; the Pushgateway wants %20.
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
