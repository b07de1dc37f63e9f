package io.tsdbcompactor.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes JSON trees byte-for-byte as Go's encoding/json does, because Thanos and Prometheus compare and
 * re-read the files we write: keys in the order given (the tree's insertion order), HTML characters and
 * U+2028/U+2029 escaped, control characters as backslash escapes (n, r, t, b, f) or
 * a six-character unicode escape. Indented output uses one TAB per level and {@code ": "} after keys, like
 * {@code json.MarshalIndent(v, "", "\t")}; compact output is {@code json.Marshal}.
 */
public final class GoJson {
  /** Parses JSON keeping number text exact (big integers and decimals), so unknown fields round-trip. */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
      .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private GoJson() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** json.MarshalIndent(v, "", "\t"), without a trailing newline. */
  public static String indent(JsonNode node) {
    StringBuilder sb = new StringBuilder(1024);
    write(sb, node, 0, true);
    return sb.toString();
  }

  /** json.Marshal(v). */
  public static String compact(JsonNode node) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, node, 0, false);
    return sb.toString();
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Go's time.Time RFC3339Nano in UTC: fractional seconds without trailing zeros, none at all when zero. */
  public static String rfc3339Nano(Instant t) {
    StringBuilder sb = new StringBuilder(SECONDS.format(t));
    int nanos = t.getNano();
    if (nanos != 0) {
      String frac = String.format("%09d", nanos);
      int end = frac.length();
      while (frac.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(frac, 0, end);
    }
    return sb.append('Z').toString();
  }

  private static void write(StringBuilder sb, JsonNode node, int depth, boolean pretty) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      sb.append("null");
    } else if (node.isObject()) {
      if (node.size() == 0) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      boolean first = true;
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!first) {
          sb.append(',');
        }
        first = false;
        newline(sb, depth + 1, pretty);
        string(sb, e.getKey());
        sb.append(pretty ? ": " : ":");
        write(sb, e.getValue(), depth + 1, pretty);
      }
      newline(sb, depth, pretty);
      sb.append('}');
    } else if (node.isArray()) {
      if (node.size() == 0) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        newline(sb, depth + 1, pretty);
        write(sb, node.get(i), depth + 1, pretty);
      }
      newline(sb, depth, pretty);
      sb.append(']');
    } else if (node.isTextual()) {
      string(sb, node.textValue());
    } else if (node.isBigDecimal()) {
      sb.append(node.decimalValue().toString());
    } else if (node.isNumber() || node.isBoolean()) {
      sb.append(node.asText());
    } else {
      string(sb, node.asText());
    }
  }

  private static void newline(StringBuilder sb, int depth, boolean pretty) {
    if (pretty) {
      sb.append('\n');
      for (int i = 0; i < depth; i++) {
        sb.append('\t');
      }
    }
  }

  static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        case '\b': sb.append("\\b"); break;
        case '\f': sb.append("\\f"); break;
        case '<': case '>': case '&': case '\u2028': case '\u2029':
          unicodeEscape(sb, c);
          break;
        default:
          if (c < 0x20) {
            unicodeEscape(sb, c);
          } else if (Character.isHighSurrogate(c) && (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1)))) {
            sb.append('\ufffd'); // Go replaces invalid UTF-8 (a lone surrogate has no UTF-8 form)
          } else if (Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
            sb.append('\ufffd');
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }

  private static void unicodeEscape(StringBuilder sb, char c) {
    sb.append("\\u").append(HEX[(c >> 12) & 15]).append(HEX[(c >> 8) & 15]).append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
  }
}
