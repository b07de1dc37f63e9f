package io.tsdbcompactor.bucket;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one YAML mapping strictly, as Go's {@code yaml.UnmarshalStrict} does for Thanos: every key must be
 * known, and each value is read with a message that names the key (path) but never quotes a value, since
 * values may be secrets.
 */
final class YamlTree {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern ENV = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|y|w|d|h|m|s)");

  private final ObjectNode node;
  private final String path;

  private YamlTree(ObjectNode node, String path) {
    this.node = node;
    this.path = path;
  }

  /** Parses a document that must be a mapping (empty documents are empty mappings). */
  static YamlTree parse(String yaml, String what) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      // The parser's own message quotes the offending line, which may hold a secret: give the position only.
      var loc = e.getLocation();
      throw new ConfigException(what + " is not valid YAML" + (loc == null ? ""
          : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"));
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return new YamlTree(YAML.createObjectNode(), "");
    }
    if (!root.isObject()) {
      throw new ConfigException(what + " must be a YAML mapping");
    }
    return new YamlTree((ObjectNode) root, "");
  }

  /** Replaces {@code $(NAME)} with the environment variable's value, as Thanos does for config files. */
  static String substituteEnv(String text, Map<String, String> env) {
    Matcher m = ENV.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String v = env.get(m.group(1));
      if (v == null) {
        throw new ConfigException("objstore config refers to environment variable " + m.group(1) + ", which is not set");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(v));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private String where(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Fails on the first key not in {@code allowed}, as UnmarshalStrict does. */
  void requireOnly(Set<String> allowed) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new ConfigException("unknown key '" + where(k) + "' in objstore config");
      }
    }
  }

  boolean has(String key) {
    JsonNode n = node.get(key);
    return n != null && !n.isNull();
  }

  String string(String key, String dflt) {
    JsonNode n = node.get(key);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isValueNode() || n.isBinary()) {
      throw new ConfigException("'" + where(key) + "' must be a string");
    }
    return n.asText();
  }

  boolean bool(String key, boolean dflt) {
    JsonNode n = node.get(key);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isTextual() && (n.textValue().equals("true") || n.textValue().equals("false"))) {
      return Boolean.parseBoolean(n.textValue());
    }
    throw new ConfigException("'" + where(key) + "' must be true or false");
  }

  long number(String key, long dflt) {
    JsonNode n = node.get(key);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0) {
      return n.longValue();
    }
    if (n.isTextual() && n.textValue().matches("\\d{1,18}")) {
      return Long.parseLong(n.textValue());
    }
    throw new ConfigException("'" + where(key) + "' must be a non-negative integer");
  }

  /** Prometheus duration syntax ("90s", "1m30s", "2h"), as model.Duration in Thanos's http_config. */
  Duration duration(String key, Duration dflt) {
    String s = string(key, null);
    if (s == null) {
      return dflt;
    }
    return parseDuration(s.trim(), where(key));
  }

  static Duration parseDuration(String s, String what) {
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = DURATION_PART.matcher(s);
    long ms = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      long v = Long.parseLong(m.group(1));
      ms += switch (m.group(2)) {
        case "y" -> v * 365L * 24 * 3600_000;
        case "w" -> v * 7L * 24 * 3600_000;
        case "d" -> v * 24L * 3600_000;
        case "h" -> v * 3600_000L;
        case "m" -> v * 60_000L;
        case "s" -> v * 1000L;
        default -> v;
      };
      end = m.end();
    }
    if (end == 0 || end != s.length()) {
      throw new ConfigException("'" + what + "' is not a duration like 90s, 5m or 1h30m");
    }
    return Duration.ofMillis(ms);
  }

  Map<String, String> stringMap(String key) {
    JsonNode n = node.get(key);
    Map<String, String> out = new LinkedHashMap<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isObject()) {
      throw new ConfigException("'" + where(key) + "' must be a mapping of strings");
    }
    n.fields().forEachRemaining(e -> {
      if (!e.getValue().isValueNode()) {
        throw new ConfigException("'" + where(key) + "." + e.getKey() + "' must be a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    });
    return out;
  }

  /** A nested mapping (empty when absent). */
  YamlTree child(String key) {
    JsonNode n = node.get(key);
    if (n == null || n.isNull()) {
      return new YamlTree(YAML.createObjectNode(), where(key));
    }
    if (!n.isObject()) {
      throw new ConfigException("'" + where(key) + "' must be a YAML mapping");
    }
    return new YamlTree((ObjectNode) n, where(key));
  }
}
