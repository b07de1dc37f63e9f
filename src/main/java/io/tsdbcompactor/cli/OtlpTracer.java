package io.tsdbcompactor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.tsdbcompactor.bucket.ConfigException;
import io.tsdbcompactor.model.PromDuration;
import io.tsdbcompactor.store.ErrorText;
import io.tsdbcompactor.tracing.Span;
import io.tsdbcompactor.tracing.Tracer;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --tracing.config}: Thanos's tracing YAML with {@code type: OTLP}, exported through the OpenTelemetry
 * Java SDK over OTLP/HTTP or OTLP/gRPC ({@code client_type}). Spans are batched and sent in the background; a
 * collector that is down costs a warning, never the run. Other tracer types of Thanos (JAEGER, ZIPKIN, ...) are a
 * configuration error naming OTLP, since an OTLP collector receives from both Thanos and us.
 *
 * <pre>
 * type: OTLP
 * config:
 *   client_type: http          # or grpc
 *   endpoint: otel-collector:4318
 *   insecure: true             # plain HTTP; otherwise TLS
 *   url_path: /v1/traces       # http only
 *   headers: {x-tenant: a}
 *   timeout: 10s
 *   compression: gzip
 *   service_name: thanos-compact
 *   sampler_type: traceidratiobased   # alwayssample (default), neversample, parentbased...
 *   sampler_param: 0.1
 * </pre>
 */
final class OtlpTracer implements Tracer {
  private static final Logger LOG = LoggerFactory.getLogger(OtlpTracer.class);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP_KEYS = Set.of("type", "config");
  private static final Set<String> KEYS = Set.of("client_type", "endpoint", "insecure", "url_path", "headers",
      "timeout", "compression", "service_name", "sampler_type", "sampler_param", "reconnection_period",
      "retry_config", "tls_config");
  /** Keys Thanos accepts that change nothing here (the SDK picks its own values). */
  private static final Set<String> IGNORED_KEYS = Set.of("reconnection_period", "retry_config", "tls_config");
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final SdkTracerProvider provider;
  private final io.opentelemetry.api.trace.Tracer tracer;
  private final String endpoint;

  private OtlpTracer(SdkTracerProvider provider, String endpoint) {
    this.provider = provider;
    this.tracer = provider.get("io.tsdbcompactor");
    this.endpoint = endpoint;
  }

