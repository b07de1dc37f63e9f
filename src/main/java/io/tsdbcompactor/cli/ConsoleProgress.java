package io.tsdbcompactor.cli;

import io.tsdbcompactor.sync.BlockSyncer;
import java.io.PrintStream;

/**
 * Shows listing and reading progress on one stderr line, only when a person watches (a console is attached),
 * so logs and pipes stay clean. At most five updates a second.
 */
final class ConsoleProgress implements BlockSyncer.Progress {
  private final PrintStream err;
  private long lastPrint;
  private boolean printed;

  private ConsoleProgress(PrintStream err) {
    this.err = err;
  }

  /** A progress line on stderr when a console is attached, else nothing. */
  static BlockSyncer.Progress forTerminal() {
    return System.console() != null ? new ConsoleProgress(System.err) : BlockSyncer.Progress.NONE;
  }

  private synchronized void show(String text, boolean force) {
    long now = System.nanoTime();
    if (!force && printed && now - lastPrint < 200_000_000L) {
      return;
    }
    lastPrint = now;
    printed = true;
    err.print("\r\033[K" + text);
    err.flush();
  }

  @Override
  public void listed(long objects) {
    show("listing bucket: " + objects + " objects", false);
  }

  @Override
  public void metaRead(int done, int total) {
    show("reading block metadata: " + done + "/" + total, done == total);
  }

  /** Ends the progress line. */
  synchronized void finish() {
    if (printed) {
      err.print("\r\033[K");
      err.flush();
    }
  }
}
