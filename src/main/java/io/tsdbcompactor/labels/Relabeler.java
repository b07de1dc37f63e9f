package io.tsdbcompactor.labels;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Prometheus relabelling ({@code relabel_config}, Prometheus 2.42's model/relabel/relabel.go): a list of rules applied
 * in order to a label set, each of which may change it or drop it. The one implementation behind
 * {@code --rewrite.to-relabel-config} (over series labels) and {@code --selector.relabel-config} (over a block's
 * external labels, restricted to keep, drop and hashmod as Thanos restricts it).
 *
 * <p>Rules and their defaults, as Prometheus reads them: {@code action} (replace; case-insensitive), {@code
 * source_labels} (their values joined by {@code separator}, default ";"; an absent label is ""), {@code regex}
 * (default {@code (.*)}, a Go regexp anchored at both ends, see {@link GoRegexp}), {@code replacement} (default
 * {@code $1}), {@code target_label}, {@code modulus}. A label set to "" is removed. The rules are checked as
 * Prometheus's {@code Config.Validate} checks them, with label names in the classic (pre-UTF-8) form 2.42 accepts.
 * Unknown keys are refused (Prometheus ignores them silently; here a typo would rewrite data unnoticed).
 */
public final class Relabeler {
  /** Every relabel action, by its configuration name. */
  public enum Action {
    REPLACE, KEEP, DROP, HASHMOD, LABELMAP, LABELDROP, LABELKEEP, LOWERCASE, UPPERCASE, KEEPEQUAL, DROPEQUAL;

    /** The name the configuration uses. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One rule, with Prometheus's defaults filled in. */
  public record Rule(Action action, List<String> sourceLabels, String separator, String regex, long modulus,
      String targetLabel, String replacement) {}

  /** No rules: every label set unchanged. */
  public static final Relabeler NONE = new Relabeler(List.of(), List.of());

  static final String DEFAULT_REGEX = "(.*)";
  static final String DEFAULT_SEPARATOR = ";";
  static final String DEFAULT_REPLACEMENT = "$1";
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  /** Prometheus's {@code relabelTarget}: a label name that may hold {@code $1}/{@code ${name}} references. */
  private static final Pattern TEMPLATED_LABEL_NAME = Pattern.compile("(?:(?:[a-zA-Z_]|\\$(?:\\{\\w+\\}|\\w+))+\\w*)+");
  private static final Set<String> KEYS = Set.of("source_labels", "separator", "regex", "modulus", "target_label",
      "replacement", "action");

  private final List<Rule> rules;
  private final List<GoRegexp> regexes;

  private Relabeler(List<Rule> rules, List<GoRegexp> regexes) {
    this.rules = List.copyOf(rules);
    this.regexes = List.copyOf(regexes);
  }

  /**
   * Reads a list of relabel rules (a parsed YAML or JSON tree; null or empty: no rules). {@code what} names the
   * configuration in errors. {@link IllegalArgumentException} naming the rule (1-based) and what is wrong with it.
   */
  public static Relabeler parse(JsonNode root, String what) {
    if (root == null || root.isNull() || root.isMissingNode()) {
      return NONE;
    }
    if (!root.isArray()) {
      throw new IllegalArgumentException(what + " must be a list of relabel rules");
    }
    List<Rule> rules = new ArrayList<>();
    List<GoRegexp> regexes = new ArrayList<>();
    int n = 0;
    for (JsonNode r : root) {
      n++;
      String where = what + ", rule " + n + ": ";
      if (!r.isObject()) {
        throw new IllegalArgumentException(where + "must be a mapping of source_labels, regex, action, ...");
      }
      for (Iterator<String> keys = r.fieldNames(); keys.hasNext(); ) {
        String k = keys.next();
        if (!KEYS.contains(k)) {
          throw new IllegalArgumentException(where + "unknown key '" + k + "' (known: " + String.join(", ",
              KEYS.stream().sorted().toList()) + ")");
        }
      }
      Rule rule = new Rule(action(r, where), sourceLabels(r, where), text(r, "separator", DEFAULT_SEPARATOR, where),
          r.has("regex") && r.get("regex").isNull() ? "" : text(r, "regex", DEFAULT_REGEX, where), modulus(r, where),
          text(r, "target_label", "", where), text(r, "replacement", DEFAULT_REPLACEMENT, where));
      GoRegexp regex;
      try {
        regex = GoRegexp.compile(rule.regex());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + e.getMessage(), e);
      }
      validate(rule, r.hasNonNull("source_labels"), where);
      rules.add(rule);
      regexes.add(regex);
    }
    return new Relabeler(rules, regexes);
  }

  /** This relabeler if all its rules use {@code allowed} actions; else {@link IllegalArgumentException}. */
  public Relabeler requireActions(Set<Action> allowed, String what) {
    for (int i = 0; i < rules.size(); i++) {
      if (!allowed.contains(rules.get(i).action())) {
        throw new IllegalArgumentException(what + ", rule " + (i + 1) + ": action " + rules.get(i).action().configName()
            + " is not supported here, only " + inWords(allowed));
      }
    }
    return this;
  }

  /** "keep, drop and hashmod". */
  private static String inWords(Set<Action> actions) {
    List<String> names = actions.stream().sorted().map(Action::configName).toList();
    return names.size() == 1 ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
  }

  /** The rules, in order. */
  public List<Rule> rules() {
    return rules;
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** {@code in} relabelled; null when a rule drops it or no label is left. */
  public Labels apply(Labels in) {
    if (rules.isEmpty()) {
      return in.size() == 0 ? null : in;
    }
    TreeMap<String, String> lb = new TreeMap<>(Labels::compareStrings);
    for (int i = 0; i < in.size(); i++) {
      lb.put(in.name(i), in.value(i));
    }
    for (int i = 0; i < rules.size(); i++) {
      if (!apply(rules.get(i), regexes.get(i), lb)) {
        return null;
      }
    }
    if (lb.isEmpty()) {
      return null;
    }
    String[] names = new String[lb.size()];
    String[] values = new String[lb.size()];
    int k = 0;
    for (Map.Entry<String, String> e : lb.entrySet()) {
      names[k] = e.getKey();
      values[k++] = e.getValue();
    }
    Labels out = Labels.ofSorted(names, values);
    return out.equals(in) ? in : out;
  }

  /** One rule on the labels being built; false when it drops them. */
  private static boolean apply(Rule r, GoRegexp regex, TreeMap<String, String> lb) {
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < r.sourceLabels().size(); i++) {
      if (i > 0) {
        joined.append(r.separator());
      }
      joined.append(lb.getOrDefault(r.sourceLabels().get(i), ""));
    }
    String val = joined.toString();
    switch (r.action()) {
      case DROP -> {
        return !regex.matches(val);
      }
      case KEEP -> {
        return regex.matches(val);
      }
      case DROPEQUAL -> {
        return !lb.getOrDefault(r.targetLabel(), "").equals(val);
      }
      case KEEPEQUAL -> {
        return lb.getOrDefault(r.targetLabel(), "").equals(val);
      }
      case REPLACE -> {
        Matcher m = regex.match(val);
        if (m != null) {
          String target = regex.expand(r.targetLabel(), m);
          if (LABEL_NAME.matcher(target).matches()) {
            set(lb, target, regex.expand(r.replacement(), m));
          }
        }
      }
      case LOWERCASE -> set(lb, r.targetLabel(), val.toLowerCase(Locale.ROOT));
      case UPPERCASE -> set(lb, r.targetLabel(), val.toUpperCase(Locale.ROOT));
      case HASHMOD -> set(lb, r.targetLabel(), Long.toUnsignedString(Long.remainderUnsigned(md5Tail(val), r.modulus())));
      case LABELMAP -> {
        for (Map.Entry<String, String> l : new ArrayList<>(lb.entrySet())) {
          Matcher m = regex.match(l.getKey());
          if (m != null) {
            set(lb, regex.expand(r.replacement(), m), l.getValue());
          }
        }
      }
      case LABELDROP -> lb.keySet().removeIf(regex::matches);
      case LABELKEEP -> lb.keySet().removeIf(name -> !regex.matches(name));
      default -> throw new IllegalStateException("unhandled action " + r.action());
    }
    return true;
  }

  /** Sets a label; "" removes it, as Prometheus's label builder does. */
  private static void set(TreeMap<String, String> lb, String name, String value) {
    if (value.isEmpty()) {
      lb.remove(name);
    } else {
      lb.put(name, value);
    }
  }

  /** The big-endian uint64 of the last 8 bytes of the MD5 of {@code s}, as Prometheus's hashmod takes it. */
  private static long md5Tail(String s) {
    try {
      byte[] sum = MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(sum, 8, 8).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------------------------------ reading

  private static Action action(JsonNode r, String where) {
    if (!r.has("action")) {
      return Action.REPLACE;
    }
    String s = r.get("action").asText();
    for (Action a : Action.values()) {
      if (a.configName().equals(s.toLowerCase(Locale.ROOT))) {
        return a;
      }
    }
    throw new IllegalArgumentException(where + "unknown relabel action \"" + s + "\" (known: "
        + java.util.Arrays.stream(Action.values()).map(Action::configName).collect(Collectors.joining(", ")) + ")");
  }

  private static List<String> sourceLabels(JsonNode r, String where) {
    JsonNode s = r.get("source_labels");
    if (s == null || s.isNull()) {
      return List.of();
    }
    if (!s.isArray()) {
      throw new IllegalArgumentException(where + "source_labels must be a list of label names");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : s) {
      if (!n.isValueNode() || !LABEL_NAME.matcher(n.asText()).matches()) {
        throw new IllegalArgumentException(where + "\"" + n.asText() + "\" is not a valid label name in source_labels");
      }
      out.add(n.asText());
    }
    return List.copyOf(out);
  }

  private static String text(JsonNode r, String key, String dflt, String where) {
    JsonNode v = r.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isValueNode()) {
      throw new IllegalArgumentException(where + key + " must be a string");
    }
    return v.asText();
  }

  private static long modulus(JsonNode r, String where) {
    JsonNode v = r.get("modulus");
    if (v == null || v.isNull()) {
      return 0;
    }
    if (v.isIntegralNumber() && v.asLong() >= 0) {
      return v.asLong();
    }
    try {
      return Long.parseUnsignedLong(v.asText());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(where + "modulus must be a non-negative integer, got " + v);
    }
  }

  /** Prometheus's {@code Config.Validate}. */
  private static void validate(Rule r, boolean sourceLabelsGiven, String where) {
    Action a = r.action();
    String target = r.targetLabel();
    if (a == Action.HASHMOD && r.modulus() == 0) {
      throw new IllegalArgumentException(where + "hashmod requires a non-zero modulus");
    }
    if ((a == Action.REPLACE || a == Action.HASHMOD || a == Action.LOWERCASE || a == Action.UPPERCASE
        || a == Action.KEEPEQUAL || a == Action.DROPEQUAL) && target.isEmpty()) {
      throw new IllegalArgumentException(where + a.configName() + " requires 'target_label'");
    }
    boolean templated = target.contains("$");
    if (a == Action.REPLACE && (templated ? !TEMPLATED_LABEL_NAME.matcher(target).matches()
        : !LABEL_NAME.matcher(target).matches())) {
      throw new IllegalArgumentException(where + "\"" + target + "\" is invalid 'target_label' for replace");
    }
    if ((a == Action.LOWERCASE || a == Action.UPPERCASE || a == Action.KEEPEQUAL || a == Action.DROPEQUAL
        || a == Action.HASHMOD) && !LABEL_NAME.matcher(target).matches()) {
      throw new IllegalArgumentException(where + "\"" + target + "\" is invalid 'target_label' for " + a.configName());
    }
    if ((a == Action.LOWERCASE || a == Action.UPPERCASE || a == Action.KEEPEQUAL || a == Action.DROPEQUAL)
        && !r.replacement().equals(DEFAULT_REPLACEMENT)) {
      throw new IllegalArgumentException(where + "'replacement' can not be set for " + a.configName());
    }
    if (a == Action.LABELMAP && !TEMPLATED_LABEL_NAME.matcher(r.replacement()).matches()) {
      throw new IllegalArgumentException(where + "\"" + r.replacement() + "\" is invalid 'replacement' for labelmap");
    }
    if ((a == Action.KEEPEQUAL || a == Action.DROPEQUAL) && (!r.regex().equals(DEFAULT_REGEX) || r.modulus() != 0
        || !r.separator().equals(DEFAULT_SEPARATOR))) {
      throw new IllegalArgumentException(where + a.configName()
          + " takes only 'source_labels' and 'target_label', and no other fields");
    }
    if ((a == Action.LABELDROP || a == Action.LABELKEEP) && (sourceLabelsGiven || !target.isEmpty()
        || r.modulus() != 0 || !r.separator().equals(DEFAULT_SEPARATOR) || !r.replacement().equals(DEFAULT_REPLACEMENT))) {
      throw new IllegalArgumentException(where + a.configName() + " takes only 'regex', and no other fields");
    }
  }
}
