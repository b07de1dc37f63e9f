package io.tsdbcompactor.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

/** Prometheus's relabel semantics, case by case (expected results worked out from Prometheus 2.42's rules). */
class RelabelerTest {
  private static Relabeler rules(String yaml) throws Exception {
    return Relabeler.parse(new ObjectMapper(new YAMLFactory()).readTree(yaml), "test config");
  }

  private static Labels relabel(String yaml, String... labels) throws Exception {
    return rules(yaml).apply(Labels.of(labels));
  }

  private static String error(String yaml) {
    return assertThrows(IllegalArgumentException.class, () -> rules(yaml)).getMessage();
  }

  @Test
  void replaceDefaultsCopyTheJoinedSourceValues() throws Exception {
    // action replace, separator ";", regex (.*), replacement $1
    assertEquals(Labels.of("a", "x", "b", "y", "c", "x;y"),
        relabel("- source_labels: [a, b]\n  target_label: c\n", "a", "x", "b", "y"));
    assertEquals(Labels.of("a", "x", "c", "x-"), relabel("- source_labels: [a, missing]\n  separator: '-'\n  target_label: c\n",
        "a", "x"), "an absent label is the empty string");
  }

  @Test
  void replaceExpandsGroupsAsGoDoes() throws Exception {
    String yaml = """
        - source_labels: [instance]
          regex: '(?P<host>[^:]+):(\\d+)'
          target_label: '${host}_port'
          replacement: '$2 on ${1}, $$ kept, $1x empty, $ alone, ${99} missing'
        """;
    assertEquals("9100 on node1, $ kept,  empty, $ alone,  missing",
        relabel(yaml, "instance", "node1:9100").get("node1_port"));
    assertEquals(Labels.of("instance", "node1"), relabel(yaml, "instance", "node1"), "no match, no change");
  }

  @Test
  void replaceWithAnEmptyResultRemovesTheTargetAndAnInvalidTargetIsSkipped() throws Exception {
    assertEquals(Labels.of("a", "x"), relabel("- source_labels: [a]\n  target_label: gone\n  replacement: ''\n",
        "a", "x", "gone", "1"));
    assertEquals(Labels.of("a", "1x"), relabel("- source_labels: [a]\n  target_label: '${1}'\n  replacement: v\n",
        "a", "1x"), "'1x' is not a label name: no change");
  }

  @Test
  void regexesAreAnchoredAndDotStopsAtNewlineOnly() throws Exception {
    assertEquals(Labels.of("a", "xfoo"), relabel("- source_labels: [a]\n  regex: foo\n  action: drop\n", "a", "xfoo"));
    assertNull(relabel("- source_labels: [a]\n  regex: 'x.o'\n  action: drop\n", "a", "x\ro"));
    assertEquals(Labels.of("a", "x\no"), relabel("- source_labels: [a]\n  regex: 'x.o'\n  action: drop\n", "a", "x\no"));
    assertNull(relabel("- source_labels: [a]\n  regex: '(?i)FOO|[[:digit:]]+'\n  action: drop\n", "a", "foo"));
    assertNull(relabel("- source_labels: [a]\n  regex: '[[:digit:]]+'\n  action: drop\n", "a", "42"));
  }

  @Test
  void keepDropAndTheirEqualForms() throws Exception {
    String keep = "- source_labels: [job]\n  regex: api|web\n  action: keep\n";
    assertEquals(Labels.of("job", "web"), relabel(keep, "job", "web"));
    assertNull(relabel(keep, "job", "db"));
    assertNull(relabel("- action: drop\n", "job", "db"), "drop with the default regex drops everything");
    String keepEqual = "- source_labels: [a]\n  target_label: b\n  action: KeepEqual\n";
    assertEquals(Labels.of("a", "1", "b", "1"), relabel(keepEqual, "a", "1", "b", "1"));
    assertNull(relabel(keepEqual, "a", "1", "b", "2"));
    assertNull(relabel("- source_labels: [a]\n  target_label: b\n  action: dropequal\n", "a", "1", "b", "1"));
  }

