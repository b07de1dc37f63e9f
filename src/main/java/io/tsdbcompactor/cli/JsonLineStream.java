package io.tsdbcompactor.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * With {@code --log.format=json}, stdout and stderr carry one JSON object per line, whatever writes to them: log
 * events (already JSON) pass through unchanged, and every other line (the run summary, failure lines, picocli's
 * usage errors) becomes a log object whose {@code msg} is the line. Log shippers then never meet a plain line.
 */
final class JsonLineStream extends OutputStream {
  private final OutputStream target;
  private final String level;
  private final Clock clock;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

  JsonLineStream(OutputStream target, String level, Clock clock) {
    this.target = target;
    this.level = level;
    this.clock = clock;
  }

  /** Whether the arguments ask for JSON logs ({@code --log.format=json} or {@code --log.format json}). */
  static boolean requested(String... args) {
    for (int i = 0; i < args.length; i++) {
      // Enum values are case-insensitive on the command line (--log.format=JSON works too).
      if (args[i].equalsIgnoreCase("--log.format=json") || (args[i].equals("--log.format") && i + 1 < args.length
          && args[i + 1].equalsIgnoreCase("json"))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public synchronized void write(int b) throws IOException {
    if (b == '\n') {
      emit();
    } else {
      line.write(b);
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    for (int i = off; i < off + len; i++) {
      write(b[i]);
    }
  }

  /** Flushes complete lines only: a partial line waits for its end, so no object is ever split. */
  @Override
  public synchronized void flush() throws IOException {
    target.flush();
  }

  /** Emits a trailing partial line, if any, and flushes; the target stays open. */
  @Override
  public synchronized void close() throws IOException {
    if (line.size() > 0) {
      emit();
    }
    target.flush();
  }

  private void emit() throws IOException {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    String trimmed = text.strip();
    if (trimmed.isEmpty()) {
      return; // blank separator lines of the text output carry nothing
    }
    String out = trimmed.startsWith("{") && trimmed.endsWith("}") ? trimmed + "\n"
        : LogEncoder.jsonLine(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), level, "compact", text);
    target.write(out.getBytes(StandardCharsets.UTF_8));
  }
}