  /** Parses the YAML and starts exporting; {@link ConfigException} for anything we cannot honour. */
  static OtlpTracer fromYaml(String yamlText) {
    JsonNode root;
    try {
      root = YAML.readTree(yamlText);
    } catch (IOException e) {
      throw new ConfigException("tracing config is not valid YAML");
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException("tracing config must be a YAML mapping with type: OTLP and config:");
    }
    requireOnly(root, TOP_KEYS, "tracing config");
    String type = root.path("type").asText("").toUpperCase(Locale.ROOT);
    if (!type.equals("OTLP")) {
      throw new ConfigException("tracing type " + (type.isEmpty() ? "(none)" : type) + " is not supported: use "
          + "type: OTLP (client_type http or grpc); an OpenTelemetry collector can forward to Jaeger, Zipkin and others");
    }
    JsonNode c = root.path("config");
    if (!c.isObject()) {
      throw new ConfigException("tracing config: type OTLP needs a config: mapping (client_type, endpoint, ...)");
    }
    requireOnly(c, KEYS, "tracing config");
    for (String k : IGNORED_KEYS) {
      if (c.has(k)) {
        LOG.warn("tracing config: {} is accepted and has no effect (the OpenTelemetry SDK's defaults apply)", k);
      }
    }
    String client = c.path("client_type").asText("");
    boolean insecure = c.path("insecure").asBoolean(false);
    Duration timeout = c.has("timeout") ? duration(c.path("timeout").asText(), "timeout") : Duration.ofSeconds(10);
    Map<String, String> headers = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = c.path("headers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      headers.put(e.getKey(), e.getValue().asText());
    }
    String compression = c.path("compression").asText("");
    if (!compression.isEmpty() && !compression.equals("gzip") && !compression.equals("none")) {
      throw new ConfigException("tracing config: compression must be gzip or empty, got " + compression);
    }
    SpanExporter exporter;
    String url;
    switch (client) {
      case "http" -> {
        String path = c.path("url_path").asText("/v1/traces");
        url = url(c.path("endpoint").asText("localhost:4318"), insecure) + (path.startsWith("/") ? path : "/" + path);
        OtlpHttpSpanExporterBuilder b = OtlpHttpSpanExporter.builder().setEndpoint(url).setTimeout(timeout)
            .setRetryPolicy(null);
        headers.forEach(b::addHeader);
        if (compression.equals("gzip")) {
          b.setCompression("gzip");
        }
        exporter = b.build();
      }
      case "grpc" -> {
        url = url(c.path("endpoint").asText("localhost:4317"), insecure);
        OtlpGrpcSpanExporterBuilder b = OtlpGrpcSpanExporter.builder().setEndpoint(url).setTimeout(timeout)
            .setRetryPolicy(null);
        headers.forEach(b::addHeader);
        if (compression.equals("gzip")) {
          b.setCompression("gzip");
        }
        exporter = b.build();
      }
      default -> throw new ConfigException("tracing config: client_type must be http or grpc, got \"" + client + "\"");
    }
    Sampler sampler = sampler(c.path("sampler_type").asText(""), c.path("sampler_param").asDouble(1.0));
    routeSdkLogs();
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), c.path("service_name").asText("tsdb-compactor"))));
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(resource)
        .setSampler(sampler)
        .addSpanProcessor(BatchSpanProcessor.builder(exporter).setExporterTimeout(timeout).build())
        .build();
    LOG.atInfo().addKeyValue("endpoint", url).addKeyValue("client_type", client).log("tracing to OTLP");
    return new OtlpTracer(provider, url);
  }

  private static String url(String endpoint, boolean insecure) {
    if (endpoint.startsWith("http://") || endpoint.startsWith("https://")) {
      return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    }
    return (insecure ? "http://" : "https://") + endpoint;
  }

  private static Duration duration(String text, String key) {
    try {
      return PromDuration.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("tracing config: " + key + ": " + e.getMessage());
    }
  }

  private static Sampler sampler(String type, double param) {
    return switch (type.toLowerCase(Locale.ROOT)) {
      case "", "alwayssample" -> Sampler.alwaysOn();
      case "neversample" -> Sampler.alwaysOff();
      case "traceidratiobased" -> Sampler.traceIdRatioBased(param);
      case "parentbasedalwayssample" -> Sampler.parentBased(Sampler.alwaysOn());
      case "parentbasedneversample" -> Sampler.parentBased(Sampler.alwaysOff());
      case "parentbasedtraceidratiobased" -> Sampler.parentBased(Sampler.traceIdRatioBased(param));
      default -> throw new ConfigException("tracing config: unknown sampler_type " + type);
    };
  }

  private static void requireOnly(JsonNode node, Set<String> allowed, String what) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new ConfigException(what + ": unknown key " + k);
      }
    }
  }

  /**
   * The SDK reports failed exports through java.util.logging, which would print plain-text lines on stderr;
   * they go to our logger instead, as one warning each, so JSON logs stay JSON.
   */
  private static void routeSdkLogs() {
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.opentelemetry");
    jul.setUseParentHandlers(false);
    for (Handler h : jul.getHandlers()) {
      jul.removeHandler(h);
    }
    jul.addHandler(new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          String msg = r.getMessage() + (r.getThrown() == null ? "" : ": " + ErrorText.withCauses(r.getThrown()));
          LOG.atWarn().addKeyValue("component", "tracing").log(msg);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
  }

  @Override
  public Span start(String name) {
    io.opentelemetry.api.trace.Span span = tracer.spanBuilder(name).startSpan();
    Scope scope = span.makeCurrent();
    return new Span() {
      @Override
      public Span attribute(String key, String value) {
        span.setAttribute(key, value);
        return this;
      }

      @Override
      public Span attribute(String key, long value) {
        span.setAttribute(key, value);
        return this;
      }

      @Override
      public void error(Throwable t) {
        span.recordException(t);
        span.setStatus(StatusCode.ERROR, String.valueOf(t.getMessage()));
      }

      @Override
      public void close() {
        scope.close();
        span.end();
      }
    };
  }

  @Override
  public Runnable wrap(Runnable task) {
    return Context.current().wrap(task);
  }

  /** Sends what is left, waiting a few seconds at most; an unreachable collector is a warning. */
  @Override
  public void shutdown() {
    var result = provider.shutdown().join(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (!result.isSuccess()) {
      LOG.atWarn().addKeyValue("endpoint", endpoint).log("tracing: spans could not all be exported");
    }
  }
}
