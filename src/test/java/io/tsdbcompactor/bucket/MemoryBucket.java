package io.tsdbcompactor.bucket;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** A bucket held in memory, for unit tests. Objects are copied in and out; the clock stamps uploads. */
public final class MemoryBucket implements Bucket {
  private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>();
  private final String name;
  private volatile Clock clock;

  private record Stored(byte[] data, Instant lastModified) {}

  public MemoryBucket() {
    this("memory", Clock.systemUTC());
  }

  public MemoryBucket(String name, Clock clock) {
    this.name = name;
    this.clock = clock;
  }

  /** Changes the clock that stamps later uploads (tests move time forward). */
  public void setClock(Clock clock) {
    this.clock = clock;
  }

  /** Overrides an object's last-modified time (tests age partial uploads). */
  public void setLastModified(String key, Instant time) throws ObjectNotFoundException {
    Stored s = objects.get(key);
    if (s == null) {
      throw new ObjectNotFoundException(name, key);
    }
    objects.put(key, new Stored(s.data, time));
  }

  /** Number of objects stored. */
  public int size() {
    return objects.size();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void list(String prefix, boolean recursive, ListVisitor visitor) throws IOException {
    NavigableMap<String, ListEntry> snapshot = new TreeMap<>();
    objects.forEach((k, v) -> snapshot.put(k, new ListEntry(k, v.data.length, v.lastModified)));
    Keys.list(snapshot, prefix, recursive, visitor);
  }

  @Override
  public InputStream get(String key) throws IOException {
    return new ByteArrayInputStream(stored(key).data);
  }

  @Override
  public InputStream getRange(String key, long offset, long length) throws IOException {
    byte[] data = stored(key).data;
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    int from = (int) Math.min(offset, data.length);
    int to = length < 0 ? data.length : (int) Math.min(data.length, offset + length);
    return new ByteArrayInputStream(Arrays.copyOfRange(data, from, to));
  }

  @Override
  public boolean exists(String key) {
    return objects.containsKey(key);
  }

  @Override
  public ObjectAttributes attributes(String key) throws IOException {
    Stored s = stored(key);
    return new ObjectAttributes(s.data.length, s.lastModified);
  }

  @Override
  public void upload(String key, InputStream in, long length) throws IOException {
    Keys.check(key);
    byte[] data = length < 0 ? in.readAllBytes() : in.readNBytes(Math.toIntExact(length));
    if (length >= 0 && data.length != length) {
      throw new BucketException("upload of " + key + ": stream ended after " + data.length + " of " + length + " bytes", true);
    }
    objects.put(key, new Stored(data, clock.instant()));
  }

  @Override
  public void delete(String key) {
    objects.remove(key);
  }

  private Stored stored(String key) throws ObjectNotFoundException {
    Stored s = objects.get(key);
    if (s == null) {
      throw new ObjectNotFoundException(name, key);
    }
    return s;
  }

  @Override
  public String toString() {
    return "MemoryBucket[" + name + ", " + objects.size() + " objects]";
  }
}
