package io.tsdbcompactor.examples;

// tag::bucket[]
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import io.tsdbcompactor.bucket.ObjectAttributes;
import io.tsdbcompactor.bucket.ObjectNotFoundException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

/**
 * A {@link Bucket} over another store: any key-value store with a sorted key scan. Six methods to write;
 * downloads, uploads of files and byte arrays, and collected listings come from the interface's defaults.
 */
public final class KeyValueBucket implements Bucket {

  /** What the other store offers (a database table, an in-house blob service...). */
  public interface KeyValueStore {
    /** The value and its modification time, or null when absent. */
    Stored get(String key) throws IOException;

    /** Writes the whole value at once (readers see the old or the new value, never a part). */
    void put(String key, byte[] value) throws IOException;

    void delete(String key) throws IOException;

    /** Keys starting with {@code prefix}, ascending. */
    Iterable<String> keysWithPrefix(String prefix) throws IOException;
  }

  /** A stored value. */
  public record Stored(byte[] value, Instant modified) {}

  private final String name;
  private final KeyValueStore store;

  public KeyValueBucket(String name, KeyValueStore store) {
    this.name = name;
    this.store = store;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    String dir = Bucket.dirPrefix(prefix);
    String lastSubdir = null;
    for (String key : store.keysWithPrefix(dir)) {
      int slash = key.indexOf('/', dir.length());
      ListEntry entry;
      if (recursive || slash < 0) {
        Stored s = store.get(key);
        if (s == null) {
          continue; // deleted since the scan saw it
        }
        entry = new ListEntry(key, s.value().length, s.modified());
      } else {
        String subdir = key.substring(0, slash + 1);
        if (subdir.equals(lastSubdir)) {
          continue; // each sub-directory once
        }
        lastSubdir = subdir;
        entry = ListEntry.directory(subdir);
      }
      if (!visitor.visit(entry)) {
        return;
      }
    }
  }

  @Override
  public InputStream get(String key) throws IOException {
    return new ByteArrayInputStream(existing(key).value());
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    byte[] v = existing(key).value();
    int from = (int) Math.min(offset, v.length);
    int to = length < 0 ? v.length : (int) Math.min(v.length, offset + length);
    return new ByteArrayInputStream(v, from, to - from);
  }

  @Override
  public boolean exists(String key) throws IOException {
    return store.get(key) != null;
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    Stored s = existing(key);
    return new ObjectAttributes(s.value().length, s.modified());
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    byte[] value = length < 0 ? in.readAllBytes() : in.readNBytes((int) length);
    if (length >= 0 && value.length != length) {
      throw new IOException(key + ": stream ended after " + value.length + " of " + length + " bytes");
    }
    store.put(key, value);
  }

  @Override
  public void delete(String key) throws IOException {
    store.delete(key);
  }

  private Stored existing(String key) throws IOException {
    Stored s = store.get(key);
    if (s == null) {
      throw new ObjectNotFoundException(name, key);
    }
    return s;
  }
}
// end::bucket[]
