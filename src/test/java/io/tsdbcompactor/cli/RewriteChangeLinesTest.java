package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The series changes of a rewrite: printed in batches on a dry run, written to the change log otherwise. */
class RewriteChangeLinesTest {
  @TempDir
  Path tmp;

  private static List<String> lines(int n) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      lines.add("relabelled series {__name__=\"m\", i=\"" + i + "\", \u00e9=\"\u00fc\"} -> {__name__=\"m\"}");
    }
    return lines;
  }

  @Test
  void aDryRunPrintsEveryLineInOrderInBatchesAndTheRestOnClose() throws Exception {
    RewriteOptions options = new RewriteOptions();
    options.dryRun = true;
    options.changeLog = true;
    List<String> lines = lines(20_000); // about 1.5 MB: many batches
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      Path log = tmp.resolve("change.log");
      try (RewriteOptions.ChangeLines changes = options.changeLines(log)) {
        lines.forEach(changes);
        String sofar = printed.toString(StandardCharsets.UTF_8);
        assertTrue(sofar.length() > 0 && sofar.endsWith(System.lineSeparator()), "whole batches went out before close");
        assertTrue(sofar.lines().count() < lines.size(), "the last lines wait for close");
      }
      assertFalse(Files.exists(log), "no change log on a dry run");
    } finally {
      System.setOut(stdout);
    }
    assertSameLines(lines, printed.toString(StandardCharsets.UTF_8).lines().toList());
  }

  /** Equal lists of lines; on failure, the first line that differs rather than both lists (megabytes). */
  private static void assertSameLines(List<String> want, List<String> got) {
    for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
      assertEquals(want.get(i), got.get(i), "line " + i);
    }
    assertEquals(want.size(), got.size(), "lines");
  }

  @Test
  void aRealRunWritesTheChangeLogAndPrintsNothing() throws Exception {
    RewriteOptions options = new RewriteOptions();
    options.dryRun = false;
    options.changeLog = true;
    List<String> lines = lines(3);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    Path log = tmp.resolve("change.log");
    try (RewriteOptions.ChangeLines changes = options.changeLines(log)) {
      lines.forEach(changes);
    } finally {
      System.setOut(stdout);
    }
    assertEquals("", printed.toString(StandardCharsets.UTF_8));
    assertEquals(lines, Files.readAllLines(log, StandardCharsets.UTF_8));
  }
}
