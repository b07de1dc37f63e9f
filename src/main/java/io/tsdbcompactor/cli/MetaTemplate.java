package io.tsdbcompactor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.GoJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of Go's text/template that {@code thanos tools bucket ls -o '<template>'} is used with: text, and field
 * paths of Thanos's {@code metadata.Meta} such as {@code {{.ULID}}}, {@code {{.MinTime}}},
 * {@code {{.Stats.NumSamples}}}, {@code {{.Compaction.Level}}}, {@code {{.Thanos.Labels}}},
 * {@code {{.Thanos.Labels.cluster}}}, {@code {{.Thanos.Downsample.Resolution}}}, {@code {{.Thanos.Source}}}. Go
 * field names are matched to meta.json's keys ignoring case and underscores. Values print as Go's fmt prints them
 * ({@code [a b]} for lists, {@code map[k:v]} for maps, {@code <no value>} for a missing map key). Anything else
 * (pipelines, functions, {@code if}, {@code range}) is refused when the template is parsed.
 */
final class MetaTemplate {
  private static final Pattern ACTION = Pattern.compile("\\{\\{-?\\s*(.*?)\\s*-?}}", Pattern.DOTALL);
  private static final Pattern FIELD_PATH = Pattern.compile("(\\.[A-Za-z_][A-Za-z0-9_]*)+");

  private final List<String> text = new ArrayList<>();
  private final List<String[]> fields = new ArrayList<>();

  private MetaTemplate() {}

  /** Parses the template; {@link IllegalArgumentException} naming what is not supported. */
  static MetaTemplate parse(String template) {
    MetaTemplate t = new MetaTemplate();
    Matcher m = ACTION.matcher(template);
    int at = 0;
    while (m.find()) {
      String action = m.group(1);
      if (!FIELD_PATH.matcher(action).matches()) {
        throw new IllegalArgumentException("invalid template: only field paths like {{.ULID}} or "
            + "{{.Thanos.Labels}} are supported, not {{" + action + "}}");
      }
      t.text.add(template.substring(at, m.start()));
      t.fields.add(action.substring(1).split("\\."));
      at = m.end();
    }
    String rest = template.substring(at);
    if (rest.contains("{{")) {
      throw new IllegalArgumentException("invalid template: unclosed action in '" + rest + "'");
    }
    t.text.add(rest);
    return t;
  }

  /** The template applied to one block's meta.json. */
  String apply(BlockMeta meta) throws IOException {
    JsonNode root = GoJson.MAPPER.readTree(meta.toJsonBytes());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < fields.size(); i++) {
      sb.append(text.get(i)).append(value(root, fields.get(i)));
    }
    return sb.append(text.get(fields.size())).toString();
  }

  private static String value(JsonNode root, String[] path) {
    JsonNode node = root;
    boolean inMap = false;
    for (String field : path) {
      JsonNode next = inMap ? node.get(field) : child(node, field);
      if (next == null) {
        if (inMap) {
          return "<no value>";
        }
        throw new IllegalArgumentException("template: meta.json has no field " + String.join(".", path));
      }
      // thanos.labels is a map: what follows is a label name, matched exactly as Go's map index is.
      inMap = field.equalsIgnoreCase("labels");
      node = next;
    }
    return format(node);
  }

  private static JsonNode child(JsonNode node, String field) {
    String want = field.replace("_", "").toLowerCase(java.util.Locale.ROOT);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().replace("_", "").toLowerCase(java.util.Locale.ROOT).equals(want)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String format(JsonNode node) {
    if (node.isNull()) {
      return "<nil>";
    }
    if (node.isArray()) {
      List<String> parts = new ArrayList<>();
      node.forEach(n -> parts.add(format(n)));
      return "[" + String.join(" ", parts) + "]";
    }
    if (node.isObject()) {
      Map<String, String> sorted = new TreeMap<>();
      node.fields().forEachRemaining(e -> sorted.put(e.getKey(), format(e.getValue())));
      List<String> parts = new ArrayList<>();
      sorted.forEach((k, v) -> parts.add(k + ":" + v));
      return "map[" + String.join(" ", parts) + "]";
    }
    return node.asText();
  }
}