  @Test
  void hashmodLowercaseUppercase() throws Exception {
    // The big-endian uint64 of the last 8 bytes of md5("foo"), modulo 1000.
    Labels l = relabel("- source_labels: [a]\n  modulus: 1000\n  target_label: shard\n  action: hashmod\n", "a", "foo");
    long expected = Long.remainderUnsigned(java.nio.ByteBuffer.wrap(java.security.MessageDigest.getInstance("MD5")
        .digest("foo".getBytes(java.nio.charset.StandardCharsets.UTF_8)), 8, 8).getLong(), 1000);
    assertEquals(Long.toString(expected), l.get("shard"));
    assertEquals(Labels.of("a", "MiXed", "lo", "mixed", "up", "MIXED"), relabel("""
        - source_labels: [a]
          target_label: lo
          action: lowercase
        - source_labels: [a]
          target_label: up
          action: uppercase
        """, "a", "MiXed"));
  }

  @Test
  void labelmapLabeldropLabelkeep() throws Exception {
    assertEquals(Labels.of("__meta_x", "1", "x", "1", "y_z", "2", "__meta_y_z", "2"), relabel(
        "- regex: __meta_(.+)\n  action: labelmap\n", "__meta_x", "1", "__meta_y_z", "2"));
    assertEquals(Labels.of("b", "2"), relabel("- regex: a|c\n  action: labeldrop\n", "a", "1", "b", "2", "c", "3"));
    assertEquals(Labels.of("a", "1", "c", "3"), relabel("- regex: a|c\n  action: labelkeep\n", "a", "1", "b", "2", "c", "3"));
    assertNull(relabel("- regex: .*\n  action: labeldrop\n", "a", "1"), "no label left is a drop");
  }

  @Test
  void anUnchangedSetIsTheSameObject() throws Exception {
    Labels in = Labels.of("a", "1");
    assertSame(in, rules("- source_labels: [b]\n  regex: x\n  target_label: c\n").apply(in));
  }

  @Test
  void badRulesAreRefusedNamingTheRule() {
    assertTrue(error("- action: explode\n").contains("rule 1: unknown relabel action \"explode\""));
    assertTrue(error("- action: keep\n- source_labels: [a]\n  regex: '(('\n  target_label: b\n")
        .contains("rule 2: invalid regex \"((\""));
    assertTrue(error("- source_labels: [a]\n").contains("replace requires 'target_label'"));
    assertTrue(error("- source_labels: [a]\n  target_label: 'b-c'\n").contains("invalid 'target_label'"));
    assertTrue(error("- source_labels: [a]\n  target_label: b\n  action: hashmod\n").contains("non-zero modulus"));
    assertTrue(error("- source_labels: [a]\n  regex: x\n  action: labeldrop\n").contains("takes only 'regex'"));
    assertTrue(error("- source_labels: [a]\n  target_label: b\n  regex: x\n  action: keepequal\n")
        .contains("takes only 'source_labels' and 'target_label'"));
    assertTrue(error("- source_labels: [a]\n  target_label: b\n  replacement: x\n  action: lowercase\n")
        .contains("'replacement' can not be set"));
    assertTrue(error("- source_labels: ['a-b']\n  action: keep\n").contains("not a valid label name"));
    assertTrue(error("- sourcelabels: [a]\n  action: keep\n").contains("unknown key 'sourcelabels'"));
    assertTrue(error("action: keep\n").contains("must be a list"));
    assertTrue(error("- regex: '(?U)a*'\n  action: labeldrop\n").contains("ungreedy"));
  }

  @Test
  void requireActionsNamesWhatIsAllowed() throws Exception {
    String msg = assertThrows(IllegalArgumentException.class, () -> rules("- action: labeldrop\n  regex: a\n")
        .requireActions(java.util.EnumSet.of(Relabeler.Action.KEEP, Relabeler.Action.DROP, Relabeler.Action.HASHMOD), "sel"))
        .getMessage();
    assertEquals("sel, rule 1: action labeldrop is not supported here, only keep, drop and hashmod", msg);
  }
}
