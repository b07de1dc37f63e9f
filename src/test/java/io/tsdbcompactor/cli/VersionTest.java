package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

class VersionTest {
  static String pomVersion() throws Exception {
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(Path.of("pom.xml").toFile()).getDocumentElement();
    for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals("version")) {
        return e.getTextContent().trim();
      }
    }
    throw new AssertionError("pom.xml has no <version>");
  }

  @Test
  void versionPrintsThePomVersionAndTheCommit() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run("--version"));
    } finally {
      System.setOut(old);
    }
    String printed = bytes.toString(StandardCharsets.UTF_8).trim();
    Matcher m = Pattern.compile("tsdb-compactor (\\S+) \\(commit ([0-9a-f]{7,40}|unknown)\\)").matcher(printed);
    assertTrue(m.matches(), printed);
    assertEquals(pomVersion(), m.group(1));
  }
}
