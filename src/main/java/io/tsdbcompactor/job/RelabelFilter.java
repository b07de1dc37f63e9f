package io.tsdbcompactor.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdbcompactor.block.BlockMeta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code --selector.relabel-config}: which blocks this compactor owns, decided by Prometheus relabel rules over a
 * block's external labels plus {@code __block_id}. As in Thanos only {@code keep}, {@code drop} and
 * {@code hashmod} are allowed; a block whose rules end in a drop (or an empty label set) is not touched.
 * Regexes are anchored as Prometheus anchors them; {@code hashmod} takes the MD5 of the joined source values and
 * the big-endian uint64 of its last 8 bytes modulo {@code modulus}.
 */
public final class RelabelFilter {
  public static final RelabelFilter KEEP_ALL = new RelabelFilter(List.of());

  private record Rule(String action, List<String> sourceLabels, String separator, Pattern regex, String targetLabel,
      long modulus) {}

  private final List<Rule> rules;

  private RelabelFilter(List<Rule> rules) {
    this.rules = rules;
  }

  /** Parses the rules; null or blank YAML keeps every block. {@link IllegalArgumentException} on bad rules. */
  public static RelabelFilter parse(String yaml) {
    if (yaml == null || yaml.isBlank()) {
      return KEEP_ALL;
    }
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException("--selector.relabel-config is not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return KEEP_ALL;
    }
    if (!root.isArray()) {
      throw new IllegalArgumentException("--selector.relabel-config must be a list of relabel rules");
    }
    List<Rule> rules = new ArrayList<>();
    for (JsonNode r : root) {
      String action = r.path("action").asText("replace").toLowerCase(java.util.Locale.ROOT);
      if (!action.equals("keep") && !action.equals("drop") && !action.equals("hashmod")) {
        throw new IllegalArgumentException("--selector.relabel-config: action " + action
            + " is not supported, only keep, drop and hashmod are");
      }
      List<String> src = new ArrayList<>();
      r.path("source_labels").forEach(n -> src.add(n.asText()));
      String sep = r.has("separator") ? r.get("separator").asText() : ";";
      Pattern regex = Pattern.compile("^(?:" + r.path("regex").asText("(.*)") + ")$", Pattern.DOTALL);
      long modulus = r.path("modulus").asLong(0);
      String target = r.path("target_label").asText("");
      if (action.equals("hashmod") && (modulus <= 0 || target.isEmpty())) {
        throw new IllegalArgumentException("--selector.relabel-config: hashmod needs modulus > 0 and target_label");
      }
      rules.add(new Rule(action, src, sep, regex, target, modulus));
    }
    return new RelabelFilter(rules);
  }

  /** Whether this compactor works on the block. */
  public boolean keep(BlockMeta m) {
    if (rules.isEmpty()) {
      return true;
    }
    Map<String, String> labels = new TreeMap<>(m.externalLabels().toMap());
    labels.put("__block_id", m.ulid);
    for (Rule r : rules) {
      StringBuilder v = new StringBuilder();
      for (int i = 0; i < r.sourceLabels().size(); i++) {
        if (i > 0) {
          v.append(r.separator());
        }
        v.append(labels.getOrDefault(r.sourceLabels().get(i), ""));
      }
      switch (r.action()) {
        case "keep" -> {
          if (!r.regex().matcher(v).matches()) {
            return false;
          }
        }
        case "drop" -> {
          if (r.regex().matcher(v).matches()) {
            return false;
          }
        }
        default -> labels.put(r.targetLabel(), Long.toUnsignedString(Long.remainderUnsigned(md5Tail(v.toString()), r.modulus())));
      }
    }
    return !labels.isEmpty();
  }

  private static long md5Tail(String s) {
    try {
      byte[] sum = MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(sum, 8, 8).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
