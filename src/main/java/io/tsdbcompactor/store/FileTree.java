package io.tsdbcompactor.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Local file-tree chores: deleting a tree, and publishing a file so that a reader sees either the old content
 * or the whole new one, never a part (write a temporary sibling, optionally fsync it, rename it into place).
 */
public final class FileTree {
  private FileTree() {}

  /** What fills the temporary file of {@link #writeAtomically}. */
  @FunctionalInterface
  public interface Content {
    /** Writes the whole content to {@code tmp}; throwing abandons the write. */
    void writeTo(Path tmp) throws IOException;
  }

  /**
   * Writes {@code target} through {@code tmp}, a sibling the caller names (so that its listings can tell
   * temporary files apart): {@code content} fills it, it gets {@code lastModified} unless that is null, it is
   * fsynced when {@code durable}, then it takes {@code target}'s place by {@link #moveIntoPlace}. If anything
   * fails the temporary file is removed and {@code target} keeps what it had.
   */
  public static void writeAtomically(Path tmp, Path target, Content content, FileTime lastModified, boolean durable)
      throws IOException {
    boolean done = false;
    try {
      content.writeTo(tmp);
      if (lastModified != null) {
        Files.setLastModifiedTime(tmp, lastModified);
      }
      if (durable) {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
      }
      moveIntoPlace(tmp, target);
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** {@link #writeAtomically} of bytes, not fsynced, through {@code target}'s name plus {@code tmpSuffix}. */
  public static void writeAtomically(Path target, String tmpSuffix, byte[] bytes) throws IOException {
    writeAtomically(target.resolveSibling(target.getFileName() + tmpSuffix), target, tmp -> Files.write(tmp, bytes),
        null, false);
  }

  /**
   * Renames {@code source} (a complete file or directory) to {@code target}, replacing a file there: in one step
   * where the file system can, else as a plain replacing move (a file system without atomic rename gives no
   * better).
   */
  public static void moveIntoPlace(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Deletes a file or a directory with everything under it; a missing path is fine. */
  public static void delete(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(path)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
