package io.tsdbcompactor.store;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/** A directory held in memory, for tests and small transient blocks. */
public final class MemoryDirectory implements Directory {
  private final String label;
  private final ConcurrentSkipListMap<String, byte[]> files = new ConcurrentSkipListMap<>();

  public MemoryDirectory() {
    this("memory");
  }

  public MemoryDirectory(String label) {
    this.label = label;
  }

  @Override
  public String describe() {
    return label;
  }

  @Override
  public RandomAccessInput openInput(String name) throws IOException {
    byte[] b = files.get(name);
    if (b == null) {
      throw new NoSuchFileException(label + "/" + name);
    }
    return new ByteArrayInput(label + "/" + name, b);
  }

  @Override
  public IndexOutput createOutput(String name) {
    return new IndexOutput() {
      private final ByteSink sink = new ByteSink(4096);
      private boolean done;

      @Override
      public String name() {
        return name;
      }

      @Override
      public long position() {
        return sink.length();
      }

      @Override
      public void writeByte(int b) {
        sink.writeByte(b);
      }

      @Override
      public void writeBytes(byte[] b, int off, int len) {
        sink.writeBytes(b, off, len);
      }

      @Override
      public void close() {
        if (!done) {
          done = true;
          files.put(name, sink.toByteArray());
        }
      }

      @Override
      public void abort() {
        done = true;
      }
    };
  }

  @Override
  public boolean exists(String name) {
    return files.containsKey(name);
  }

  @Override
  public long fileLength(String name) throws IOException {
    byte[] b = files.get(name);
    if (b == null) {
      throw new NoSuchFileException(label + "/" + name);
    }
    return b.length;
  }

  @Override
  public List<String> listAll() {
    return new ArrayList<>(files.keySet());
  }

  @Override
  public void delete(String name) {
    files.remove(name);
  }
}
