package io.tsdbcompactor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The code in docs/library.md is the code that compiles and runs here: every {@code tag::NAME[]} ...
 * {@code end::NAME[]} region of the example sources appears in the document as a java block, unindented.
 */
class LibraryDocTest {
  static final Path DIR = Path.of("src/test/java/io/tsdbcompactor/examples");
  static final Pattern REGION = Pattern.compile("(?m)^ *// tag::(\\w+)\\[\\]\\n(.*?)^ *// end::\\1\\[\\]\\n", Pattern.DOTALL);

  static Map<String, String> regions() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String file : List.of("LibraryExamples.java", "KeyValueBucket.java")) {
      Matcher m = REGION.matcher(Files.readString(DIR.resolve(file)));
      while (m.find()) {
        out.put(m.group(1), dedent(m.group(2)));
      }
    }
    return out;
  }

  /** Removes the indentation common to the non-blank lines. */
  static String dedent(String text) {
    List<String> lines = text.lines().toList();
    int indent = lines.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    StringBuilder out = new StringBuilder();
    for (String l : lines) {
      out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return out.toString();
  }

  @Test
  void everyExampleRegionIsInTheGuideVerbatim() throws IOException {
    Map<String, String> regions = regions();
    assertEquals(List.of("dump", "merge", "downsample", "plan", "bucket"), new ArrayList<>(regions.keySet()));
    String doc = Files.readString(Path.of("docs/library.md"));
    for (Map.Entry<String, String> r : regions.entrySet()) {
      assertTrue(doc.contains("```java\n" + r.getValue() + "```\n"),
          "docs/library.md lacks the current '" + r.getKey() + "' example:\n" + r.getValue());
    }
  }
}
