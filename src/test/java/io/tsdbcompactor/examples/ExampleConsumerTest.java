package io.tsdbcompactor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * examples/merge-blocks is built by .ci/example-consumer against the version of the top-level pom; its own
 * default must be that version too, so that its README commands work after a version bump.
 */
class ExampleConsumerTest {
  static String text(Path pom, String xpath) throws Exception {
    Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    return javax.xml.xpath.XPathFactory.newInstance().newXPath().evaluate(xpath, d).trim();
  }

  @Test
  void exampleDependsOnThisVersionOfTheLibrary() throws Exception {
    String version = text(Path.of("pom.xml"), "/project/version");
    Path example = Path.of("examples/merge-blocks/pom.xml");
    assertEquals(version, text(example, "/project/properties/tsdb-compactor.version"));
    assertEquals("${tsdb-compactor.version}",
        text(example, "/project/dependencies/dependency[artifactId='tsdb-compactor']/version"));
  }
}
