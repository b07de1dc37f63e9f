package io.tsdbcompactor.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LabelMatchersTest {
  static final Labels SERIES = Labels.of("__name__", "http_requests_total", "code", "200", "job", "api");

  @Test
  void allFourOperatorsAnchoredRegexesAndAbsentLabelsAsEmpty() {
    assertTrue(LabelMatchers.parse("{job=\"api\"}").matches(SERIES));
    assertFalse(LabelMatchers.parse("{job!=\"api\"}").matches(SERIES));
    assertTrue(LabelMatchers.parse("{code=~\"2..\"}").matches(SERIES));
    assertFalse(LabelMatchers.parse("{code=~\"2\"}").matches(SERIES), "anchored at both ends");
    assertTrue(LabelMatchers.parse("{code!~\"5..\", job=~'a.*'}").matches(SERIES));
    assertTrue(LabelMatchers.parse("{missing=\"\"}").matches(SERIES));
    assertFalse(LabelMatchers.parse("{missing!=\"\"}").matches(SERIES));
    assertTrue(LabelMatchers.parse("http_requests_total{job=\"api\",}").matches(SERIES));
    assertFalse(LabelMatchers.parse("up").matches(SERIES));
    assertEquals(2, LabelMatchers.parse(" http_requests_total { code = \"200\" } ").matchers().size());
  }

  @Test
  void escapesInValues() {
    Labels l = Labels.of("path", "a\"b\\c\nd");
    assertTrue(LabelMatchers.parse("{path=\"a\\\"b\\\\c\\nd\"}").matches(l));
    assertTrue(LabelMatchers.parse("{path=~`a\"b\\\\c\\nd`}").matches(l), "raw strings keep backslashes for the regex");
  }

  @Test
  void syntaxErrorsNameThePosition() {
    for (String bad : new String[] {"", "{}", "{job}", "{job=api}", "{job=\"api\"", "{job=~\"(\"}", "{job=\"a\" x}",
        "{1job=\"a\"}", "{job=\"a\\q\"}"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelMatchers.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("bad selector '" + bad + "'"), e.getMessage());
    }
  }
}
