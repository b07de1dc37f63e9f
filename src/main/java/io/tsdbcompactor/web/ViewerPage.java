package io.tsdbcompactor.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The viewer page: one self-contained HTML file ({@code viewer.html}: plain HTML, CSS and JavaScript, no
 * external resources) that a live server serves with its link prefix, and that an export writes with the view's
 * data inside it, so the file works offline.
 */
public final class ViewerPage {
  private static final String MARK = "/*VIEWER-CONFIG*/";

  private ViewerPage() {}

  static String template() {
    try (InputStream in = ViewerPage.class.getResourceAsStream("viewer.html")) {
      if (in == null) {
        throw new IllegalStateException("viewer.html is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The page served live: it fetches its data from the API under {@code prefix}. */
  static String live(String template, String prefix) {
    return template.replace(MARK, "window.VIEWER_CONFIG = {prefix: " + BlocksApi.quote(prefix) + ", data: null};");
  }

  /** A static page holding the view of {@code snapshot}; read-only (no marking). */
  public static String export(BlockViewer.Snapshot snapshot, BlockViewer.Settings settings) {
    String data = new String(ViewJson.viewData(snapshot, settings, true), StandardCharsets.UTF_8)
        // "<" only occurs inside JSON strings, where \u003c means the same and can neither end nor confuse the
        // script element.
        .replace("<", "\\u003c");
    return template().replace(MARK, "window.VIEWER_CONFIG = {prefix: \"\", data: " + data + "};");
  }
}
