package io.tsdbcompactor.bucket;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An object store seen as Thanos sees it: a flat namespace of immutable objects whose keys use {@code /} as
 * the directory delimiter. Implementations: {@link S3Bucket}, {@link FilesystemBucket} (and, in the tests, an
 * in-memory one); wrapper: {@link RetryingBucket} (transient faults).
 *
 * <p>Keys never start with {@code /}. A missing object is reported as {@link ObjectNotFoundException} by the
 * reading methods; {@link #delete} of a missing object is not an error (S3 semantics). Every method may be
 * called from several threads at once.
 */
public interface Bucket extends Closeable {

  /** A short name for messages: the bucket name or the directory, never a credential. */
  String name();

  /**
   * Lists the entries under {@code prefix} in ascending key order (bytewise). The prefix is a directory: a
   * trailing {@code /} is added when missing ({@code ""} is the root). Without {@code recursive}, objects
   * directly under the prefix are returned with their attributes and each sub-directory once, as an entry
   * whose key ends in {@code /} (size 0, no time); with {@code recursive} every object below is returned and
   * no directory entries. The visitor may stop the listing early by returning false.
   */
  void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException;

  /** Collects {@link #list(String, boolean, ListVisitor)}. */
  default List<ListEntry> list(String prefix, boolean recursive) throws IOException {
    List<ListEntry> out = new ArrayList<>();
    list(prefix, recursive, e -> {
      out.add(e);
      return true;
    });
    return out;
  }

  /** Opens an object for reading; the caller closes the stream. */
  default InputStream get(String key) throws IOException {
    return getRange(key, 0, -1);
  }

  /**
   * Reads {@code length} bytes from {@code offset} ({@code length < 0}: to the end). A range that reaches
   * past the end returns the bytes that exist, as S3 does.
   */
  InputStream getRange(String key, long offset, long length) throws IOException;

  /** Whether the object exists: by default whether {@link #attributes} finds it. */
  default boolean exists(String key) throws IOException {
    try {
      attributes(key);
      return true;
    } catch (ObjectNotFoundException e) {
      return false;
    }
  }

  /** Size and last-modified time; {@link ObjectNotFoundException} if absent. */
  ObjectAttributes attributes(String key) throws IOException;

  /**
   * Stores an object from a stream, replacing any object of that key. {@code length} is the exact number
   * of bytes when known, else -1. A reader sees either the old object or the whole new one, never a part.
   * The stream is read to its end (or {@code length}) but not closed.
   */
  void upload(String key, InputStream in, long length) throws IOException;

  /**
   * Deletes an object; absent objects are ignored. A key ending in {@code /} names a directory-marker object
   * that some S3 tools create; stores without such objects ignore it.
   */
  void delete(String key) throws IOException;

  /** Stores a byte array; can be retried by {@link RetryingBucket}. */
  default void upload(String key, byte[] content) throws IOException {
    upload(key, new ByteArrayInputStream(content), content.length);
  }

  /** Stores a local file; can be retried by {@link RetryingBucket}. */
  default void upload(String key, Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      upload(key, in, Files.size(file));
    }
  }

  /**
   * Stores a local file that the caller deletes afterwards without changing it, such as a file of a block the
   * compactor has just written; can be retried by {@link RetryingBucket}. A {@link FilesystemBucket} on the
   * file's own file system hard-links it instead of copying it; other stores {@link #upload(String, Path)} it.
   */
  default void uploadDisposable(String key, Path file) throws IOException {
    upload(key, file);
  }

  /**
   * Stores a local file that is still being written and that the caller deletes afterwards, as
   * {@link #uploadDisposable} does once it is whole; the object appears only then. A store that takes an object in
   * parts ({@link #uploadsWhileWritten}) sends each part as soon as the writer has got past it, so that little is
   * left to send when the file is whole. By default waits for the file to be whole, then {@link #uploadDisposable}.
   * Can be retried by {@link RetryingBucket}: an attempt sends the file again from its first byte. Fails, and
   * leaves no object, when the writer throws the file away ({@link GrowingFile#abandoned}).
   */
  default void uploadWhileWritten(String key, GrowingFile file) throws IOException {
    file.await(Long.MAX_VALUE, () -> false);
    uploadDisposable(key, file.path());
  }

  /** Whether {@link #uploadWhileWritten} sends a file before it is whole (the default waits for it). */
  default boolean uploadsWhileWritten() {
    return false;
  }

  /**
   * Copies an object into a local file, replacing it; can be retried by {@link RetryingBucket}. Returns the
   * number of bytes written. {@link FilesystemBucket} copies the file without streaming it through the heap;
   * {@link S3Bucket} fetches ranges of the object at once. A failed download may leave part of the file behind.
   */
  default long download(String key, Path target) throws IOException {
    try (InputStream in = get(key)) {
      return Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Told about each range of the file that {@link #downloadInto} has written. */
  @FunctionalInterface
  interface WrittenRanges {
    void written(long offset, long count);
  }

  /**
   * Copies an object into {@code target}, an existing file already {@code size} bytes long, in place: the file is
   * never truncated, replaced or grown, so a reader that mapped it can read each range once {@code written} has
   * been told about it. Returns the object's length; when that is not {@code size}, what the file holds is
   * undefined (at most {@code size} bytes are written) and the caller fails the download. A failed download may
   * leave part of the file written. By default streamed through {@link #get} (so a {@link RetryingBucket}
   * resumes it); {@link S3Bucket} fetches ranges of the object at once.
   */
  default long downloadInto(String key, Path target, long size, WrittenRanges written) throws IOException {
    try (InputStream in = get(key);
        java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(target,
            java.nio.file.StandardOpenOption.WRITE)) {
      byte[] buf = new byte[64 * 1024];
      long position = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        int keep = (int) Math.max(0, Math.min(n, size - position));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf, 0, keep);
        long at = position;
        while (b.hasRemaining()) {
          at += out.write(b, at);
        }
        if (keep > 0) {
          written.written(position, keep);
        }
        position += n;
      }
      return position;
    }
  }

  /**
   * True when the objects are files of the local file system ({@link FilesystemBucket}): {@link #download} then
   * copies file to file, several times faster than a stream, and a failed copy is simply repeated. Wrappers that
   * pass every call through pass this on; the others keep the default, false, and are read as streams.
   */
  default boolean isLocalFileSystem() {
    return false;
  }

  /**
   * The order {@link #list} hands keys over in. By default Java's {@link String} order (UTF-16 units), as a sorted
   * map or a file walk gives them; S3 lists by UTF-8 bytes. The two differ only for keys with characters past
   * U+FFFF against U+E000-U+FFFF. {@link RetryingBucket} resumes a broken listing after the last key handed over,
   * in this order. Wrappers that pass listings through pass this on.
   */
  default java.util.Comparator<String> keyOrder() {
    return java.util.Comparator.naturalOrder();
  }

  /** Reads a whole (small) object: meta.json, markers. */
  default byte[] getBytes(String key) throws IOException {
    try (InputStream in = get(key)) {
      return in.readAllBytes();
    }
  }

  @Override
  default void close() throws IOException {}

  /** Receives listing entries; returning false stops the listing. */
  @FunctionalInterface
  interface ListVisitor {
    boolean visit(ListEntry entry) throws IOException;
  }

  /** Normalises a directory prefix: "" stays "", anything else ends in exactly one '/'. */
  static String dirPrefix(String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      return "";
    }
    String p = prefix;
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? "" : p + "/";
  }
}
