package io.tsdbcompactor.store;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A directory on the local file system. Reads are memory-mapped; writes go to a hidden temporary file that is
 * fsynced and renamed over the target on close, so a crash never leaves a half-written file under a real name.
 */
public final class FsDirectory implements Directory {
  private static final int WRITE_BUFFER = 1 << 20;
  static final String TEMP_PREFIX = ".tmp-";

  private final Path root;
  private final boolean sync;

  /** The directory {@code root} on disk; each file written is fsynced before it is renamed into place. */
  public FsDirectory(Path root) {
    this(root, true);
  }

  private FsDirectory(Path root, boolean sync) {
    this.root = root.toAbsolutePath().normalize();
    this.sync = sync;
  }

  /**
   * A scratch directory: files are still written to a temporary name and renamed on close (a reader never
   * sees half a file), but neither the file nor the directory is fsynced. For data whose durable copy is made
   * elsewhere and which is thrown away after a crash, such as a compacted block in the work directory: it is
   * read back, verified and uploaded from the page cache, the bucket makes the uploaded objects durable
   * (FilesystemBucket fsyncs each one before meta.json; S3 acknowledges only durable writes), and the work
   * directory is wiped before every compaction.
   */
  public static FsDirectory scratch(Path root) {
    return new FsDirectory(root, false);
  }

  /** The directory's absolute path. */
  public Path root() {
    return root;
  }

  @Override
  public String describe() {
    return root.toString();
  }

  Path resolve(String name) throws IOException {
    Path p = root.resolve(name).normalize();
    if (!p.startsWith(root) || name.isEmpty()) {
      throw new IOException("file name " + name + " leaves directory " + root);
    }
    return p;
  }

  @Override
  public RandomAccessInput openInput(String name) throws IOException {
    return new MappedFileInput(resolve(name), root.getFileName() + "/" + name);
  }

  /** A file being downloaded into in place ({@link ArrivingDirectory}): its reads wait for their bytes. */
  RandomAccessInput openArriving(String name, ArrivingBytes arrival) throws IOException {
    return new MappedFileInput(resolve(name), root.getFileName() + "/" + name, arrival);
  }

  @Override
  public IndexOutput createOutput(String name) throws IOException {
    Path target = resolve(name);
    Files.createDirectories(target.getParent());
    Path temp = target.resolveSibling(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
    FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return new FileOutput(name, target, temp, channel, sync);
  }

  /**
   * The first {@link #SCRATCH_HEAP_INTS} ints on the heap, the rest in a hidden temporary file in this
   * directory (never listed, so never uploaded), mapped; on the heap where the directory cannot take a file (a
   * read-only block being verified).
   */
  @Override
  public ScratchInts createScratch(String prefix) {
    return ScratchInts.spilling(root, TEMP_PREFIX + prefix + "-", SCRATCH_HEAP_INTS);
  }

  /**
   * 1 MiB of ints per scratch array on the heap: a block of up to some hundred thousand labels never touches a
   * file (the mapped path cost the e2e benchmark about 10% at 10k series), and a writer and a verifier at once
   * hold at most a few MiB of the fixed heap.
   */
  static final int SCRATCH_HEAP_INTS = 1 << 18;

  @Override
  public ScratchBytes createScratchBytes(String prefix) {
    return ScratchBytes.spilling(root, TEMP_PREFIX + prefix + "-", SCRATCH_HEAP_BYTES);
  }

  /** 4 MiB of scratch bytes on the heap: an index's symbol table of up to about 100,000 values never touches a file. */
  static final int SCRATCH_HEAP_BYTES = 4 << 20;

  @Override
  public boolean exists(String name) throws IOException {
    return Files.isRegularFile(resolve(name));
  }

  @Override
  public long fileLength(String name) throws IOException {
    return Files.size(resolve(name));
  }

  @Override
  public List<String> listAll() throws IOException {
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(root.toString());
    }
    // The directory itself may be a symbolic link (a block linked into a directory of blocks); a walk from the
    // link would stop at it and list nothing. Below it the walk is as before: links to directories not followed.
    Path real = root.toRealPath();
    try (Stream<Path> walk = Files.walk(real)) {
      walk.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith(TEMP_PREFIX))
          .forEach(p -> names.add(real.relativize(p).toString().replace('\\', '/')));
    }
    names.sort(null);
    return names;
  }

  @Override
  public void delete(String name) throws IOException {
    Files.deleteIfExists(resolve(name));
  }

  /** fsyncs a directory so a rename inside it survives a crash (no-op where the platform refuses). */
  static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // Some file systems do not allow opening a directory; the rename is still atomic there.
    }
  }

  private static final class FileOutput implements IndexOutput {
    private final String name;
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final OutputStream out;
    private final boolean sync;
    private long position;
    private boolean done;

    FileOutput(String name, Path target, Path temp, FileChannel channel, boolean sync) {
      this.sync = sync;
      this.name = name;
      this.target = target;
      this.temp = temp;
      this.channel = channel;
      this.out = new BufferedOutputStream(Channels.newOutputStream(channel), WRITE_BUFFER);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public void writeByte(int b) throws IOException {
      out.write(b);
      position++;
    }

    /**
     * Writes in slices of at most the buffer's size: a larger write would go to the channel whole, and the JDK
     * copies a heap array into a temporary direct buffer of the write's size, so one big write (an index's symbol
     * table of many distinct label values, a long postings list) would fail against the CronJob's
     * {@code -XX:MaxDirectMemorySize=16m} however large the heap.
     */
    @Override
    public void writeBytes(byte[] b, int off, int len) throws IOException {
      for (int done = 0; done < len; ) {
        int n = Math.min(len - done, WRITE_BUFFER);
        out.write(b, off + done, n);
        done += n;
      }
      position += len;
    }

    /** Reads the temporary file, which the move into place on {@link #close} does not take from it. */
    @Override
    public FileChannel openReader() throws IOException {
      if (done) {
        throw new IllegalStateException(name + " is no longer being written");
      }
      return FileChannel.open(temp, StandardOpenOption.READ);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (done) {
        return;
      }
      done = true;
      try {
        out.flush();
        if (sync) {
          channel.force(true);
        }
        channel.close();
        FileTree.moveIntoPlace(temp, target);
        if (sync) {
          syncDirectory(target.getParent());
        }
      } catch (IOException | RuntimeException e) {
        discard();
        throw e;
      }
    }

    @Override
    public void abort() {
      if (done) {
        return;
      }
      done = true;
      discard();
    }

    private void discard() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Nothing more to do: the temporary file is removed below.
      }
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // A stray temporary file is hidden from listAll and harmless.
      }
    }
  }
}
