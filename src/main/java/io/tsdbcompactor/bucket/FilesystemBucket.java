package io.tsdbcompactor.bucket;

import io.tsdbcompactor.store.FileTree;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A local directory used as a bucket, like Thanos's {@code type: FILESYSTEM}: the key {@code a/b/c} is the
 * file {@code <root>/a/b/c}. Writes go to a hidden temporary file in the target folder and are then renamed
 * over the target, so a reader (or a crash) never sees half an object. Deleting the last object of a folder
 * removes the folder, so a deleted block leaves no empty directory behind to be listed.
 */
public final class FilesystemBucket implements Bucket {
  /** Temporary files start with this; listings skip them. */
  static final String TEMP_PREFIX = ".tmp-upload-";
  /** Age past which a temporary file is a dead upload's (Thanos's partial-upload threshold). */
  static final java.time.Duration STALE_TEMP_AGE = java.time.Duration.ofHours(48);

  private final Path root;
  /**
   * Dates the objects (their files' modification times, as an S3 server dates objects by its clock) and judges the
   * age of temporary files. A test passes the clock its run uses, so partial-upload and deletion-mark ages follow it.
   */
  private final Clock clock;

  public FilesystemBucket(Path root) throws IOException {
    this(root, Clock.systemUTC());
  }

  public FilesystemBucket(Path root, Clock clock) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    this.clock = clock;
    Files.createDirectories(this.root);
  }

  public Path root() {
    return root;
  }

  @Override
  public String name() {
    return root.toString();
  }

  private Path path(String key) {
    return root.resolve(Keys.check(key));
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    String dir = Bucket.dirPrefix(prefix);
    Path base = dir.isEmpty() ? root : root.resolve(dir.substring(0, dir.length() - 1));
    if (!Files.isDirectory(base)) {
      return;
    }
    NavigableMap<String, ListEntry> sorted = new TreeMap<>();
    if (recursive) {
      java.util.List<Path> stale = new java.util.ArrayList<>();
      // The walk's own attributes (not a second stat per file): a big bucket's listing is 100,000s of files.
      Files.walkFileTree(base, new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult visitFile(Path p, BasicFileAttributes walked) throws IOException {
          if (isTemp(p)) {
            if (walked.isRegularFile()
                && walked.lastModifiedTime().toInstant().isBefore(clock.instant().minus(STALE_TEMP_AGE))) {
              stale.add(p);
            }
            return java.nio.file.FileVisitResult.CONTINUE;
          }
          // A symbolic link is listed as what it points to, as a direct read of the key would see it.
          BasicFileAttributes a = walked.isSymbolicLink() ? readAttributes(p) : walked;
          if (a != null && a.isRegularFile()) {
            String key = keyOf(p);
            sorted.put(key, new ListEntry(key, a.size(), a.lastModifiedTime().toInstant()));
          }
          return java.nio.file.FileVisitResult.CONTINUE;
        }

        @Override
        public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
          if (e instanceof NoSuchFileException) {
            return java.nio.file.FileVisitResult.CONTINUE; // deleted while listing
          }
          throw e;
        }
      });
      removeStale(stale);
    } else {
      try (Stream<Path> children = Files.list(base)) {
        for (Path p : (Iterable<Path>) children::iterator) {
          if (isTemp(p)) {
            continue;
          }
          BasicFileAttributes a = readAttributes(p);
          if (a == null) {
            continue;
          }
          String key = keyOf(p);
          if (a.isDirectory()) {
            sorted.put(key + "/", ListEntry.directory(key + "/"));
          } else if (a.isRegularFile()) {
            sorted.put(key, new ListEntry(key, a.size(), a.lastModifiedTime().toInstant()));
          }
        }
      }
    }
    for (ListEntry e : sorted.values()) {
      if (!visitor.visit(e)) {
        return;
      }
    }
  }

  /**
   * Temporary files of uploads that died with their process: no listing shows them, so a folder holding nothing
   * else would stay forever. Past an age no upload takes, recursive listings remove them (best effort: a
   * read-only bucket is listed all the same).
   */
  private void removeStale(java.util.List<Path> stale) {
    for (Path p : stale) {
      try {
        Files.deleteIfExists(p);
        removeEmptyParents(p);
      } catch (IOException e) {
        // best effort
      }
    }
  }

  private static boolean isTemp(Path p) {
    return p.getFileName().toString().startsWith(TEMP_PREFIX);
  }

  private static BasicFileAttributes readAttributes(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null; // deleted while listing
    }
  }

  private String keyOf(Path p) {
    return root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
  }

  @Override
  public InputStream get(String key) throws IOException {
    try {
      return Files.newInputStream(path(key));
    } catch (NoSuchFileException e) {
      throw new ObjectNotFoundException(name(), key);
    }
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(path(key), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new ObjectNotFoundException(name(), key);
    }
    ch.position(offset);
    InputStream in = Channels.newInputStream(ch);
    return length < 0 ? in : new BoundedInputStream(in, length);
  }

  @Override
  public boolean exists(String key) {
    return Files.isRegularFile(path(key));
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(path(key), BasicFileAttributes.class);
      if (!a.isRegularFile()) {
        throw new ObjectNotFoundException(name(), key);
      }
      return new ObjectAttributes(a.size(), a.lastModifiedTime().toInstant());
    } catch (NoSuchFileException e) {
      throw new ObjectNotFoundException(name(), key);
    }
  }

  @Override
  public boolean isLocalFileSystem() {
    return true;
  }

  /** A file-to-file copy (no stream through the heap); the object is never shared with the local file. */
  @Override
  public long download(String key, Path target) throws IOException {
    try {
      Files.copy(path(key), target, StandardCopyOption.REPLACE_EXISTING);
    } catch (NoSuchFileException e) {
      throw new ObjectNotFoundException(name(), key);
    }
    return Files.size(target);
  }

  /** A file-to-file copy into a temporary file, synced, then renamed into place as the streamed upload does. */
  @Override
  public void upload(String key, Path file) throws IOException {
    store(key, tmp -> Files.copy(file, tmp));
  }

  /**
   * As {@link #upload(String, Path)}, but on the bucket's own file system the temporary name is a hard link to
   * the file, synced and renamed into place: the bytes are neither copied nor written to disk a second time (a
   * compaction's output is as big as its inputs; see benchmarks/README.md, "Uploads by hard link"). The object
   * shares its data with the file only until the caller deletes the file, which it does without changing it.
   * On another file system, or one without hard links, the file is copied.
   */
  @Override
  public void uploadDisposable(String key, Path file) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      upload(key, file); // a symbolic link would be linked itself, not its target; a missing file fails there
      return;
    }
    store(key, tmp -> {
      try {
        Files.createLink(tmp, file);
      } catch (UnsupportedOperationException | FileSystemException e) {
        // Another file system (EXDEV), no hard links there, or linking refused (fs.protected_hardlinks): copy.
        Files.deleteIfExists(tmp);
        Files.copy(file, tmp);
      }
    });
  }

  /**
   * Every write of an object: the content goes to a hidden temporary file in the target's folder, dated by the
   * bucket's clock, fsynced, then renamed over the target.
   */
  private void store(String key, FileTree.Content content) throws IOException {
    Path target = path(key);
    Files.createDirectories(target.getParent());
    FileTree.writeAtomically(tempSibling(target), target, content, FileTime.from(clock.instant()), true);
  }

  /** The hidden temporary name an upload is written under (listings skip {@link #TEMP_PREFIX}). */
  private static Path tempSibling(Path target) {
    return target.resolveSibling(TEMP_PREFIX + target.getFileName() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong()));
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    store(key, tmp -> {
      long copied;
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        copied = length < 0 ? in.transferTo(out) : copyExactly(in, out, length);
      }
      if (length >= 0 && copied != length) {
        throw UploadParts.shortStream(key, copied, length);
      }
    });
  }

  private static long copyExactly(InputStream in, OutputStream out, long length) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long copied = 0;
    while (copied < length) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, length - copied));
      if (n < 0) {
        break;
      }
      out.write(buf, 0, n);
      copied += n;
    }
    return copied;
  }

  @Override
  public void delete(String key) throws IOException {
    if (key.endsWith("/")) {
      deleteTemporaryFiles(key); // otherwise folders vanish with their last file
      return;
    }
    Path p = path(key);
    Files.deleteIfExists(p);
    // Remove folders left empty, so the listing no longer shows them (S3 has no folders to leave behind).
    for (Path dir = p.getParent(); dir != null && !dir.equals(root) && dir.startsWith(root); dir = dir.getParent()) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException e) {
        break;
      }
    }
  }

  /**
   * Deleting a folder (the directory-marker delete that ends a block's deletion) also removes the temporary files
   * of uploads that died inside it: listings never show them, so nothing else would, and the folder would stay.
   */
  private void deleteTemporaryFiles(String folderKey) throws IOException {
    Path dir = folderKey.isEmpty() ? root : path(folderKey.substring(0, folderKey.length() - 1));
    if (dir.equals(root) || !dir.startsWith(root) || !Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
        if (Files.isRegularFile(p) && isTemp(p)) {
          Files.deleteIfExists(p);
          removeEmptyParents(p);
        }
      }
    }
  }

  private void removeEmptyParents(Path p) throws IOException {
    for (Path dir = p.getParent(); dir != null && !dir.equals(root) && dir.startsWith(root); dir = dir.getParent()) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException e) {
        break;
      }
    }
  }

  @Override
  public String toString() {
    return "FilesystemBucket[" + root + "]";
  }

  /** Reads at most {@code remaining} bytes of the wrapped stream. */
  static final class BoundedInputStream extends FilterInputStream {
    private long remaining;

    BoundedInputStream(InputStream in, long limit) {
      super(in);
      this.remaining = limit;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(Math.min(n, remaining));
      remaining -= s;
      return s;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), remaining);
    }
  }
}
