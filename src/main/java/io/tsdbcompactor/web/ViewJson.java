package io.tsdbcompactor.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.compact.Grouper;
import io.tsdbcompactor.sync.Marker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the viewer serves. {@link #blocks} is Thanos's {@code GET /api/v1/blocks} body
 * (<a href="https://github.com/thanos-io/thanos/blob/main/pkg/api/blocks/v1.go">pkg/api/blocks</a>):
 * {@code {"status":"success","data":{"label","blocks":[meta.json...],"refreshedAt","err"}}} with each block its
 * meta.json exactly as in the bucket. {@link #view} adds what the page draws: marks, lanes (groups) with their
 * totals, the next run's plan and retention's cut per resolution.
 */
final class ViewJson {
  private static final JsonFactory JSON = new JsonFactory();

  private ViewJson() {}

  static byte[] blocks(BlockViewer.Snapshot s, String label) {
    return write(g -> {
      g.writeStartObject();
      g.writeStringField("status", "success");
      g.writeObjectFieldStart("data");
      writeBlocksInfo(g, s, label);
      g.writeEndObject();
      g.writeEndObject();
    });
  }

  private static void writeBlocksInfo(JsonGenerator g, BlockViewer.Snapshot s, String label) throws IOException {
    g.writeStringField("label", label);
    g.writeArrayFieldStart("blocks");
    for (BlockMeta m : s.blocks()) {
      g.writeRawValue(new String(m.toJsonBytes(), StandardCharsets.UTF_8));
    }
    g.writeEndArray();
    g.writeStringField("refreshedAt", goTime(s.refreshedAt()));
    if (s.err() == null) {
      g.writeNullField("err");
    } else {
      g.writeStringField("err", s.err());
    }
  }

  /** The page's data: Thanos's BlocksInfo plus marks, lanes, plan and retention cuts. */
  static byte[] view(BlockViewer.Snapshot s, BlockViewer.Settings settings, boolean readOnly) {
    return write(g -> {
      g.writeStartObject();
      g.writeStringField("status", "success");
      g.writeObjectFieldStart("data");
      writeView(g, s, settings, readOnly);
      g.writeEndObject();
      g.writeEndObject();
    });
  }

  /** Just the data object of {@link #view}, for embedding in an exported page. */
  static byte[] viewData(BlockViewer.Snapshot s, BlockViewer.Settings settings, boolean readOnly) {
    return write(g -> {
      g.writeStartObject();
      writeView(g, s, settings, readOnly);
      g.writeEndObject();
    });
  }

  private static void writeView(JsonGenerator g, BlockViewer.Snapshot s, BlockViewer.Settings settings,
      boolean readOnly) throws IOException {
    writeBlocksInfo(g, s, settings.label());
    g.writeNumberField("now", s.nowMillis());
    g.writeBooleanField("adminDisabled", settings.adminDisabled() || readOnly);
    g.writeBooleanField("readOnly", readOnly);

    g.writeObjectFieldStart("marks");
    for (Map.Entry<String, Map<String, Marker>> e : s.marks().entrySet()) {
      g.writeObjectFieldStart(e.getKey());
      for (Map.Entry<String, Marker> m : e.getValue().entrySet()) {
        g.writeFieldName(m.getKey());
        g.writeRawValue(new String(m.getValue().toJsonBytes(), StandardCharsets.UTF_8));
      }
      g.writeEndObject();
    }
    g.writeEndObject();

    Map<String, Integer> pending = new HashMap<>();
    for (ViewPlan.Compaction c : s.plan().compactions()) {
      pending.merge(c.groupKey(), 1, Integer::sum);
    }
    g.writeArrayFieldStart("groups");
    for (Group group : new Grouper(settings.replicaLabels()).group(s.blocks())) {
      g.writeStartObject();
      g.writeStringField("key", group.key());
      String byLabel = settings.label().isEmpty() ? null : group.labels().get(settings.label());
      g.writeStringField("title", byLabel != null ? byLabel : group.labels().toString());
      g.writeObjectFieldStart("labels");
      for (Map.Entry<String, String> l : group.labels().toMap().entrySet()) {
        g.writeStringField(l.getKey(), l.getValue());
      }
      g.writeEndObject();
      g.writeNumberField("resolution", group.resolution());
      long bytes = 0;
      long samples = 0;
      g.writeArrayFieldStart("blocks");
      for (BlockMeta m : group.metas()) {
        g.writeString(m.ulid);
        bytes += sizeBytes(m);
        samples += m.stats.numSamples;
      }
      g.writeEndArray();
      g.writeNumberField("bytes", bytes);
      g.writeNumberField("samples", samples);
      g.writeNumberField("pendingCompactions", pending.getOrDefault(group.key(), 0));
      g.writeEndObject();
    }
    g.writeEndArray();

    ViewPlan p = s.plan();
    g.writeObjectFieldStart("plan");
    g.writeArrayFieldStart("compactions");
    for (ViewPlan.Compaction c : p.compactions()) {
      g.writeStartObject();
      g.writeStringField("group", c.groupKey());
      g.writeNumberField("resolution", c.resolution());
      g.writeNumberField("minTime", c.minTime());
      g.writeNumberField("maxTime", c.maxTime());
      g.writeNumberField("level", c.level());
      writeStrings(g, "inputs", c.inputs());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("downsamplings");
    for (ViewPlan.Downsampling d : p.downsamplings()) {
      g.writeStartObject();
      g.writeStringField("ulid", d.ulid());
      g.writeNumberField("targetResolution", d.targetResolution());
      g.writeBooleanField("forRetention", d.forRetention());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("deletions");
    for (ViewPlan.Deletion d : p.deletions()) {
      g.writeStartObject();
      g.writeStringField("ulid", d.ulid());
      g.writeStringField("details", d.details());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();

    g.writeObjectFieldStart("retentionCuts");
    for (Map.Entry<Long, Long> c : p.retentionCuts().entrySet()) {
      g.writeNumberField(Long.toString(c.getKey()), c.getValue());
    }
    g.writeEndObject();
  }

  /** A block's size as its meta.json lists it (0 when it lists no files). */
  static long sizeBytes(BlockMeta m) {
    long s = 0;
    if (m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        s += f.sizeBytes;
      }
    }
    return s;
  }

  private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
    g.writeArrayFieldStart(field);
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  /** Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC. */
  static String goTime(Instant t) {
    String s = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.nnnnnnnnn").withZone(ZoneOffset.UTC).format(t);
    s = s.replaceAll("0+$", "");
    if (s.endsWith(".")) {
      s = s.substring(0, s.length() - 1);
    }
    return s + "Z";
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
