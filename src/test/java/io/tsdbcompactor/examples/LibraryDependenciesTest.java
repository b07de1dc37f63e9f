package io.tsdbcompactor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What a project depending on io.tsdbcompactor:tsdb-compactor inherits: the POM's dependencies that are neither
 * optional nor test/provided scope. Only the library core's own needs belong there; the CLI, configuration,
 * logging backend, metrics, web and bucket SDK dependencies must be optional (they still go into the runnable
 * jar). .ci/run checks the same on the resolved tree of examples/merge-blocks.
 */
class LibraryDependenciesTest {
  static final Set<String> LIBRARY_CORE = Set.of(
      "com.fasterxml.jackson.core:jackson-databind", // meta.json and marker files
      "org.slf4j:slf4j-api"); // logging API only; the user picks the backend

  @Test
  void onlyTheLibraryCoreDependenciesAreTransitive() throws Exception {
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
    Element dependencies = child(pom.getDocumentElement(), "dependencies");
    Set<String> transitive = new TreeSet<>();
    NodeList list = dependencies.getElementsByTagName("dependency");
    for (int i = 0; i < list.getLength(); i++) {
      Element d = (Element) list.item(i);
      if (d.getParentNode() != dependencies) {
        continue; // an exclusion's or plugin's element
      }
      String scope = text(d, "scope", "compile");
      boolean optional = Boolean.parseBoolean(text(d, "optional", "false"));
      if (!optional && (scope.equals("compile") || scope.equals("runtime"))) {
        transitive.add(text(d, "groupId", "") + ":" + text(d, "artifactId", ""));
      }
    }
    assertEquals(new TreeSet<>(LIBRARY_CORE), transitive,
        "dependencies a library user inherits; make new non-core dependencies <optional>true</optional>");
  }

  private static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    throw new AssertionError("no <" + name + "> in <" + parent.getTagName() + ">");
  }

  private static String text(Element parent, String name, String absent) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e.getTextContent().trim();
      }
    }
    return absent;
  }
}
