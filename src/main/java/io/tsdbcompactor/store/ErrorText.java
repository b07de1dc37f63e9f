package io.tsdbcompactor.store;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * One-line text for an error, for a run's failure lines and logs. Java's file-system exceptions often carry only a
 * path ({@code Files.createDirectories} on a read-only data dir throws an {@link AccessDeniedException} whose
 * message is the directory and nothing else); here they also say what went wrong with it.
 */
public final class ErrorText {
  private ErrorText() {}

  /** The message of {@code e} alone, on one line. */
  public static String of(Throwable e) {
    return message(e).replace('\n', ' ');
  }

  /** The messages of {@code e} and its causes, each once, joined by ": ", on one line. */
  public static String withCauses(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = message(t);
      if (sb.indexOf(m) < 0) {
        if (sb.length() > 0) {
          sb.append(": ");
        }
        sb.append(m);
      }
    }
    return sb.toString().replace('\n', ' ');
  }

  private static String message(Throwable t) {
    if (t instanceof FileSystemException f && f.getReason() == null && f.getFile() != null) {
      String file = f.getOtherFile() == null ? f.getFile() : f.getFile() + " -> " + f.getOtherFile();
      return file + ": " + reason(f);
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** What the operating system said, as its own error text would. */
  private static String reason(FileSystemException f) {
    if (f instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (f instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (f instanceof FileAlreadyExistsException) {
      return "file exists";
    }
    if (f instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (f instanceof DirectoryNotEmptyException) {
      return "directory not empty";
    }
    return f.getClass().getSimpleName();
  }
}
