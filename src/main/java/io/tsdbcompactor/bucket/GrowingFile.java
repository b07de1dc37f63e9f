package io.tsdbcompactor.bucket;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A local file that is still being written front to back, read as it grows: what
 * {@link Bucket#uploadWhileWritten} sends. The writer reports how far it has got ({@link #grew}) and the end
 * ({@link #whole}, or {@link #abandoned}); readers wait for the bytes they need ({@link #await}) and read them
 * through one channel opened on the file while it was written, so that moving the file into
 * place at its end does not take it from them. Bytes once reported never change.
 */
public final class GrowingFile implements Closeable {
  private final Path path;
  private final FileChannel reader;
  private long length;
  private boolean whole;
  private boolean abandoned;
  private long waitedNanos;
  private final LongSupplier nanoTime;

  /** {@code path}: where the file is once whole; {@code reader}: reads it while it is written, closed by {@link #close}. */
  public GrowingFile(Path path, FileChannel reader) {
    this(path, reader, System::nanoTime);
  }

  /**
   * As {@link #GrowingFile(Path, FileChannel)}, timing {@link #waitedNanos} by {@code nanoTime} (tests: a clock they
   * move).
   */
  public GrowingFile(Path path, FileChannel reader, LongSupplier nanoTime) {
    this.path = path;
    this.reader = reader;
    this.nanoTime = nanoTime;
  }

  /** Where the file is once {@link #whole}. */
  public Path path() {
    return path;
  }

  /** The first {@code length} bytes are written and can be read. */
  public synchronized void grew(long length) {
    if (length > this.length) {
      this.length = length;
      notifyAll();
    }
  }

  /** The file is whole under {@link #path}, {@code length} bytes. */
  public synchronized void whole(long length) {
    this.length = length;
    this.whole = true;
    notifyAll();
  }

  /**
   * The writer threw the file away, or its block was given up: whoever waits for more of it fails, and so does
   * whoever asks for more of it, even once it is whole.
   */
  public synchronized void abandoned() {
    abandoned = true;
    notifyAll();
  }

  /** Wakes the readers waiting in {@link #await}, so that they look at their {@code stop} condition again. */
  public synchronized void wakeReaders() {
    notifyAll();
  }

  /**
   * Waits until at least {@code atLeast} bytes can be read or the file is whole, and returns how many can be read;
   * fails when the file was thrown away (then even a whole file's bytes are not handed out: its upload is to stop
   * after the parts it is sending), the thread is interrupted or {@code stop} says so.
   */
  public synchronized long await(long atLeast, BooleanSupplier stop) throws IOException {
    if (abandoned) {
      throw thrownAway();
    }
    while (!whole && length < atLeast) {
      if (abandoned) {
        throw thrownAway();
      }
      if (stop.getAsBoolean()) {
        throw new InterruptedIOException("upload of " + path + " was stopped");
      }
      long from = nanoTime.getAsLong();
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + path + " to be written");
      } finally {
        waitedNanos += nanoTime.getAsLong() - from;
      }
    }
    return length;
  }

  private BucketException thrownAway() {
    return new BucketException("upload of " + path + ": the file was thrown away while it was being written", false);
  }

  /**
   * Nanoseconds readers have spent in {@link #await} so far: an upload's own duration is its time less this (its
   * parts wait one at a time).
   */
  public synchronized long waitedNanos() {
    return waitedNanos;
  }

  /** Whether the file is whole: then {@link #length} is its size. */
  public synchronized boolean isWhole() {
    return whole;
  }

  /** Bytes that can be read now. */
  public synchronized long length() {
    return length;
  }

  /**
   * The range's bytes mapped from the file (read-only, off the heap), for stores whose client reads a part more than
   * once and takes it as a buffer (Azure's staged blocks).
   */
  ByteBuffer map(long offset, long length) throws IOException {
    return reader.map(FileChannel.MapMode.READ_ONLY, offset, length);
  }

  /** Reads the file at any position written so far; shared by every part of an upload, closed by {@link #close}. */
  FileChannel reader() {
    return reader;
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }

  @Override
  public String toString() {
    return "GrowingFile[" + path + "]";
  }
}
