package io.tsdbcompactor.job;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdbcompactor.store.FileTree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --report-file}: what a run did, or a dry run would do, to blocks, as JSON.
 *
 * <pre>
 * {"dry_run": true|false,
 *  "actions": [{"step": "compact"|"retire"|"garbage-collect"|"downsample"|"no-compact"|"no-downsample"|
 *                       "retention"|"retention-hold"|"delete",
 *               "group": "{cluster=\"eu1\"}", "resolution": 0, "min_time": 1700000000000, "max_time": 1700007200000,
 *               "sources": ["01H..."], "ulid": "01H..." | null, "reason": "...", "size_bytes": 1234}, ...],
 *  "failures": ["..."]}
 * </pre>
 *
 * The file is written whole to a temporary name and renamed, so a reader never sees half of it.
 */
public final class ReportFile {
  private ReportFile() {}

  public static void write(Path file, RunReport report) throws IOException {
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    List<Action> actions;
    synchronized (report.actions) {
      actions = new ArrayList<>(report.actions);
    }
    List<String> failures;
    synchronized (report.failures) {
      failures = new ArrayList<>(report.failures);
    }
    FileTree.writeAtomically(tmp, abs, t -> {
      try (OutputStream out = Files.newOutputStream(t);
          JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
        g.useDefaultPrettyPrinter();
        g.writeStartObject();
        g.writeBooleanField("dry_run", report.dryRun);
        g.writeArrayFieldStart("actions");
        for (Action a : actions) {
          g.writeStartObject();
          g.writeStringField("step", a.step());
          g.writeStringField("group", a.group());
          g.writeNumberField("resolution", a.resolution());
          g.writeNumberField("min_time", a.minTime());
          g.writeNumberField("max_time", a.maxTime());
          g.writeArrayFieldStart("sources");
          for (String s : a.sources()) {
            g.writeString(s);
          }
          g.writeEndArray();
          if (a.ulid() == null) {
            g.writeNullField("ulid");
          } else {
            g.writeStringField("ulid", a.ulid());
          }
          g.writeStringField("reason", a.reason());
          g.writeNumberField("size_bytes", a.sizeBytes());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("failures");
        for (String f : failures) {
          g.writeString(f);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
    }, null, false);
  }
}
